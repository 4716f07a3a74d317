package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.DmaTag;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.tools.control.ControlException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** DMA streams on an in-process daxfs: what they pin, write, lease and release. */
class DmaStreamsTest {
  private static final Cred ROOT = Cred.root();
  private static final int PAGE = 4096;
  private static final int PUNCH = 0x02 | 0x01;
  private static final long FILE_BYTES = 16 * PAGE;

  private DaxFs fs;
  private DmaEmulator dma;
  private DmaStreams streams;

  /** The kernel cache invalidations the streams asked for: {ino, offset, length}. */
  private final List<long[]> invalidated = new CopyOnWriteArrayList<>();

  /** A file every test works on, filled with 0x5a. */
  private long ino;

  @BeforeEach
  void mount() {
    HeapRegion region = new HeapRegion(32L << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    fs = DaxFs.mount(region, MountOptions.defaults().layoutWaitTimeout(Duration.ofSeconds(60)));
    dma = new DmaEmulator(new Gup());
    streams = new DmaStreams(fs, ROOT, dma,
        (i, off, len) -> invalidated.add(new long[] {i, off, len}));
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    byte[] fill = new byte[(int) FILE_BYTES];
    java.util.Arrays.fill(fill, (byte) 0x5a);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(fill));
    ino = h.ino();
    fs.release(h);
  }

  @AfterEach
  void unmount() {
    streams.close();
    dma.close();
    fs.unmount();
  }

  private static StreamSpec spec(String device, long offset, long length) {
    return new StreamSpec(device, false, "/f", 0, offset, length, true, 0, false, false, 0, 1);
  }

