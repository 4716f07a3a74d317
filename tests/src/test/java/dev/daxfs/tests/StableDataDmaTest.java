package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.LayoutLease;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.Scrub;
import dev.daxfs.fs.TestSwitches;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.DmaRegistration;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Data checksums under DMA (issue 9): a device writing into pinned pages never makes a read
 * report a checksum error, fsync keeps working whatever the pins, and what a long-term
 * registration wrote is durable once fsync returns.
 */
class StableDataDmaTest {

  private static final Cred ROOT = Cred.root();
  private static final int P = 4096;
  private static final int RW = CpuMapping.PROT_READ | CpuMapping.PROT_WRITE;

  /** Transfers the streaming test waits for (a budget, not a rate). */
  private static final long STREAM_TRANSFERS = Long.getLong("daxfs.stable.streamTransfers", 200);

  /** fsync-and-verify rounds the streaming test waits for, racing with the transfers. */
  private static final long STREAM_FSYNCS = Long.getLong("daxfs.stable.streamFsyncs", 20);

  /** The hang guard of the streaming test, s: only a hung run reaches it. */
  private static final long HANG_GUARD_SECONDS =
      Long.getLong("daxfs.stable.hangGuardSeconds", 300);

  private static DaxFs checksummed(PmemRegion region) {
    return checksummed(region, TestSwitches.none());
  }

