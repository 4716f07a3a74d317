package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.LayoutLease;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.Scrub;
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

  /** How long the streaming test runs, ms (a budget, not a timing assertion). */
  private static final long STREAM_MILLIS = Long.getLong("daxfs.stable.streamMillis", 1500);

  private static DaxFs checksummed(PmemRegion region) {
    DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(true));
    return DaxFs.mount(region, MountOptions.defaults());
  }

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + seed * 7 + 1);
    }
    return b;
  }

  @Test
  void aDmaStreamAndAnFsyncLoopNeverGiveAFalseChecksumError() throws Exception {
    DaxFs fs = checksummed(new HeapRegion(32 << 20));
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(16 * P, 1)));
    CpuMapping m = fs.mmap(ROOT, h, 0, 16 * P, RW, 0);
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
            disk.write(m, (long) (i % 16) * P, pattern(P, i)).get(10, TimeUnit.SECONDS);
            transfers.incrementAndGet();
            i++;
          } catch (Exception e) {
            failures.add(e);
            return;
          }
        }
      });
      Thread syncer = new Thread(() -> {
        while (!stop.get()) {
          try {
            fs.fsync(h, false);
            fsyncs.incrementAndGet();
            ByteBuffer all = ByteBuffer.allocate(16 * P);
            int n = fs.read(h, 0, all);
            if (n != 16 * P) {
              failures.add(new AssertionError("short read " + n + ": a checksum error"));
            }
          } catch (ErrnoException e) {
            failures.add(e);
          }
        }
      });
      device.start();
      syncer.start();
      Thread.sleep(STREAM_MILLIS);
      stop.set(true);
      device.join(30_000);
      syncer.join(30_000);
      assertEquals(List.of(), failures);
      assertTrue(transfers.get() > 10 && fsyncs.get() > 3,
          transfers + " transfers and " + fsyncs + " fsyncs ran");
      assertEquals(0, dma.misdirectedWrites());
    }
    m.close();
    fs.fsync(h, false);
    Scrub.Report after = Scrub.run(fs);
    assertEquals(0, after.mismatches.size(), after.mismatches.toString());
    assertEquals(0, after.staleBlocks, "every block verifies again once the device is gone");
    assertEquals(16, after.blocksVerified);
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
