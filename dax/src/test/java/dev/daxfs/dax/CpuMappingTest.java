package dev.daxfs.dax;

import static dev.daxfs.dax.TestFile.PAGE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CpuMappingTest {

  private final TestFile f = new TestFile(8);

  @Test
  void aReadFaultOnAHoleSeesZeroesWithoutAllocating() throws Exception {
    CpuMapping m = f.mapRw(8);
    long free = f.allocator.available();
    assertEquals(0L, m.loadLong(3 * PAGE + 16));
    assertEquals(free, f.allocator.available());
    assertEquals(0, f.blocks.writeMaps());
    assertTrue(Pte.zeroPage(m.pte(3)));
    assertEquals(DaxEntry.Kind.ZERO, f.space.entry(3).kind());
  }

  @Test
  void aWriteFaultAllocatesDirtiesAndTakesTheMappingsReference() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(2 * PAGE + 8, 0x1122334455667788L);
    long pfn = f.blocks.blockOf(2);
    assertTrue(pfn > 0);
    assertEquals(0x1122334455667788L, f.region.loadLong(pfn * PAGE + 8), "the store went to the block");
    assertEquals(0x1122334455667788L, m.loadLong(2 * PAGE + 8));
    DaxEntry e = f.space.entry(2);
    assertEquals(DaxEntry.Kind.PAGE, e.kind());
    assertEquals(pfn, e.pfn());
    assertTrue(e.dirty());
    assertFalse(e.locked());
    assertTrue(Pte.writable(m.pte(2)));
    assertEquals(1, f.pages.refcount(pfn));
    assertEquals(1, f.pages.mapcount(pfn));
    assertTrue(f.pages.isOwnedBy(pfn, 7, 2));
  }

  @Test
  void storesAndLoadsCrossPages() throws Exception {
    CpuMapping m = f.mapRw(8);
    byte[] data = new byte[3 * PAGE];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + 7);
    }
    m.store(PAGE - 100, data, 0, data.length);
    byte[] back = new byte[data.length];
    m.load(PAGE - 100, back, 0, back.length);
    assertArrayEquals(data, back);
    m.storeLong(2 * PAGE - 3, -2L);
    assertEquals(-2L, m.loadLong(2 * PAGE - 3));
    assertEquals(-1, m.loadInt(2 * PAGE - 2));
    m.storeByte(5, (byte) 42);
    assertEquals(42, m.loadByte(5));
  }

  @Test
  void aReadFaultMapsReadOnlyAndTheFirstStoreTakesAWriteFault() throws Exception {
    CpuMapping writer = f.mapRw(8);
    writer.storeLong(0, 1);
    f.space.writeback(0, 8);
    CpuMapping reader = f.mapRw(8);
    assertEquals(1, reader.loadLong(0));
    assertTrue(Pte.present(reader.pte(0)));
    assertFalse(Pte.writable(reader.pte(0)));
    long before = f.blocks.writeMaps();
    reader.storeLong(0, 2);
    assertEquals(before + 1, f.blocks.writeMaps(), "every write fault asks the filesystem");
    assertTrue(f.space.entry(0).dirty());
    assertEquals(2, writer.loadLong(0));
    assertEquals(2, f.pages.mapcount(f.blocks.blockOf(0)));
  }

  @Test
  void writingAHoleReplacesTheZeroPageInOtherMappings() throws Exception {
    CpuMapping reader = f.mapRw(8);
    CpuMapping writer = f.mapRw(8);
    assertEquals(0, reader.loadLong(4 * PAGE));
    writer.storeLong(4 * PAGE, 99);
    assertFalse(Pte.present(reader.pte(4)), "the zero page was unmapped");
    assertEquals(99, reader.loadLong(4 * PAGE));
  }

  @Test
  void anUnwrittenExtentReadsZeroUntilWritten() throws Exception {
    long pfn = f.blocks.allocateUnwritten(1);
    f.region.fill(pfn * PAGE, PAGE, (byte) 0x5A);
    CpuMapping m = f.mapRw(8);
    assertEquals(0, m.loadLong(PAGE + 64), "stale block contents must not show");
    m.storeByte(PAGE, (byte) 1);
    assertEquals(pfn, f.blocks.blockOf(1), "the preallocated block is written in place");
    assertEquals(1, m.loadByte(PAGE));
    assertEquals(0, m.loadLong(PAGE + 64), "conversion zeroed the rest");
  }

  @Test
  void accessBeyondEndOfFileIsSigbus() throws Exception {
    CpuMapping m = f.space.mmap(0, 16L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    ErrnoException r = assertThrows(ErrnoException.class, () -> m.loadLong(8L * PAGE));
    assertEquals(Errno.EFAULT, r.errno());
    assertTrue(r.getMessage().startsWith("SIGBUS"), r.getMessage());
    ErrnoException w = assertThrows(ErrnoException.class, () -> m.storeLong(9L * PAGE, 1));
    assertEquals(Errno.EFAULT, w.errno());
    assertEquals(f.pages.pageCount() - 1, f.allocator.available(), "nothing allocated beyond EOF");
  }

  @Test
  void accessOutsideTheMappingIsSigsegv() throws Exception {
    CpuMapping m = f.mapRw(2);
    ErrnoException e = assertThrows(ErrnoException.class, () -> m.loadLong(2L * PAGE));
    assertEquals(Errno.EFAULT, e.errno());
    assertTrue(e.getMessage().startsWith("SIGSEGV"), e.getMessage());
    assertThrows(ErrnoException.class, () -> m.loadLong(-8));
    assertThrows(ErrnoException.class, () -> m.loadLong(2L * PAGE - 4));
  }

  @Test
  void aReadOnlyMappingRefusesStores() throws Exception {
    CpuMapping m = f.space.mmap(0, 8L * PAGE, CpuMapping.PROT_READ, 0);
    assertEquals(0, m.loadLong(0));
    ErrnoException e = assertThrows(ErrnoException.class, () -> m.storeLong(0, 1));
    assertEquals(Errno.EFAULT, e.errno());
    assertEquals(0, f.blocks.writeMaps());
  }

  @Test
  void mmapRejectsBadArguments() {
    assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> f.space.mmap(100, PAGE, 1, 0)).errno());
    assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> f.space.mmap(0, 0, 1, 0)).errno());
    assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> f.space.mmap(0, PAGE, 0, 0)).errno());
    assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> f.space.mmap(0, PAGE, 1, 0x10)).errno());
  }

  @Test
  void aMappingAtAnOffsetShowsThoseFilePages() throws Exception {
    CpuMapping whole = f.mapRw(8);
    whole.storeLong(5L * PAGE, 55);
    CpuMapping tail = f.space.mmap(4L * PAGE, 4L * PAGE, CpuMapping.PROT_READ, 0);
    assertEquals(5, tail.fileIndex(1));
    assertEquals(55, tail.loadLong(PAGE));
  }

  @Test
  void mapSyncMakesMetadataDurableBeforeThePageIsWritable() throws Exception {
    CpuMapping plain = f.mapRw(8);
    plain.storeLong(0, 1);
    assertEquals(0, f.blocks.metadataSyncs());
    CpuMapping sync =
        f.space.mmap(0, 8L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, CpuMapping.MAP_SYNC);
    assertTrue(sync.mapSync());
    sync.storeLong(PAGE, 2);
    assertEquals(1, f.blocks.metadataSyncs());
    assertTrue(f.blocks.mapRead(1).metadataDurable());
    // The page written through the plain mapping still has volatile metadata: the sync mapping's
    // first write fault on it must persist it too.
    sync.storeLong(8, 3);
    assertEquals(2, f.blocks.metadataSyncs());
    sync.storeLong(PAGE + 8, 4);
    assertEquals(2, f.blocks.metadataSyncs(), "no fault, no sync");
  }

  @Test
  void munmapDropsReferencesAndLaterAccessFails() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    m.storeLong(PAGE, 2);
    long p0 = f.blocks.blockOf(0);
    long p1 = f.blocks.blockOf(1);
    m.munmap(PAGE, PAGE);
    assertEquals(1, f.pages.refcount(p0));
    assertTrue(f.pages.isIdle(p1));
    assertEquals(Errno.EFAULT, assertThrows(ErrnoException.class, () -> m.loadLong(PAGE)).errno());
    assertEquals(1, m.loadLong(0));
    assertEquals(1, f.space.mappings().size());
    m.munmap(0, PAGE);
    m.munmap(2L * PAGE, 6L * PAGE);
    assertTrue(f.pages.isIdle(p0));
    assertTrue(f.space.mappings().isEmpty(), "a fully unmapped mapping leaves the list");
    assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> m.munmap(1, PAGE)).errno());
  }

  @Test
  void closeUnmapsEverything() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    m.close();
    assertTrue(f.pages.isIdle(f.blocks.blockOf(0)));
    assertTrue(f.space.mappings().isEmpty());
    assertThrows(ErrnoException.class, () -> m.loadLong(0));
  }

  @Test
  void aPoisonedBlockFaultsWithEio() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    long pfn = f.blocks.blockOf(0);
    f.space.writeback(0, 8);
    m.close();
    f.region.poison(pfn * PAGE + 128, 64);
    CpuMapping again = f.mapRw(8);
    ErrnoException e = assertThrows(ErrnoException.class, () -> again.loadLong(0));
    assertEquals(Errno.EIO, e.errno());
  }

  @Test
  void aLoadOfAPoisonedLineInAMappedPageIsEio() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    long pfn = f.blocks.blockOf(0);
    f.region.poison(pfn * PAGE + 256, 64);
    assertEquals(1, m.loadLong(0), "other lines still read");
    assertEquals(Errno.EIO, assertThrows(ErrnoException.class, () -> m.loadLong(256)).errno());
    byte[] line = new byte[64];
    Arrays.fill(line, (byte) 3);
    m.store(256, line, 0, 64);
    assertEquals(0x0303030303030303L, m.loadLong(256), "a whole-line store clears the poison");
  }

  @Test
  void flushWritesBackMappedLines() throws Exception {
    FlushCountingRegion region = new FlushCountingRegion(64L * PAGE);
    TestFile g = new TestFile(region, 4);
    CpuMapping m = g.mapRw(4);
    m.storeLong(PAGE + 8, 5);
    region.reset();
    m.flush(PAGE, 2L * PAGE);
    assertEquals(java.util.Set.of(g.blocks.blockOf(1)), region.flushedPages);
    assertEquals(1, region.fences.get());
  }

  @Test
  void grabFastPinsThroughAnInstalledPteAndLeavesEverythingElseToTheSlowPath() throws Exception {
    CpuMapping m = f.mapRw(8);
    assertEquals(CpuMapping.NOT_FAST, m.grabFast(1, false, PageGrab.PIN), "no pte yet");
    m.loadLong(3 * PAGE);
    assertEquals(Pte.ZERO_PFN, m.grabFast(3, false, PageGrab.PIN), "a read pin of a hole");
    assertEquals(CpuMapping.NOT_FAST, m.grabFast(3, true, PageGrab.PIN), "a write pin needs a write fault");
    m.storeLong(2 * PAGE, 5);
    long pfn = f.blocks.blockOf(2);
    assertEquals(pfn, m.grabFast(2, true, PageGrab.PIN));
    assertEquals(1, f.pages.pinCount(pfn));
    assertEquals(1 + PageDescriptors.GUP_PIN_COUNTING_BIAS, f.pages.refcount(pfn));
    assertEquals(pfn, m.grabFast(2, false, PageGrab.GET));
    assertEquals(2 + PageDescriptors.GUP_PIN_COUNTING_BIAS, f.pages.refcount(pfn));
    f.pages.put(pfn);
    f.pages.unpin(pfn);
    assertEquals(1, f.pages.refcount(pfn));
    m.munmap(2 * PAGE, PAGE);
    assertEquals(CpuMapping.NOT_FAST, m.grabFast(2, false, PageGrab.PIN), "a cleared pte");
    assertEquals(0, f.pages.refcount(pfn), "and nothing taken on the way");
    assertThrows(IndexOutOfBoundsException.class, () -> m.grabFast(8, false, PageGrab.PIN));
  }
}
