package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** mmap through the DAX layer: faults, allocation, durability, and layout breaks. */
class MmapTest {

  private static final Cred ROOT = Cred.root();
  private static final int P = 4096;

  private HeapRegion region;
  private DaxFs fs;
  private FileHandle h;

  @BeforeEach
  void setUp() {
    region = new HeapRegion(32 << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    fs = DaxFs.mount(region, MountOptions.defaults());
    h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
  }

  private long blockOf(long page) {
    return BlockMap.block(fs.volume().cache.get(h.ino()).blocks.get(page));
  }

  private byte[] read(long off, int len) {
    ByteBuffer b = ByteBuffer.allocate(len);
    fs.read(h, off, b);
    return b.array();
  }

  @Test
  void storesThroughTheMappingAreTheFilesBytes() throws Exception {
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(4 * P));
    long free = fs.statfs().freeBlocks();
    CpuMapping m = fs.mmap(ROOT, h, 0, 4 * P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    assertEquals(0, m.loadLong(P + 8), "a hole reads zero");
    assertEquals(free, fs.statfs().freeBlocks(), "a read fault on a hole allocates nothing");
    m.storeLong(P + 8, 0x1122334455667788L);
    assertEquals(free - 1, fs.statfs().freeBlocks(), "a write fault allocated one block");
    byte[] got = read(P + 8, 8);
    assertEquals(0x1122334455667788L, ByteBuffer.wrap(got).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .getLong());
    fs.write(ROOT, h, P + 16, ByteBuffer.wrap(new byte[] {9, 9}));
    assertEquals(9, m.loadByte(P + 16), "write() into a mapped page goes in place");
    fs.fsync(h, false);
    m.close();
    // A crash now (mount without unmount) keeps the fsynced store and the allocation.
    DaxFs again = DaxFs.mount(region, MountOptions.defaults());
    FileHandle h2 = again.open(ROOT, "/f", FileHandle.O_RDONLY, 0);
    ByteBuffer b = ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    again.read(h2, P + 8, b);
    assertEquals(0x1122334455667788L, b.getLong(0));
    assertEquals(9, b.get(8));
  }

  @Test
  void accessBeyondEndOfFileIsSigbus() {
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(P));
    CpuMapping m = fs.mmap(ROOT, h, 0, 4 * P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    m.storeLong(0, 1);
    ErrnoException e = assertThrows(ErrnoException.class, () -> m.loadLong(2 * P));
    assertEquals(Errno.EFAULT, e.errno());
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(0));
    assertThrows(ErrnoException.class, () -> m.loadLong(0), "truncate unmapped the page");
    m.close();
  }

