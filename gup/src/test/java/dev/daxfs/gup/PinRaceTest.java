package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.PageRefMisuseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The race Jan Kara described in the 2018 review of the dma_pinned patches: another process's
 * get_page, the pin, then that process's put_page. If a plain put could release a pin, the page
 * would look unpinned while the device still writes it.
 */
class PinRaceTest {

  private final GupFile f = new GupFile(4);
  private final Gup gup = new Gup();

  @Test
  void anotherThreadsPutAfterThePinLeavesThePinInPlace() throws Exception {
    CpuMapping m = f.populated(4);
    long pfn = f.blocks.blockOf(1);
    CountDownLatch got = new CountDownLatch(1);
    CountDownLatch pinned = new CountDownLatch(1);
    CompletableFuture<Void> randomProcess =
        CompletableFuture.runAsync(
            () -> {
              try {
                PageRefs refs = gup.getUserPages(m, 4096, 1, 0); // get_page
                got.countDown();
                pinned.await();
                gup.putUserPages(refs); // put_page, after the pin
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    got.await();
    PinVector pin = gup.owner("pinner").newPinVector();
    gup.pinUserPages(pin, m, 4096, 1, Gup.FOLL_WRITE);
    pinned.countDown();
    randomProcess.get(1, TimeUnit.MINUTES);

    assertEquals(1, f.pages.pinCount(pfn), "exactly one pin left");
    assertTrue(f.pages.maybeDmaPinned(pfn));
    assertTrue(f.pages.isDmaBusy(pfn));
    assertFalse(f.pages.waitIdle(pfn, Duration.ofMillis(20)), "the page stays busy until the unpin");
    assertEquals(0, f.pages.misuseEvents());

    gup.unpinUserPages(pin, true);
    assertFalse(f.pages.isDmaBusy(pfn));
    assertEquals(0, f.pages.pinCount(pfn));
  }

  @Test
  void aStrayPutOnAPinnedPageIsReported() throws Exception {
    CpuMapping m = f.populated(4);
    long pfn = f.blocks.blockOf(2);
    List<String> reports = new ArrayList<>();
    f.pages.setMisuseListener((p, d) -> reports.add(p + " " + d));
    PinVector pin = gup.owner("pinner").newPinVector();
    gup.pinUserPages(pin, m, 2 * 4096, 1, 0);

    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> f.pages.put(pfn));
    assertEquals(pfn, e.pfn());
    assertEquals(1, f.pages.misuseEvents());
    assertEquals(1, reports.size());
    assertTrue(reports.get(0).startsWith(pfn + " put of page " + pfn), reports.get(0));
    assertEquals(1, f.pages.pinCount(pfn), "the stray put released nothing");
    assertTrue(f.pages.maybeDmaPinned(pfn));

    gup.unpinUserPages(pin, false);
    assertEquals(1, f.pages.refcount(pfn));
  }
}