  private static DaxFs checksummed(PmemRegion region, TestSwitches switches) {
    DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(true));
    MountOptions o = MountOptions.defaults();
    return DaxFs.mount(region, switches.any() ? o.testSwitches(switches).testHarnessRegion() : o);
  }

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + seed * 7 + 1);
    }
    return b;
  }

  /** What a stream saw: failures of the device, of fsync and of the verifying reads. */
  private record Stream(List<Throwable> failures, long transfers, long fsyncs,
      long misdirected) {}

  /**
   * A device writes page after page of a mapped, checksummed file while another thread loops
   * fsync and a read of the whole file, which verifies every page not marked stale. Runs until
   * {@link #STREAM_TRANSFERS} transfers and {@link #STREAM_FSYNCS} fsync rounds have happened
   * (or a thread failed), however long that takes.
   */
  private static Stream stream(DaxFs fs, FileHandle h, CpuMapping m) throws Exception {
    try (DmaEmulator dma = new DmaEmulator(new Gup())) {
      DmaDevice disk = dma.createDevice(DeviceSpec.named("disk0")
          .withHold(Duration.ofMillis(2)));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong transfers = new AtomicLong();
      AtomicLong fsyncs = new AtomicLong();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread device = new Thread(() -> {
        int i = 0;
        while (!stop.get()) {
          try {
            disk.write(m, (long) (i % 16) * P, pattern(P, i))
                .get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            transfers.incrementAndGet();
            i++;
          } catch (Exception e) {
            failures.add(e);
            return;
          }
        }
      }, "device");
      Thread syncer = new Thread(() -> {
        while (!stop.get()) {
          try {
            fs.fsync(h, false);
            ByteBuffer all = ByteBuffer.allocate(16 * P);
            int n = fs.read(h, 0, all);
            if (n != 16 * P) {
              failures.add(new AssertionError("short read " + n + ": a checksum error"));
              return;
            }
            fsyncs.incrementAndGet();
          } catch (ErrnoException e) {
            failures.add(e);
            return;
          }
        }
      }, "fsync");
      device.start();
      syncer.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_GUARD_SECONDS);
      while (failures.isEmpty()
          && (transfers.get() < STREAM_TRANSFERS || fsyncs.get() < STREAM_FSYNCS)) {
        if (System.nanoTime() - deadline > 0) {
          stop.set(true);
          fail("the stream stalled: " + transfers + " of " + STREAM_TRANSFERS + " transfers and "
              + fsyncs + " of " + STREAM_FSYNCS + " fsyncs (hang guard: " + HANG_GUARD_SECONDS
              + " s)");
        }
        Thread.sleep(1);
      }
      stop.set(true);
      device.join(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS));
      syncer.join(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS));
      assertFalse(device.isAlive() || syncer.isAlive(), "the stream's threads stopped");
      return new Stream(List.copyOf(failures), transfers.get(), fsyncs.get(),
          dma.misdirectedWrites());
    }
  }

  @Test
  void aDmaStreamAndAnFsyncLoopNeverGiveAFalseChecksumError() throws Exception {
    DaxFs fs = checksummed(new HeapRegion(32 << 20));
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(16 * P, 1)));
    CpuMapping m = fs.mmap(ROOT, h, 0, 16 * P, RW, 0);
    Stream s = stream(fs, h, m);
    assertEquals(List.of(), s.failures());
    assertTrue(s.transfers() >= STREAM_TRANSFERS && s.fsyncs() >= STREAM_FSYNCS, s.toString());
    assertEquals(0, s.misdirected());
    m.close();
    fs.fsync(h, false);
    Scrub.Report after = Scrub.run(fs);
    assertEquals(0, after.mismatches.size(), after.mismatches.toString());
    assertEquals(0, after.staleBlocks, "every block verifies again once the device is gone");
    assertEquals(16, after.blocksVerified);
  }

  /**
   * The switched-off twin: a page a device pins for writing is not marked stale, so the device
   * changes bytes under a checksum the reads still trust, and the same stream must see a false
   * checksum error. (The switches lateStaleMark and inPlaceWriteBeforeStaleMark do not make this
   * stream fail: the first only delays the mark's persistence, which matters after a crash, and
   * the second concerns write(), which the stream never calls.)
   */
  @Test
  void withoutTheStaleMarkTheSameStreamGivesAChecksumError() throws Exception {
    TestSwitches bug = TestSwitches.none();
    bug.skipStaleMark = true;
    DaxFs fs = checksummed(new HeapRegion(32 << 20), bug);
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(16 * P, 1)));
    CpuMapping m = fs.mmap(ROOT, h, 0, 16 * P, RW, 0);
    Stream s = stream(fs, h, m);
    assertFalse(s.failures().isEmpty(), "without the stale mark the stream must fail: " + s);
    Throwable first = s.failures().get(0);
    assertTrue(first.getMessage().contains("checksum")
        || first instanceof ErrnoException e && e.errno() == Errno.EIO,
        "the failure is a checksum error: " + first);
    m.close();
  }

  @Test
  void aLongTermRegistrationUnderALeaseLetsFsyncReturnAndMakesItsWritesDurable()
      throws Exception {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(16 << 20));
    DaxFs fs = checksummed(region);
    FileHandle h = fs.open(ROOT, "/rdma", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(4 * P, 2)));
    fs.fsync(h, false);
    CpuMapping m = fs.mmap(ROOT, h, 0, 4 * P, RW, 0);
    byte[] written;
    try (DmaEmulator dma = new DmaEmulator(new Gup());
        LayoutLease lease = fs.acquireLease(ROOT, h, 0, 4 * P, "rnic0")) {
      DmaDevice rnic = dma.createDevice(DeviceSpec.named("rnic0"));
      DmaRegistration mr = rnic.register(m, 0, 4 * P, true, "rnic0");
      // An fsync after registering cleans the entries: the device's later stores go through
      // its pin and dirty nothing, as an RDMA NIC's do.
      fs.fsync(h, false);
      written = pattern(2 * P, 9);
      mr.write(P, written).get(10, TimeUnit.SECONDS);
      // The registration stays: fsync must neither fail nor wait for it.
      CompletableFuture.runAsync(() -> fs.fsync(h, false)).get(30, TimeUnit.SECONDS);
      // A crash right after fsync returned: every image holds what the device wrote.
      int images = 0;
      for (CrashImage image : region.crashPoint(CrashImageOptions.DEFAULT.withSamples(16))
          .images()) {
        images++;
        DaxFs after = DaxFs.mount(image, MountOptions.defaults());
        FileHandle r = after.open(ROOT, "/rdma", FileHandle.O_RDONLY, 0);
        ByteBuffer got = ByteBuffer.allocate(2 * P);
        after.read(r, P, got);
        assertArrayEquals(written, got.array(), "image " + image.index());
      }
      assertTrue(images >= 1);
      mr.close();
    }
    m.close();
    fs.fsync(h, false);
    assertEquals(0, Scrub.run(fs).staleBlocks, "stale marks cleared once the pin is gone");
  }
}