  @Test
  void aWriteMovesAPageNoMappingHoldsButWritesAMappedPageInPlace() {
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[2 * P]));
    long before0 = blockOf(0);
    long before1 = blockOf(1);
    CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ, 0);
    m.loadByte(0);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[] {1}));
    fs.write(ROOT, h, P, ByteBuffer.wrap(new byte[] {2}));
    assertEquals(before0, blockOf(0), "page 0 is mapped: written in place");
    assertNotEquals(before1, blockOf(1), "page 1 is not: copied");
    assertEquals(1, m.loadByte(0));
    m.close();
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[] {3}));
    assertNotEquals(before0, blockOf(0), "unmapped, page 0 moves again");
  }

  @Test
  void aPinnedPageIsWrittenInPlaceAndTruncateWaitsForTheUnpin() throws Exception {
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[2 * P]));
    CpuMapping m = fs.mmap(ROOT, h, 0, 2 * P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    m.storeByte(P, (byte) 1);
    long pfn = blockOf(1);
    PageDescriptors pages = fs.pageDescriptors();
    assertTrue(pages.tryPin(pfn), "a device pins page 1");
    m.close(); // the pin outlives the mapping, as in Linux
    fs.write(ROOT, h, P, ByteBuffer.wrap(new byte[] {5}));
    assertEquals(pfn, blockOf(1), "a pinned page is never moved");
    Waiting.Op truncate = new Waiting.Op("truncate",
        () -> fs.setattr(ROOT, h.ino(), SetAttr.create().size(P)));
    Waiting.until(() -> fs.stats().layoutWaitsInProgress.get() == 1,
        "the truncate waiting in its layout break for the pinned page");
    assertFalse(truncate.isDone(), "truncate waits while DMA may write");
    assertEquals(2 * P, fs.getattr(h.ino()).size());
    assertFalse(fs.volume().allocator.isFree(pfn, 1), "the pinned block is not free");
    pages.unpin(pfn);
    truncate.join();
    assertEquals(0, fs.stats().layoutWaitsInProgress.get());
    assertEquals(P, fs.getattr(h.ino()).size());
    assertTrue(fs.volume().allocator.isFree(pfn, 1), "freed after the unpin");
    assertTrue(fs.stats().layoutWaits.sum() >= 1);
  }

  @Test
  void withoutTheLayoutBreakTruncateFreesAPinnedBlock() {
    TestSwitches bug = new TestSwitches();
    bug.skipLayoutBreak = true;
    fs.unmount();
    fs = DaxFs.mount(region, MountOptions.defaults().testSwitches(bug).testHarnessRegion());
    h = fs.open(ROOT, "/f", FileHandle.O_RDWR, 0);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[2 * P]));
    CpuMapping m = fs.mmap(ROOT, h, 0, 2 * P, CpuMapping.PROT_READ, 0);
    m.loadByte(P);
    long pfn = blockOf(1);
    assertTrue(fs.pageDescriptors().tryPin(pfn));
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(P));
    assertTrue(fs.volume().allocator.isFree(pfn, 1),
        "the switch proves the protection: a block a device pins went back to the allocator");
    fs.pageDescriptors().unpin(pfn);
    m.close();
  }

  @Test
  void anInterruptedWaitIsEintrAndChangesNothing() throws Exception {
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[2 * P]));
    CpuMapping m = fs.mmap(ROOT, h, 0, 2 * P, CpuMapping.PROT_READ, 0);
    m.loadByte(P);
    long pfn = blockOf(1);
    assertTrue(fs.pageDescriptors().tryPin(pfn));
    Waiting.Op punch = new Waiting.Op("punch", () -> {
      FileHandle w = fs.open(ROOT, "/f", FileHandle.O_RDWR, 0);
      fs.fallocate(ROOT, w, FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, P, P);
    });
    Waiting.until(() -> fs.stats().layoutWaitsInProgress.get() == 1,
        "the punch waiting in its layout break for the pinned page");
    assertFalse(punch.isDone(), "the punch waits for the pin");
    punch.interrupt();
    ErrnoException e = assertThrows(ErrnoException.class, punch::join);
    assertEquals(Errno.EINTR, e.errno());
    assertEquals(pfn, blockOf(1), "the punch changed nothing");
    assertEquals(0, fs.stats().layoutWaitsInProgress.get());
    assertEquals(1, fs.stats().layoutWaitsInterrupted.sum());
    assertEquals(0, fs.stats().layoutWaitsTimedOut.sum());
    fs.pageDescriptors().unpin(pfn);
    m.close();
  }

  @Test
  void anUnlinkedMappedFileLivesUntilTheMappingCloses() {
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[] {4, 2}));
    CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ, 0);
    fs.release(h);
    fs.unlink(ROOT, "/f");
    assertEquals(4, m.loadByte(0));
    long free = fs.statfs().freeBlocks();
    m.close();
    assertTrue(fs.statfs().freeBlocks() > free, "closing the last mapping freed the file");
  }

  @Test
  void fsyncWriteProtectsSoTheNextStoreFaultsAgain() {
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(P));
    CpuMapping m = fs.mmap(ROOT, h, 0, P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    m.storeLong(0, 7);
    long dirtyBefore = fs.volume().cache.get(h.ino()).dax.entry(0).dirty() ? 1 : 0;
    assertEquals(1, dirtyBefore);
    fs.fsync(h, false);
    assertFalse(fs.volume().cache.get(h.ino()).dax.entry(0).dirty());
    m.storeLong(8, 8);
    assertTrue(fs.volume().cache.get(h.ino()).dax.entry(0).dirty(), "the store re-dirtied it");
    assertArrayEquals(new byte[] {7, 0, 0, 0, 0, 0, 0, 0, 8}, read(0, 9));
    m.close();
  }

  @Test
  void mappingNeedsAMatchingAccessMode() {
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[] {1}));
    FileHandle ro = fs.open(ROOT, "/f", FileHandle.O_RDONLY, 0);
    ErrnoException e = assertThrows(ErrnoException.class, () -> fs.mmap(ROOT, ro, 0, P,
        CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0));
    assertEquals(Errno.EACCES, e.errno());
    fs.mkdir(ROOT, "/d", 0755);
    FileHandle dh = fs.open(ROOT, "/d", FileHandle.O_RDONLY, 0);
    assertEquals(Errno.ENODEV, assertThrows(ErrnoException.class,
        () -> fs.mmap(ROOT, dh, 0, P, CpuMapping.PROT_READ, 0)).errno());
  }
}