  private static StreamSpec with(StreamSpec s, Map<String, Object> changes) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>(s.toRequest());
    m.putAll(changes);
    return StreamSpec.fromRequest(new ObjectMapper().valueToTree(m));
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(10);
    }
  }

  private String state(DmaStream s) {
    return (String) s.describe().get("state");
  }

  private long stat(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    streams.addStats(m);
    return ((Number) m.get(name)).longValue();
  }

  private byte[] read(long offset, int length) {
    FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDONLY);
    try {
      ByteBuffer b = ByteBuffer.allocate(length);
      fs.read(h, offset, b);
      return b.array();
    } finally {
      fs.release(h);
    }
  }

  /** Punches {@code [offset, +length)} of the file on another thread. */
  private CompletableFuture<Void> punchAsync(long offset, long length) {
    return CompletableFuture.runAsync(() -> {
      FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDWR);
      try {
        fs.fallocate(ROOT, h, PUNCH, offset, length);
      } finally {
        fs.release(h);
      }
    });
  }

  private void punch(long offset, long length) {
    punchAsync(offset, length).join();
  }

  @Test
  void aWriteLandsItsTagsThenDropsTheKernelsCachedRange() throws Exception {
    DmaStream s = streams.start(spec("nic0", 3 * PAGE + 64, 2 * PAGE));
    await(() -> state(s).equals("done"), "the transfer is done");
    Map<String, Object> d = s.describe();
    assertEquals(1L, d.get("transfers_completed"));
    long seq = (Long) d.get("last_sequence");
    byte[] data = read(3 * PAGE + 64, 2 * PAGE);
    for (int off = 0; off < data.length; off += DmaTag.RECORD_BYTES) {
      DmaTag t = DmaTag.decode(data, off).orElseThrow(() -> new AssertionError("no tag"));
      assertEquals((int) d.get("device_id"), t.deviceId());
      assertEquals(seq, t.sequence());
    }
    assertEquals((byte) 0x5a, read(3 * PAGE + 63, 1)[0], "nothing before the range");
    assertEquals(1, invalidated.size());
    assertArrayEquals(new long[] {ino, 3 * PAGE + 64, 2 * PAGE}, invalidated.get(0));
    assertEquals(0, stat("pins_outstanding"));
    assertEquals(3, stat("pins_acquired"), "three pages pinned once");
    assertEquals(0, stat("misdirected_writes"));
    assertEquals(0, stat("dma_streams"), "a finished stream holds nothing");
  }

  @Test
  void aPunchWaitsForTheHoldAndStoppingEndsTheHoldAtOnce() throws Exception {
    DmaStream s = streams.start(with(spec("nic0", 0, 4 * PAGE), Map.of("hold_ms", 600_000)));
    assertEquals(4, stat("pins_outstanding"), "pinned when start returns");
    CompletableFuture<Void> punch = punchAsync(0, 8 * PAGE);
    await(() -> fs.stats().layoutBreaks.sum() == 1, "the punch breaks the layout");
    Thread.sleep(200);
    assertFalse(punch.isDone(), "the punch waits for the device");
    Map<String, Object> stopped = streams.stop(s.id());
    punch.get(30, TimeUnit.SECONDS);
    assertEquals("stopped", stopped.get("state"));
    assertEquals(1L, stopped.get("transfers_completed"), "stop ended the hold: the data moved");
    assertEquals(1, fs.stats().layoutWaits.sum());
    assertEquals(0, stat("pins_outstanding"));
    assertEquals(0, stat("misdirected_writes"));
    assertArrayEquals(new byte[8 * PAGE], read(0, 8 * PAGE), "punched after the DMA landed");
    assertThrows(ControlException.class, () -> streams.stop(s.id()), "forgotten once stopped");
  }

  @Test
  void aLongTermPinWithoutOdpOrLeaseIsRefusedInWords() throws Exception {
    ControlException e = assertThrows(ControlException.class, () -> streams.start(
        with(spec("rdma0", 0, 2 * PAGE), Map.of("longterm", true))));
    assertEquals("EOPNOTSUPP", e.errno());
    assertTrue(e.getMessage().contains("refused (EOPNOTSUPP, Operation not supported)"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--odp") && e.getMessage().contains("--lease"),
        e.getMessage());
    assertEquals(0, stat("pins_outstanding"));
    FileHandle h = openRw();
    try {
      assertTrue(fs.addressSpace(h).mappings().isEmpty(), "the mapping was closed");
    } finally {
      fs.release(h);
    }
    punch(0, 2 * PAGE);
    assertEquals(0, fs.stats().leaseRefusals.sum(), "no lease left behind");
  }

  private FileHandle openRw() {
    return fs.open(ROOT, ino, FileHandle.O_RDWR);
  }

  @Test
  void aLeasedLongTermStreamPinsUntilStoppedAndTruncateGetsEtxtbsy() throws Exception {
    DmaStream s = streams.start(with(spec("rdma0", PAGE, 2 * PAGE),
        Map.of("longterm", true, "lease", true)));
    await(() -> state(s).equals("registered"), "its one transfer is done");
    assertEquals(2, stat("pins_outstanding"), "the registration keeps its pages");
    assertEquals(1, streams.leases());
    ErrnoException busy = assertThrows(ErrnoException.class,
        () -> fs.setattr(ROOT, ino, SetAttr.create().size(0)));
    assertEquals(Errno.ETXTBSY, busy.errno());
    assertTrue(busy.getMessage().contains("DMA stream " + s.id()), busy.getMessage());
    punch(8 * PAGE, PAGE);
    streams.stop(s.id());
    assertEquals(0, stat("pins_outstanding"));
    assertEquals(0, streams.leases());
    fs.setattr(ROOT, ino, SetAttr.create().size(0));
  }

  @Test
  void anOdpRegistrationFollowsAPunchInsteadOfHoldingIt() throws Exception {
    DmaStream s = streams.start(with(spec("odp0", 0, 2 * PAGE),
        Map.of("longterm", true, "odp", true, "count", 0, "interval_ms", 20)));
    await(() -> ((Long) s.describe().get("transfers_completed")) >= 2, "transfers run");
    assertEquals(0, stat("pins_outstanding"), "ODP pins nothing");
    punch(0, 2 * PAGE);
    assertEquals(0, fs.stats().layoutWaits.sum(), "nothing to wait for");
    assertTrue(stat("odp_invalidations") >= 1, "the punch invalidated the registration");
    long after = (Long) s.describe().get("transfers_completed");
    await(() -> ((Long) s.describe().get("transfers_completed")) > after + 1,
        "transfers go on in the new layout");
    streams.stop(s.id());
    assertTrue(stat("odp_invalidations") >= 1, "kept after the stream is gone");
    assertEquals(0, stat("misdirected_writes"));
  }

  @Test
  void aDeviceKeepsItsPropertiesAndOtherPropertiesAreRefused() throws Exception {
    streams.start(spec("nic0", 0, PAGE));
    ControlException e = assertThrows(ControlException.class,
        () -> streams.start(with(spec("nic0", 0, PAGE), Map.of("odp", true))));
    assertEquals("EEXIST", e.errno());
    assertTrue(e.getMessage().contains("nic0 already exists as a pinning device"),
        e.getMessage());
  }

  @Test
  void badRangesAndFilesAreRefusedWithoutHoldingAnything() throws Exception {
    ControlException beyond = assertThrows(ControlException.class,
        () -> streams.start(spec("nic0", FILE_BYTES - 10, 20)));
    assertEquals("EINVAL", beyond.errno());
    assertTrue(beyond.getMessage().contains("ends beyond the end of the file"),
        beyond.getMessage());
    ControlException missing = assertThrows(ControlException.class,
        () -> streams.start(with(spec("nic0", 0, 1), Map.of("path", "/nope"))));
    assertEquals("ENOENT", missing.errno());
    ControlException stale = assertThrows(ControlException.class,
        () -> streams.start(with(spec("nic0", 0, 1), Map.of("ino", ino + 1000))));
    assertEquals("ESTALE", stale.errno());
    ControlException hold = assertThrows(ControlException.class, () -> StreamSpec.fromRequest(
        new ObjectMapper().readTree("{\"device\":\"d\",\"path\":\"/f\",\"offset\":0,"
            + "\"length\":1,\"longterm\":true,\"hold_ms\":5}")));
    assertTrue(hold.getMessage().contains("--hold-ms applies to short-term"), hold.getMessage());
    assertEquals(0, stat("pins_outstanding"));
    fs.unlink(ROOT, "/f");
    assertEquals(0, fs.orphansPending(), "no handle kept the file");
  }

  @Test
  void aStreamWhoseRangeIsTruncatedAwayFailsAndSaysWhy() throws Exception {
    DmaStream s = streams.start(with(spec("nic0", 4 * PAGE, PAGE),
        Map.of("count", 0, "interval_ms", 5)));
    fs.setattr(ROOT, ino, SetAttr.create().size(PAGE));
    await(() -> state(s).equals("failed"), "the stream fails");
    Map<String, Object> d = s.describe();
    assertTrue(((String) d.get("error")).contains("EFAULT"), d.toString());
    assertEquals(0, stat("pins_outstanding"));
    assertEquals(0, stat("misdirected_writes"));
  }

  @Test
  void aReadHoldsItsPagesForTheHoldAndMovesNothingIntoTheFile() throws Exception {
    DmaStream s = streams.start(with(spec("gpu0", 0, 3 * PAGE),
        Map.of("write", false, "hold_ms", 600_000)));
    assertEquals(3, stat("pins_outstanding"));
    streams.stop(s.id());
    assertEquals(0, stat("pins_outstanding"));
    Map<String, Object> m = new LinkedHashMap<>();
    streams.addStats(m);
    @SuppressWarnings("unchecked")
    Map<String, Object> dev = ((List<Map<String, Object>>) m.get("devices")).get(0);
    assertEquals(3L * PAGE, dev.get("bytes_read"));
    // The hold pins the three pages, and the device's read at its end pins them once more.
    assertEquals(6L, dev.get("pins_acquired"));
    assertEquals(6L, dev.get("pins_released"));
    assertEquals(0L, dev.get("pins_outstanding"));
    assertTrue(invalidated.isEmpty(), "a read leaves the kernel's cache alone");
    byte[] expected = new byte[PAGE];
    java.util.Arrays.fill(expected, (byte) 0x5a);
    assertArrayEquals(expected, read(0, PAGE));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> device(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    streams.addStats(m);
    for (Map<String, Object> d : (List<Map<String, Object>>) m.get("devices")) {
      if (name.equals(d.get("name"))) {
        return d;
      }
    }
    throw new AssertionError("no device " + name + " in " + m);
  }

  @Test
  void eachDeviceCountsItsOwnPinsAcquiredReleasedAndOutstanding() throws Exception {
    DmaStream held = streams.start(with(spec("nic0", 0, 2 * PAGE), Map.of("hold_ms", 600_000)));
    DmaStream done = streams.start(spec("gpu0", 4 * PAGE, 5 * PAGE));
    await(() -> state(done).equals("done"), "gpu0's transfer is done");
    Map<String, Object> nic = device("nic0");
    assertEquals(2L, nic.get("pins_acquired"));
    assertEquals(0L, nic.get("pins_released"));
    assertEquals(2L, nic.get("pins_outstanding"));
    Map<String, Object> gpu = device("gpu0");
    assertEquals(5L, gpu.get("pins_acquired"));
    assertEquals(5L, gpu.get("pins_released"));
    assertEquals(0L, gpu.get("pins_outstanding"));
    assertEquals(7, stat("pins_acquired"), "the totals are the devices' sums");
    assertEquals(5, stat("pins_released"));

    streams.stop(held.id());
    nic = device("nic0");
    assertEquals(2L, nic.get("pins_acquired"));
    assertEquals(2L, nic.get("pins_released"));
    assertEquals(0L, nic.get("pins_outstanding"));
    assertEquals(5L, device("gpu0").get("pins_released"), "another device's stop is not gpu0's");
  }

  @Test
  void closingStopsEveryStreamAndRefusesNewOnes() throws Exception {
    List<DmaStream> started = new ArrayList<>();
    started.add(streams.start(with(spec("nic0", 0, PAGE), Map.of("hold_ms", 600_000))));
    started.add(streams.start(with(spec("rdma0", PAGE, PAGE),
        Map.of("longterm", true, "lease", true, "count", 0))));
    assertEquals(2, stat("pins_outstanding"));
    streams.close();
    assertEquals(0, stat("pins_outstanding"));
    for (DmaStream s : started) {
      assertEquals("stopped", state(s));
    }
    ControlException e = assertThrows(ControlException.class,
        () -> streams.start(spec("nic0", 0, PAGE)));
    assertEquals("ENXIO", e.errno());
    fs.setattr(ROOT, ino, SetAttr.create().size(0));
  }
}
