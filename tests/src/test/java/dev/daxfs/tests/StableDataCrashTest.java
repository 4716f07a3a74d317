package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.Scrub;
import dev.daxfs.fs.TestSwitches;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.Gup;
import dev.daxfs.gup.PinVector;
import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Data checksums across crashes at every fence of map, pin, DMA, unpin and fsync (issue 9):
 * after recovery from any crash image, every block not marked stale verifies. Its twin
 * persists the stale mark only after the pin is granted (the {@code lateStaleMark} bug), and
 * must then find a block whose checksum lies.
 */
class StableDataCrashTest {

  private static final Cred ROOT = Cred.root();
  private static final int P = 4096;
  private static final int RW = CpuMapping.PROT_READ | CpuMapping.PROT_WRITE;

  /** Images sampled at a crash point beyond the ones enumerated (a budget). */
  private static final int SAMPLES = Integer.getInteger("daxfs.stable.crashSamples", 16);

  /** What the crash images of one run showed. */
  private record Outcome(int fences, long images, List<String> mismatches, byte[] dma) {}

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 13 + seed * 29 + 1);
    }
    return b;
  }

  /**
   * The workload over a crash-recording region with data checksums: map a file writable, pin
   * two of its pages for write through gup, DMA into them, unpin dirty, fsync. A crash point is
   * frozen at every fence from the mmap on (and after the fsync); each of its images is
   * recovered and scrubbed.
   */
  private static Outcome run(boolean lateStaleMark) throws Exception {
    HeapRegion media = new HeapRegion(16 << 20);
    DaxFs.mkfs(media, MkfsOptions.defaults().dataChecksums(true));
    CrashRecordingRegion region = new CrashRecordingRegion(media);
    TestSwitches bug = TestSwitches.none();
    bug.lateStaleMark = lateStaleMark;
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults().backgroundCleaning(false)
        .testSwitches(bug));
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(4 * P, 1)));
    fs.fsync(h, false);

    CrashImageOptions options = CrashImageOptions.DEFAULT.withSamples(SAMPLES);
    List<CrashPoint> points = new CopyOnWriteArrayList<>();
    region.addFenceListener((fence, r) -> points.add(r.crashPoint(options)));
    byte[] dma = pattern(2 * P, 7);
    Gup gup = new Gup();
    try (DmaEmulator emulator = new DmaEmulator(gup)) {
      CpuMapping m = fs.mmap(ROOT, h, 0, 4 * P, RW, 0);
      PinVector pin = gup.owner("nvme0-queue").newPinVector();
      gup.pinUserPages(pin, m, P, 2, Gup.FOLL_WRITE);
      DmaDevice nvme = emulator.createDevice(DeviceSpec.named("nvme0"));
      nvme.write(m, P, dma).get(30, TimeUnit.SECONDS);
      gup.unpinUserPages(pin, true);
      m.close();
      fs.fsync(h, false);
    }
    points.add(region.crashPoint(options));
    assertEquals(0, Scrub.run(fs).staleBlocks, "the fsync after the unpin cleared the marks");
    fs.release(h);
    fs.unmount();

    long images = 0;
    List<String> mismatches = new ArrayList<>();
    for (CrashPoint point : points) {
      for (CrashImage image : point.images()) {
        images++;
        DaxFs after = DaxFs.mount(image, MountOptions.defaults().backgroundCleaning(false));
        Scrub.Report scrub = Scrub.run(after);
        for (Scrub.Mismatch bad : scrub.mismatches) {
          mismatches.add(point.label() + " image " + image.index() + ": " + bad);
        }
        after.unmount();
      }
    }
    return new Outcome(points.size(), images, mismatches, dma);
  }

  @Test
  void noCrashImageOfMapPinDmaUnpinFsyncHasABlockWhoseChecksumLies() throws Exception {
    Outcome o = run(false);
    assertTrue(o.fences() > 5, o.fences() + " crash points");
    assertTrue(o.images() > o.fences(), o.images() + " images");
    assertEquals(List.of(), o.mismatches(), "no block that is not stale fails verification");
  }

  @Test
  void aStaleMarkPersistedAfterThePinIsCaught() throws Exception {
    Outcome o = run(true);
    assertTrue(!o.mismatches().isEmpty(), "the late stale mark went unnoticed in "
        + o.images() + " images of " + o.fences() + " crash points");
  }

  @Test
  void whatTheDeviceWroteIsDurableOnceFsyncReturns() throws Exception {
    HeapRegion media = new HeapRegion(16 << 20);
    DaxFs.mkfs(media, MkfsOptions.defaults().dataChecksums(true));
    CrashRecordingRegion region = new CrashRecordingRegion(media);
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults().backgroundCleaning(false));
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(4 * P, 1)));
    byte[] dma = pattern(2 * P, 7);
    Gup gup = new Gup();
    try (DmaEmulator emulator = new DmaEmulator(gup)) {
      CpuMapping m = fs.mmap(ROOT, h, 0, 4 * P, RW, 0);
      PinVector pin = gup.owner("nvme0-queue").newPinVector();
      gup.pinUserPages(pin, m, P, 2, Gup.FOLL_WRITE);
      emulator.createDevice(DeviceSpec.named("nvme0")).write(m, P, dma)
          .get(30, TimeUnit.SECONDS);
      gup.unpinUserPages(pin, true);
      m.close();
      fs.fsync(h, false);
    }
    for (CrashImage image : region.crashPoint(CrashImageOptions.DEFAULT.withSamples(SAMPLES))
        .images()) {
      DaxFs after = DaxFs.mount(image, MountOptions.defaults());
      FileHandle r = after.open(ROOT, "/f", FileHandle.O_RDONLY, 0);
      ByteBuffer got = ByteBuffer.allocate(2 * P);
      after.read(r, P, got);
      assertArrayEquals(dma, got.array(), "image " + image.index());
      assertEquals(0, Scrub.run(after).staleBlocks, "image " + image.index());
      after.unmount();
    }
  }
}
