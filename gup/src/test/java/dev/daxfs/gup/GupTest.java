package dev.daxfs.gup;

import static dev.daxfs.gup.GupFile.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.LongTermPinRequest;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.dax.PageRefMisuseException;
import dev.daxfs.dax.Pte;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GupTest {

  private final GupFile f = new GupFile(8);
  private final Gup gup = new Gup();
  private final PinOwner nic = gup.owner("nic0");

  private Errno errno(ThrowingRunnable r) {
    return assertThrows(ErrnoException.class, r::run).errno();
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** A fresh vector of nic0 filled by one pin. */
  private PinVector pin(CpuMapping m, long start, int nrPages, int flags) throws ErrnoException {
    PinVector v = nic.newPinVector();
    gup.pinUserPages(v, m, start, nrPages, flags);
    return v;
  }

  @Test
  void aPinThroughAnInstalledPteTakesTheBiasAndCounts() throws Exception {
    CpuMapping m = f.populated(8);
    long pfn = f.blocks.blockOf(2);
    PinVector h = pin(m, 2L * PAGE, 1, 0);
    assertEquals(pfn, h.pfn(0));
    assertEquals(2, h.fileIndex(0));
    assertEquals(1 + PageDescriptors.GUP_PIN_COUNTING_BIAS, f.pages.refcount(pfn));
    assertEquals(1, f.pages.pinCount(pfn));
    assertTrue(f.pages.maybeDmaPinned(pfn));
    assertTrue(f.pages.isDmaBusy(pfn));
    assertEquals(new GupStats(1, 0, 0, Map.of("nic0", 1L)), gup.stats());
    gup.unpinUserPages(h, false);
    assertEquals(1, f.pages.refcount(pfn), "only the mapping's reference is left");
    assertTrue(h.isEmpty());
    assertEquals(new GupStats(1, 1, 0, Map.of("nic0", 0L)), gup.stats());
  }

  @Test
  void theSlowPathFaultsInAndAllocatesForWrite() throws Exception {
    CpuMapping m = f.mapRw(8);
    PinVector h = pin(m, 0, 3, Gup.FOLL_WRITE);
    for (int i = 0; i < 3; i++) {
      long pfn = f.blocks.blockOf(i);
      assertEquals(pfn, h.pfn(i));
      assertTrue(Pte.writable(m.pte(i)));
      assertTrue(f.space.entry(i).dirty());
      assertEquals(1, f.pages.pinCount(pfn));
    }
    assertTrue(h.writable());
    gup.unpinUserPages(h, true);
    assertEquals(3, gup.stats().pinsReleased());
  }

  @Test
  void aReadPinOfAHolePinsTheZeroPageWithoutAllocating() throws Exception {
    CpuMapping m = f.mapRw(8);
    PinVector h = pin(m, 4L * PAGE, 2, 0);
    assertEquals(Pte.ZERO_PFN, h.pfn(0));
    assertEquals(-1, f.blocks.blockOf(4));
    gup.unpinUserPages(h, true);
    assertEquals(0, f.pages.misuseEvents());
  }

  @Test
  void aForWritePinAfterFsyncTakesAWriteFaultThatDirtiesTheEntry() throws Exception {
    CpuMapping m = f.populated(8);
    assertEquals(8, f.space.writeback(0, 8));
    assertFalse(f.space.entry(1).dirty());
    long maps = f.blocks.writeMaps();
    PinVector read = pin(m, PAGE, 1, 0);
    assertEquals(maps, f.blocks.writeMaps(), "a read pin goes through the read-only pte");
    assertFalse(f.space.entry(1).dirty());
    PinVector write = pin(m, PAGE, 1, Gup.FOLL_WRITE);
    assertEquals(maps + 1, f.blocks.writeMaps(), "FOLL_WRITE on a write-protected pte faults");
    assertTrue(f.space.entry(1).dirty());
    gup.unpinUserPages(read, false);
    gup.unpinUserPages(write, false);
  }

  @Test
  void unpinDirtyMarksTheEntryDirty() throws Exception {
    CpuMapping m = f.populated(8);
    PinVector h = pin(m, 0, 2, Gup.FOLL_WRITE);
    f.space.writeback(0, 8);
    assertFalse(f.space.entry(0).dirty());
    gup.unpinUserPages(h, true);
    assertTrue(f.space.entry(0).dirty());
    assertTrue(f.space.entry(1).dirty());
  }

  @Test
  void aSecondUnpinIsMisuseAndReleasesNothing() throws Exception {
    CpuMapping m = f.populated(8);
    List<String> reports = new ArrayList<>();
    f.pages.setMisuseListener((pfn, d) -> reports.add(d));
    PinVector a = pin(m, 0, 1, 0);
    PinVector b = pin(m, 0, 1, 0);
    gup.unpinUserPages(a, false);
    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> gup.unpinUserPages(a, false));
    assertTrue(e.getMessage().startsWith("second unpin of pin 1 of vector #" + a.id()), e.getMessage());
    assertTrue(e.getMessage().endsWith("(unpinned)"), e.getMessage());
    assertEquals(1, reports.size());
    assertEquals(1, gup.stats().misuseEvents());
    assertEquals(1, f.pages.pinCount(b.pfn(0)), "b's pin survived the stray unpin");
    assertEquals(new GupStats(2, 1, 1, Map.of("nic0", 1L)), gup.stats(), "nothing was counted twice");
    gup.unpinUserPages(b, false);
  }

  @Test
  void anUnpinOfAVectorThatNeverHeldAPinIsMisuse() {
    PinVector v = nic.newPinVector();
    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> gup.unpinUserPages(v, true));
    assertTrue(e.getMessage().contains("never pinned"), e.getMessage());
    assertEquals(new GupStats(0, 0, 1, Map.of("nic0", 0L)), gup.stats());
  }

  @Test
  void aVectorIsRefilledPinAfterPin() throws Exception {
    CpuMapping m = f.populated(8);
    PinVector v = nic.newPinVector();
    assertTrue(v.isEmpty());
    assertEquals(0, v.generation());
    gup.pinUserPages(v, m, 2L * PAGE, 1, 0);
    assertEquals(f.blocks.blockOf(2), v.pfn(0));
    assertEquals(1, v.generation());
    gup.unpinUserPages(v, false);
    assertTrue(v.isEmpty());
    assertEquals(0, v.nrPages());
    gup.pinUserPages(v, m, 5L * PAGE, 2, Gup.FOLL_WRITE);
    assertEquals(2, v.nrPages());
    assertEquals(f.blocks.blockOf(6), v.pfn(1));
    assertEquals(6, v.fileIndex(1));
    assertTrue(v.writable());
    assertEquals(2, v.generation());
    assertEquals("pin 2 of vector #" + v.id() + ": 2 pages of inode " + f.space.inode() + " from index 5 held by nic0",
        v.toString());
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(2)), "the first pin was released");
    assertEquals(1, f.pages.pinCount(f.blocks.blockOf(6)));
    gup.unpinUserPages(v, true);
    gup.pinUserPages(v, m, 7L * PAGE, 1, 0);
    assertEquals(1, v.nrPages(), "a one-page pin after a two-page one holds one page");
    gup.unpinUserPages(v, false);
    assertEquals(new GupStats(4, 4, 0, Map.of("nic0", 0L)), gup.stats());
  }

  @Test
  void pinningIntoAVectorThatStillHoldsPinsIsMisuse() throws Exception {
    CpuMapping m = f.populated(8);
    List<String> reports = new ArrayList<>();
    f.pages.setMisuseListener((pfn, d) -> reports.add(d));
    PinVector v = pin(m, 0, 1, 0);
    long pfn = v.pfn(0);
    PageRefMisuseException one = assertThrows(PageRefMisuseException.class, () -> gup.pinUserPages(v, m, PAGE, 1, 0));
    assertTrue(one.getMessage().startsWith("pin into a vector that still holds pin 1 of vector #"), one.getMessage());
    assertThrows(PageRefMisuseException.class, () -> gup.pinUserPages(v, m, PAGE, 3, Gup.FOLL_WRITE));
    assertEquals(2, reports.size());
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(1)), "the refused pins took nothing");
    assertEquals(pfn, v.pfn(0), "the vector still holds its pin");
    assertEquals(1, v.generation());
    assertEquals(new GupStats(1, 0, 2, Map.of("nic0", 1L)), gup.stats());
    gup.unpinUserPages(v, false);
    assertEquals(0, f.pages.pinCount(pfn));
  }

  @Test
  void anUnpinOfAPageThatLostItsPinIsMisuseAndEmptiesTheVector() throws Exception {
    CpuMapping m = f.populated(8);
    PinVector v = pin(m, 3L * PAGE, 1, 0);
    long pfn = v.pfn(0);
    f.pages.unpin(pfn); // a stray unpin that bypassed the vector
    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> gup.unpinUserPages(v, false));
    assertEquals(pfn, e.pfn());
    assertTrue(e.getMessage().contains("which has no pin"), e.getMessage());
    assertTrue(v.isEmpty(), "the vector's pin is gone all the same");
    assertEquals(1, f.pages.refcount(pfn), "the refused unpin left the mapping's reference");
    assertEquals(1, gup.stats().misuseEvents());
    assertEquals(0, gup.stats().outstanding(), "the vector counted its pin released");
  }

  @Test
  void aVectorMayMoveToAnotherThread() throws Exception {
    CpuMapping m = f.populated(8);
    PinVector v = pin(m, 0, 1, 0);
    Thread unpinner = new Thread(() -> gup.unpinUserPages(v, false), "unpinner");
    unpinner.start();
    unpinner.join();
    assertTrue(v.isEmpty());
    assertEquals(new GupStats(1, 1, 0, Map.of("nic0", 0L)), gup.stats(), "the other thread's unpin counted");
    gup.pinUserPages(v, m, 0, 1, 0);
    gup.unpinUserPages(v, false);
    assertEquals(new GupStats(2, 2, 0, Map.of("nic0", 0L)), gup.stats());
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(0)));
  }

  @Test
  void getsAndPinsNeverMix() throws Exception {
    CpuMapping m = f.populated(8);
    PageRefs refs = gup.getUserPages(m, 0, 2, 0);
    long pfn = refs.pfn(0);
    assertEquals(2, f.pages.refcount(pfn));
    assertFalse(f.pages.maybeDmaPinned(pfn));
    assertThrows(PageRefMisuseException.class, () -> f.pages.unpin(pfn), "a get cannot be unpinned");
    gup.putUserPages(refs);
    assertEquals(1, f.pages.refcount(pfn));
    assertThrows(PageRefMisuseException.class, () -> gup.putUserPages(refs));
    PinVector h = pin(m, 0, 1, 0);
    assertThrows(PageRefMisuseException.class, () -> f.pages.put(pfn), "a pin cannot be put");
    gup.unpinUserPages(h, false);
  }

  @Test
  void badArgumentsAreEinval() throws Exception {
    CpuMapping m = f.populated(8);
    assertEquals(Errno.EINVAL, errno(() -> pin(m, 100, 1, 0)));
    assertEquals(Errno.EINVAL, errno(() -> pin(m, 0, 0, 0)));
    assertEquals(Errno.EINVAL, errno(() -> pin(m, -PAGE, 1, 0)));
    assertEquals(Errno.EINVAL, errno(() -> pin(m, 0, 1, Gup.FOLL_GET)));
    assertEquals(Errno.EINVAL, errno(() -> pin(m, 0, 1, 1 << 20)));
    assertEquals(Errno.EINVAL, errno(() -> gup.getUserPages(m, 0, 1, Gup.FOLL_PIN)));
    assertEquals(new GupStats(0, 0, 0, Map.of("nic0", 0L)), gup.stats());
  }

  @Test
  void outsideTheMappingOrBeyondEofIsEfault() throws Exception {
    CpuMapping m = f.space.mmap(0, 16L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    assertEquals(Errno.EFAULT, errno(() -> pin(m, 15L * PAGE, 2, 0)));
    assertEquals(Errno.EFAULT, errno(() -> pin(m, 8L * PAGE, 1, Gup.FOLL_WRITE)));
    m.munmap(2L * PAGE, PAGE);
    assertEquals(Errno.EFAULT, errno(() -> pin(m, 2L * PAGE, 1, 0)));
    CpuMapping ro = f.space.mmap(0, 8L * PAGE, CpuMapping.PROT_READ, 0);
    assertEquals(Errno.EFAULT, errno(() -> pin(ro, 0, 1, Gup.FOLL_WRITE)));
  }

  @Test
  void aPartialPinIsUndoneBeforeTheErrorReturns() throws Exception {
    CpuMapping m = f.space.mmap(0, 16L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    for (int i = 0; i < 8; i++) {
      m.storeLong((long) i * PAGE, 1);
    }
    // Pages 4..7 pin (fast path), page 8 is beyond end of file.
    assertEquals(Errno.EFAULT, errno(() -> pin(m, 4L * PAGE, 6, Gup.FOLL_WRITE)));
    for (int i = 4; i < 8; i++) {
      assertEquals(0, f.pages.pinCount(f.blocks.blockOf(i)));
      assertEquals(1, f.pages.refcount(f.blocks.blockOf(i)));
    }
    assertEquals(0, gup.stats().pinsAcquired());
  }

  @Test
  void longTermPinsFollowTheAddressSpacesPolicy() throws Exception {
    CpuMapping m = f.populated(8);
    assertEquals(Errno.EOPNOTSUPP, errno(() -> pin(m, 0, 2, Gup.FOLL_LONGTERM | Gup.FOLL_WRITE)));
    assertEquals(1, f.pages.refcount(f.blocks.blockOf(0)), "a refused long-term pin pins nothing");
    Object lease = new Object();
    List<LongTermPinRequest> asked = new ArrayList<>();
    f.space.setLongTermPinPolicy(
        r -> {
          asked.add(r);
          if (r.holder() != lease || r.startIndex() < 2 || r.endIndex() > 4) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "no layout lease covers the range");
          }
        });
    assertEquals(Errno.EOPNOTSUPP, errno(() -> pin(m, 2L * PAGE, 2, Gup.FOLL_LONGTERM)));
    PinVector h = nic.newPinVector();
    gup.pinUserPages(h, m, 2L * PAGE, 2, Gup.FOLL_LONGTERM | Gup.FOLL_WRITE, lease);
    assertTrue(h.longTerm());
    LongTermPinRequest last = asked.get(asked.size() - 1);
    assertEquals(2, last.startIndex());
    assertEquals(4, last.endIndex());
    assertTrue(last.write());
    assertFalse(last.odp());
    gup.unpinUserPages(h, true);
  }

  @Test
  void aPoisonedPageIsEio() throws Exception {
    CpuMapping m = f.populated(8);
    long pfn = f.blocks.blockOf(3);
    m.munmap(3L * PAGE, PAGE);
    CpuMapping fresh = f.mapRw(8);
    f.region.poison(pfn * PAGE + 64, 64);
    assertEquals(Errno.EIO, errno(() -> pin(fresh, 2L * PAGE, 3, 0)));
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(2)), "the partial pin was undone");
  }

  /** A page poisoned after its pte was installed is refused on the fast path too. */
  @Test
  void aMappedPagePoisonedLaterIsEio() throws Exception {
    CpuMapping m = f.populated(8);
    f.region.poison(f.blocks.blockOf(3) * PAGE + 128, 64);
    assertEquals(Errno.EIO, errno(() -> pin(m, 3L * PAGE, 1, 0)));
    assertEquals(Errno.EIO, errno(() -> pin(m, 2L * PAGE, 3, 0)));
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(3)));
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(2)), "the partial pin was undone");
  }

  @Test
  void aPageAtThePinLimitRefusesWithEnomem() throws Exception {
    CpuMapping m = f.populated(8);
    long pfn = f.blocks.blockOf(0);
    for (int i = 0; i < PageDescriptors.MAX_PINS; i++) {
      assertTrue(f.pages.tryPin(pfn));
    }
    assertEquals(Errno.ENOMEM, errno(() -> pin(m, 0, 1, 0)));
    for (int i = 0; i < PageDescriptors.MAX_PINS; i++) {
      f.pages.unpin(pfn);
    }
  }

  @Test
  void ownersBelongToTheirGup() throws Exception {
    CpuMapping m = f.populated(8);
    PinOwner foreign = new Gup().owner("x");
    assertThrows(IllegalArgumentException.class, () -> gup.pinUserPages(foreign.newPinVector(), m, 0, 1, 0));
    assertTrue(gup.owner("nic0") == nic);
  }
}
