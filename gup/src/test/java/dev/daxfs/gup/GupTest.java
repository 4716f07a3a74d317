package dev.daxfs.gup;

import static dev.daxfs.gup.GupFile.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

  @Test
  void aPinThroughAnInstalledPteTakesTheBiasAndCounts() throws Exception {
    CpuMapping m = f.populated(8);
    long pfn = f.blocks.blockOf(2);
    PinHandle h = gup.pinUserPages(nic, m, 2L * PAGE, 1, 0);
    assertEquals(pfn, h.pfn(0));
    assertEquals(2, h.fileIndex(0));
    assertEquals(1 + PageDescriptors.GUP_PIN_COUNTING_BIAS, f.pages.refcount(pfn));
    assertEquals(1, f.pages.pinCount(pfn));
    assertTrue(f.pages.maybeDmaPinned(pfn));
    assertTrue(f.pages.isDmaBusy(pfn));
    assertEquals(new GupStats(1, 0, 0, Map.of("nic0", 1L)), gup.stats());
    gup.unpinUserPages(h, false);
    assertEquals(1, f.pages.refcount(pfn), "only the mapping's reference is left");
    assertTrue(h.isReleased());
    assertEquals(new GupStats(1, 1, 0, Map.of("nic0", 0L)), gup.stats());
  }

  @Test
  void theSlowPathFaultsInAndAllocatesForWrite() throws Exception {
    CpuMapping m = f.mapRw(8);
    PinHandle h = gup.pinUserPages(nic, m, 0, 3, Gup.FOLL_WRITE);
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
    PinHandle h = gup.pinUserPages(nic, m, 4L * PAGE, 2, 0);
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
    PinHandle read = gup.pinUserPages(nic, m, PAGE, 1, 0);
    assertEquals(maps, f.blocks.writeMaps(), "a read pin goes through the read-only pte");
    assertFalse(f.space.entry(1).dirty());
    PinHandle write = gup.pinUserPages(nic, m, PAGE, 1, Gup.FOLL_WRITE);
    assertEquals(maps + 1, f.blocks.writeMaps(), "FOLL_WRITE on a write-protected pte faults");
    assertTrue(f.space.entry(1).dirty());
    gup.unpinUserPages(read, false);
    gup.unpinUserPages(write, false);
  }

  @Test
  void unpinDirtyMarksTheEntryDirty() throws Exception {
    CpuMapping m = f.populated(8);
    PinHandle h = gup.pinUserPages(nic, m, 0, 2, Gup.FOLL_WRITE);
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
    PinHandle a = gup.pinUserPages(nic, m, 0, 1, 0);
    PinHandle b = gup.pinUserPages(nic, m, 0, 1, 0);
    assertNotEquals(a.generation(), b.generation());
    gup.unpinUserPages(a, false);
    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> gup.unpinUserPages(a, false));
    assertTrue(e.getMessage().startsWith("second unpin"), e.getMessage());
    assertEquals(1, reports.size());
    assertEquals(1, gup.stats().misuseEvents());
    assertEquals(1, f.pages.pinCount(a.pfn(0)), "b's pin survived the stray unpin");
    gup.unpinUserPages(b, false);
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
    PinHandle h = gup.pinUserPages(nic, m, 0, 1, 0);
    assertThrows(PageRefMisuseException.class, () -> f.pages.put(pfn), "a pin cannot be put");
    gup.unpinUserPages(h, false);
  }

  @Test
  void badArgumentsAreEinval() throws Exception {
    CpuMapping m = f.populated(8);
    assertEquals(Errno.EINVAL, errno(() -> gup.pinUserPages(nic, m, 100, 1, 0)));
    assertEquals(Errno.EINVAL, errno(() -> gup.pinUserPages(nic, m, 0, 0, 0)));
    assertEquals(Errno.EINVAL, errno(() -> gup.pinUserPages(nic, m, -PAGE, 1, 0)));
    assertEquals(Errno.EINVAL, errno(() -> gup.pinUserPages(nic, m, 0, 1, Gup.FOLL_GET)));
    assertEquals(Errno.EINVAL, errno(() -> gup.pinUserPages(nic, m, 0, 1, 1 << 20)));
    assertEquals(Errno.EINVAL, errno(() -> gup.getUserPages(m, 0, 1, Gup.FOLL_PIN)));
    assertEquals(new GupStats(0, 0, 0, Map.of("nic0", 0L)), gup.stats());
  }

  @Test
  void outsideTheMappingOrBeyondEofIsEfault() throws Exception {
    CpuMapping m = f.space.mmap(0, 16L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    assertEquals(Errno.EFAULT, errno(() -> gup.pinUserPages(nic, m, 15L * PAGE, 2, 0)));
    assertEquals(Errno.EFAULT, errno(() -> gup.pinUserPages(nic, m, 8L * PAGE, 1, Gup.FOLL_WRITE)));
    m.munmap(2L * PAGE, PAGE);
    assertEquals(Errno.EFAULT, errno(() -> gup.pinUserPages(nic, m, 2L * PAGE, 1, 0)));
    CpuMapping ro = f.space.mmap(0, 8L * PAGE, CpuMapping.PROT_READ, 0);
    assertEquals(Errno.EFAULT, errno(() -> gup.pinUserPages(nic, ro, 0, 1, Gup.FOLL_WRITE)));
  }

  @Test
  void aPartialPinIsUndoneBeforeTheErrorReturns() throws Exception {
    CpuMapping m = f.space.mmap(0, 16L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    for (int i = 0; i < 8; i++) {
      m.storeLong((long) i * PAGE, 1);
    }
    // Pages 4..7 pin (fast path), page 8 is beyond end of file.
    assertEquals(Errno.EFAULT, errno(() -> gup.pinUserPages(nic, m, 4L * PAGE, 6, Gup.FOLL_WRITE)));
    for (int i = 4; i < 8; i++) {
      assertEquals(0, f.pages.pinCount(f.blocks.blockOf(i)));
      assertEquals(1, f.pages.refcount(f.blocks.blockOf(i)));
    }
    assertEquals(0, gup.stats().pinsAcquired());
  }

  @Test
  void longTermPinsFollowTheAddressSpacesPolicy() throws Exception {
    CpuMapping m = f.populated(8);
    assertEquals(Errno.EOPNOTSUPP, errno(() -> gup.pinUserPages(nic, m, 0, 2, Gup.FOLL_LONGTERM | Gup.FOLL_WRITE)));
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
    assertEquals(Errno.EOPNOTSUPP, errno(() -> gup.pinUserPages(nic, m, 2L * PAGE, 2, Gup.FOLL_LONGTERM)));
    PinHandle h = gup.pinUserPages(nic, m, 2L * PAGE, 2, Gup.FOLL_LONGTERM | Gup.FOLL_WRITE, lease);
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
    assertEquals(Errno.EIO, errno(() -> gup.pinUserPages(nic, fresh, 2L * PAGE, 3, 0)));
    assertEquals(0, f.pages.pinCount(f.blocks.blockOf(2)), "the partial pin was undone");
  }

  /** A page poisoned after its pte was installed is refused on the fast path too. */
  @Test
  void aMappedPagePoisonedLaterIsEio() throws Exception {
    CpuMapping m = f.populated(8);
    f.region.poison(f.blocks.blockOf(3) * PAGE + 128, 64);
    assertEquals(Errno.EIO, errno(() -> gup.pinUserPages(nic, m, 3L * PAGE, 1, 0)));
    assertEquals(Errno.EIO, errno(() -> gup.pinUserPages(nic, m, 2L * PAGE, 3, 0)));
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
    assertEquals(Errno.ENOMEM, errno(() -> gup.pinUserPages(nic, m, 0, 1, 0)));
    for (int i = 0; i < PageDescriptors.MAX_PINS; i++) {
      f.pages.unpin(pfn);
    }
  }

  @Test
  void ownersBelongToTheirGup() throws Exception {
    CpuMapping m = f.populated(8);
    PinOwner foreign = new Gup().owner("x");
    assertThrows(IllegalArgumentException.class, () -> gup.pinUserPages(foreign, m, 0, 1, 0));
    assertTrue(gup.owner("nic0") == nic);
  }
}
