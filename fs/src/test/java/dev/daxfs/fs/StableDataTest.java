package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Data checksums that never lie: verification, stale marks, and fsync of pinned pages. */
class StableDataTest {

  private static final int P = 4096;

  private static DaxFs mount(PmemRegion r, MountOptions o) {
    return DaxFs.mount(r, o.backgroundCleaning(false));
  }

  private static DaxFs checksummed(PmemRegion r, MountOptions o) {
    DaxFs.mkfs(r, MkfsOptions.defaults().dataChecksums(true));
    return mount(r, o);
  }

  private static long block(DaxFs fs, long ino, long page) {
    return BlockMap.block(fs.volume().cache.get(ino).blocks.get(page));
  }

  private static boolean stale(DaxFs fs, long ino, long page) {
    return BlockMap.isStale(fs.volume().cache.get(ino).blocks.get(page));
  }

  @Test
  void aCorruptDataBlockFailsOnlyItsOwnReadsAndFsckAndScrubNameIt() {
    HeapRegion region = new HeapRegion(32 << 20);
    DaxFs fs = checksummed(region, MountOptions.defaults());
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    byte[] data = pattern(3 * P, 7);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(data));
    long bad = block(fs, h.ino(), 1);
    region.storeByte(Layout.offset(bad) + 100, (byte) (data[P + 100] ^ 0x40));
    ByteBuffer all = ByteBuffer.allocate(3 * P);
    assertEquals(P, fs.read(h, 0, all), "a read spanning the bad block stops before it");
    assertEquals(Errno.EIO, assertThrows(ErrnoException.class,
        () -> fs.read(h, P, ByteBuffer.allocate(10))).errno());
    ByteBuffer third = ByteBuffer.allocate(P);
    fs.read(h, 2 * P, third);
    assertArrayEquals(java.util.Arrays.copyOfRange(data, 2 * P, 3 * P), third.array());
    assertEquals(1, fs.stats().checksumErrors.sum() >= 1 ? 1 : 0);
    Scrub.Report scrub = Scrub.run(fs);
    assertEquals(1, scrub.mismatches.size());
    assertEquals(bad, scrub.mismatches.get(0).block());
    fs.release(h);
    fs.unmount();
    Fsck.Report fsck = Fsck.check(region, Fsck.Progress.NONE);
    assertEquals(4, fsck.exitCode());
    assertTrue(fsck.problems.toString().contains("block " + bad), fsck.problems.toString());
    assertEquals(1, Scrub.run(region).mismatches.size(), "scrub of the unmounted region");
  }

  @Test
  void aWritableMappingMarksThePageStaleBeforeAnyStoreAndFsyncClearsIt() {
    HeapRegion region = new HeapRegion(32 << 20);
    DaxFs fs = checksummed(region, MountOptions.defaults());
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(2 * P, 1)));
    CpuMapping m = fs.mmap(ROOT, h, 0, 2 * P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    assertFalse(stale(fs, h.ino(), 0));
    m.storeLong(8, 42);
    assertTrue(stale(fs, h.ino(), 0), "the write fault marked page 0 stale");
    assertFalse(stale(fs, h.ino(), 1), "page 1 was never written through the mapping");
    // The bytes changed under the old checksum: a stale page is not verified.
    fs.read(h, 0, ByteBuffer.allocate(P));
    assertEquals(0, Scrub.run(fs).mismatches.size());
    assertEquals(1, Scrub.run(fs).staleBlocks);
    fs.fsync(h, false);
    assertFalse(stale(fs, h.ino(), 0), "fsync after write-protecting cleared the mark");
    Scrub.Report after = Scrub.run(fs);
    assertEquals(0, after.mismatches.size());
    assertEquals(0, after.staleBlocks);
    m.storeLong(16, 43);
    assertTrue(stale(fs, h.ino(), 0), "the next store faulted and marked it again");
    m.close();
    fs.fsync(h, false);
    assertFalse(stale(fs, h.ino(), 0));
  }

  /** Crash images taken right after a store through a fresh writable mapping. */
  private static long falseEios(boolean lateMark) {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(16 << 20));
    TestSwitches sw = new TestSwitches();
    sw.lateStaleMark = lateMark;
    DaxFs fs = checksummed(region, MountOptions.defaults().testSwitches(sw));
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(P, 3)));
    CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    m.storeLong(0, 0x1111111111111111L);
    long eios = 0;
    for (CrashImage image : region.crashPoint().images()) {
      DaxFs after = mount(image, MountOptions.defaults());
      FileHandle r = after.open(ROOT, "/f", FileHandle.O_RDONLY, 0);
      try {
        after.read(r, 0, ByteBuffer.allocate(P));
      } catch (ErrnoException e) {
        assertEquals(Errno.EIO, e.errno());
        eios++;
      }
    }
    return eios;
  }

  @Test
  void noCrashImageReportsAFalseChecksumError() {
    assertEquals(0, falseEios(false));
  }

  @Test
  void aStaleMarkPersistedTooLateGivesFalseEio() {
    assertTrue(falseEios(true) > 0, "the injected bug must show as a false EIO");
  }

  /**
   * Waits until {@code sync} sleeps in the page descriptors' wait for an idle page, where
   * fsync's wait for short-term pins (pinned_fsync=wait) parks: only an unpin lets it go on.
   */
  private static void awaitWaitingForUnpin(Waiting.Op sync) {
    sync.awaitParkedIn("dev.daxfs.dax.PageDescriptors", "awaitIdle");
  }

  @Test
  void fsyncWaitsForAShortTermPinOrProceedsAsTheMountSays() throws Exception {
    for (MountOptions.PinnedFsync policy : MountOptions.PinnedFsync.values()) {
      HeapRegion region = new HeapRegion(32 << 20);
      DaxFs fs = checksummed(region, MountOptions.defaults().pinnedFsync(policy));
      FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
      fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(P, 1)));
      CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
      m.storeLong(0, 5);
      long pfn = block(fs, h.ino(), 0);
      assertTrue(fs.pageDescriptors().tryPin(pfn), "a device pins the page for a transfer");
      m.close();
      Waiting.Op sync = new Waiting.Op("fsync", () -> fs.fsync(h, false));
      if (policy == MountOptions.PinnedFsync.WAIT) {
        awaitWaitingForUnpin(sync);
        assertFalse(sync.isDone(), "fsync waits for the unpin");
        assertTrue(stale(fs, h.ino(), 0), "the page stays stale while the device holds it");
        fs.pageDescriptors().unpin(pfn);
        sync.join();
        assertFalse(stale(fs, h.ino(), 0), "the mark cleared once the device let go");
      } else {
        sync.join();
        assertTrue(stale(fs, h.ino(), 0), "proceed leaves the pinned page stale");
        fs.pageDescriptors().unpin(pfn);
        fs.fsync(h, false);
        assertFalse(stale(fs, h.ino(), 0));
      }
    }
  }

  /**
   * A device writes the page while fsync waits for it and unpins it dirty, as gup's unpin does:
   * the fsync that waited clears the mark, and every crash image taken right after it returns
   * holds the device's bytes under a checksum that verifies.
   */
  @Test
  void anFsyncThatWaitedMakesTheDevicesWriteDurableAndClearsTheMark() throws Exception {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(16 << 20));
    DaxFs fs = checksummed(region, MountOptions.defaults());
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(P, 1)));
    CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    m.storeLong(0, 5); // the write fault a FOLL_WRITE pin takes marks the page stale
    long pfn = block(fs, h.ino(), 0);
    assertTrue(fs.pageDescriptors().tryPin(pfn), "a device pins the page for a transfer");
    Waiting.Op sync = new Waiting.Op("fsync", () -> fs.fsync(h, false));
    awaitWaitingForUnpin(sync);
    assertFalse(sync.isDone(), "fsync waits for the unpin");
    byte[] dma = pattern(P, 9);
    region.store(Layout.offset(pfn), ByteBuffer.wrap(dma)); // the device's write, not flushed
    fs.volume().cache.get(h.ino()).dax.markDirty(0, pfn);
    fs.pageDescriptors().unpin(pfn);
    sync.join();
    assertFalse(stale(fs, h.ino(), 0), "the fsync that waited cleared the mark");
    int images = 0;
    for (CrashImage image : region.crashPoint().images()) {
      DaxFs after = mount(image, MountOptions.defaults());
      FileHandle r = after.open(ROOT, "/f", FileHandle.O_RDONLY, 0);
      ByteBuffer got = ByteBuffer.allocate(P);
      after.read(r, 0, got);
      assertArrayEquals(dma, got.array(), "the device's write survives the crash");
      images++;
    }
    assertTrue(images > 0);
    m.close();
  }

  @Test
  void fsyncNeverWaitsForALongTermPinUnderALease() throws Exception {
    HeapRegion region = new HeapRegion(32 << 20);
    DaxFs fs = checksummed(region, MountOptions.defaults());
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(P, 1)));
    LayoutLease lease = fs.acquireLease(ROOT, h, 0, P, "rdma-nic");
    CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    m.storeLong(0, 9);
    long pfn = block(fs, h.ino(), 0);
    assertTrue(fs.pageDescriptors().tryPin(pfn), "a long-term registration");
    new Waiting.Op("fsync", () -> fs.fsync(h, false)).join();
    assertTrue(stale(fs, h.ino(), 0), "a long-term pinned page stays stale");
    fs.pageDescriptors().unpin(pfn);
    lease.close();
    m.close();
    fs.fsync(h, false);
    assertFalse(stale(fs, h.ino(), 0));
  }
}
