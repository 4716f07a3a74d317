package dev.daxfs.dax;

import static dev.daxfs.dax.PageDescriptors.GUP_PIN_COUNTING_BIAS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.HeapRegion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PageDescriptorsTest {

  private final PageDescriptors pages = new PageDescriptors(new HeapRegion(64L * 4096));

  @Test
  void freshPagesAreIdleAndCostNothing() {
    assertEquals(64, pages.pageCount());
    assertTrue(pages.isIdle(5));
    assertFalse(pages.isDmaBusy(5));
    assertEquals(0, pages.chunksAllocated(), "reading a page must not allocate its chunk");
  }

  @Test
  void getAndPutMoveTheRefcountByOne() {
    pages.get(3);
    pages.get(3);
    assertEquals(2, pages.refcount(3));
    assertTrue(pages.isDmaBusy(3));
    assertFalse(pages.maybeDmaPinned(3));
    pages.put(3);
    pages.put(3);
    assertTrue(pages.isIdle(3));
  }

  @Test
  void pinAddsTheBiasAndOneExactPin() {
    assertTrue(pages.tryPin(4));
    assertEquals(GUP_PIN_COUNTING_BIAS, pages.refcount(4));
    assertEquals(1, pages.pinCount(4));
    assertTrue(pages.maybeDmaPinned(4));
    assertTrue(pages.isDmaBusy(4));
    pages.unpin(4);
    assertEquals(0, pages.refcount(4));
    assertEquals(0, pages.pinCount(4));
  }

  @Test
  void aMappedPageIsNotDmaBusy() {
    assertTrue(pages.tryMap(6));
    assertEquals(1, pages.refcount(6));
    assertEquals(1, pages.mapcount(6));
    assertFalse(pages.isDmaBusy(6), "a CPU mapping's own reference is not DMA");
    assertFalse(pages.isIdle(6));
    pages.get(6);
    assertTrue(pages.isDmaBusy(6));
    pages.put(6);
    pages.unmap(6);
    assertTrue(pages.isIdle(6));
  }

  /** 2018: get by another holder, pin, that holder's put: the pin must survive the put. */
  @Test
  void aPutAfterAPinReleasesTheGetNotThePin() {
    pages.get(9);
    assertTrue(pages.tryPin(9));
    pages.put(9);
    assertEquals(1, pages.pinCount(9));
    assertTrue(pages.maybeDmaPinned(9));
    assertTrue(pages.isDmaBusy(9));
    pages.unpin(9);
    assertTrue(pages.isIdle(9));
  }

  @Test
  void aStrayPutOnAPinnedPageIsReportedAndRefused() {
    List<String> reports = new ArrayList<>();
    pages.setMisuseListener((pfn, d) -> reports.add(pfn + ": " + d));
    assertTrue(pages.tryPin(10));
    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> pages.put(10));
    assertEquals(10, e.pfn());
    assertEquals(1, pages.misuseEvents());
    assertEquals(1, reports.size());
    assertTrue(reports.get(0).contains("pins 1"), reports.get(0));
    assertEquals(GUP_PIN_COUNTING_BIAS, pages.refcount(10), "the refused put changed nothing");
    assertTrue(pages.maybeDmaPinned(10));
    pages.unpin(10);
  }

  /** An unpin is one atomic add checked after the fact: a refused one is added back. */
  @Test
  void aRefusedUnpinLeavesTheCountsAsTheyWere() {
    assertTrue(pages.tryMap(14));
    pages.get(14);
    PageDescriptor before = pages.describe(14);
    PageRefMisuseException e = assertThrows(PageRefMisuseException.class, () -> pages.unpin(14));
    assertEquals(14, e.pfn());
    assertTrue(e.getMessage().contains("which has no pin"), e.getMessage());
    assertEquals(before, pages.describe(14));
    assertEquals(1, pages.misuseEvents());
    pages.put(14);
    pages.unmap(14);
    assertTrue(pages.isIdle(14));
  }

  /** Two threads unpin the same single pin at once: exactly one releases it, the other is refused. */
  @Test
  void racingUnpinsOfOnePinReleaseItOnce() throws Exception {
    assertTrue(pages.tryMap(15));
    int rounds = Integer.getInteger("daxfs.test.unpinRaceRounds", 2_000);
    CyclicBarrier start = new CyclicBarrier(2);
    AtomicInteger refused = new AtomicInteger();
    Runnable unpin =
        () -> {
          try {
            start.await();
            pages.unpin(15);
          } catch (PageRefMisuseException e) {
            refused.incrementAndGet();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        };
    for (int r = 0; r < rounds; r++) {
      assertTrue(pages.tryPin(15));
      Thread other = new Thread(unpin, "unpin-" + r);
      other.start();
      unpin.run();
      other.join();
      assertEquals(r + 1, refused.get(), "round " + r + ": exactly one unpin was refused");
      assertEquals(new PageDescriptor(15, 1, 1, 0, false, 0, 0), pages.describe(15), "round " + r);
    }
    assertEquals(rounds, pages.misuseEvents());
  }

  @Test
  void aLegitimateReleaseIsNeverRefusedWhileAMisusedUnpinIsTakenBack() throws Exception {
    assertTrue(pages.tryMap(16));
    int rounds = Integer.getInteger("daxfs.test.unpinRaceRounds", 2_000) * 200;
    CyclicBarrier start = new CyclicBarrier(2);
    AtomicInteger misused = new AtomicInteger();
    Thread misuser = new Thread(() -> {
      try {
        start.await();
        for (int i = 0; i < rounds; i++) {
          try {
            pages.unpin(16); // the page holds no pin: refused every time
          } catch (PageRefMisuseException e) {
            misused.incrementAndGet();
          }
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }, "misuser");
    misuser.start();
    start.await();
    for (int i = 0; i < rounds; i++) {
      pages.get(16);
      pages.put(16); // a refused put here throws and fails the test
    }
    misuser.join();
    assertEquals(rounds, misused.get(), "every misused unpin was refused");
    assertEquals(new PageDescriptor(16, 1, 1, 0, false, 0, 0), pages.describe(16));
  }

  @Test
  void underflowAndUnmatchedReleasesAreMisuse() {
    assertThrows(PageRefMisuseException.class, () -> pages.put(11));
    assertThrows(PageRefMisuseException.class, () -> pages.unpin(11));
    assertThrows(PageRefMisuseException.class, () -> pages.unmap(11));
    pages.get(11);
    assertThrows(PageRefMisuseException.class, () -> pages.unpin(11), "a get is not a pin");
    assertThrows(PageRefMisuseException.class, () -> pages.unmap(11), "a get is not a mapping");
    assertTrue(pages.tryMap(12));
    assertThrows(PageRefMisuseException.class, () -> pages.put(12), "a put cannot take a mapping's reference");
    assertEquals(6, pages.misuseEvents());
    assertEquals(1, pages.refcount(11));
    assertEquals(1, pages.refcount(12));
  }

  @Test
  void pinsBeyondTheLimitAreRefused() {
    for (int i = 0; i < PageDescriptors.MAX_PINS; i++) {
      assertTrue(pages.tryPin(13));
    }
    assertFalse(pages.tryPin(13));
    assertEquals(PageDescriptors.MAX_PINS, pages.pinCount(13));
    assertEquals(PageDescriptors.MAX_PINS * GUP_PIN_COUNTING_BIAS, pages.refcount(13));
    for (int i = 0; i < PageDescriptors.MAX_PINS; i++) {
      pages.unpin(13);
    }
    assertTrue(pages.isIdle(13));
  }

  @Test
  void mappingsBeyondTheLimitAreRefused() {
    for (int i = 0; i < PageDescriptors.MAX_MAPCOUNT; i++) {
      assertTrue(pages.tryMap(14));
    }
    assertFalse(pages.tryMap(14));
    assertEquals(PageDescriptors.MAX_MAPCOUNT, pages.mapcount(14));
  }

  @Test
  void aHugeRegionCostsItsDirectoryUntilUsed() {
    PageDescriptors tib = PageDescriptors.detached((1L << 40) / 4096);
    long empty = tib.bytesAllocated();
    assertTrue(empty < 2 << 20, "1 TiB directory costs " + empty + " bytes");
    tib.get((1L << 28) - 1);
    assertEquals(1, tib.chunksAllocated());
    assertEquals(
        empty + 16 + PageDescriptors.CHUNK_PAGES * PageDescriptors.DESCRIPTOR_BYTES, tib.bytesAllocated());
    assertTrue(PageDescriptors.DESCRIPTOR_BYTES <= 32);
  }

  @Test
  void pageFramesOutsideTheRegionAreRejected() {
    assertThrows(IndexOutOfBoundsException.class, () -> pages.get(64));
    assertThrows(IndexOutOfBoundsException.class, () -> pages.refcount(-1));
  }

  @Test
  void ownersAreSetReadAndCleared() {
    assertFalse(pages.isOwnedBy(20, 5, 3));
    pages.setOwner(20, 5, 3);
    assertTrue(pages.isOwnedBy(20, 5, 3));
    assertFalse(pages.isOwnedBy(20, 5, 4));
    PageDescriptor d = pages.describe(20);
    assertEquals(5, d.ownerInode());
    assertEquals(3, d.ownerIndex());
    pages.clearOwner(20);
    assertFalse(pages.isOwnedBy(20, 5, 3));
    assertEquals(0, pages.describe(20).ownerInode());
    assertThrows(IllegalArgumentException.class, () -> pages.setOwner(20, 0, 1));
  }

  @Test
  void waitIdleReturnsAtOnceForAnIdlePage() throws Exception {
    assertTrue(pages.waitIdle(21, Duration.ZERO));
  }

  @Test
  void waitIdleTimesOutWhilePinned() throws Exception {
    assertTrue(pages.tryPin(22));
    assertFalse(pages.waitIdle(22, Duration.ofMillis(20)));
    pages.unpin(22);
  }

  @Test
  void theLastUnpinWakesTheWaiter() throws Exception {
    assertTrue(pages.tryPin(23));
    assertTrue(pages.tryPin(23));
    CountDownLatch waiting = new CountDownLatch(1);
    CompletableFuture<Boolean> waiter =
        CompletableFuture.supplyAsync(
            () -> {
              waiting.countDown();
              try {
                return pages.waitIdle(23, Duration.ofMinutes(5));
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            });
    waiting.await();
    pages.unpin(23);
    // One pin is left: the waiter must still be waiting (it returns only when idle).
    assertFalse(pages.waitIdle(23, Duration.ofMillis(20)));
    assertFalse(waiter.isDone());
    pages.unpin(23);
    assertTrue(waiter.get(1, TimeUnit.MINUTES));
  }

  /**
   * A layout break waits with the invalidate lock dropped, so a fault may map the page again
   * meanwhile: the last unpin must still wake the waiter (the page is no longer DMA-busy), or
   * the break would wait for a refcount 0 that the new mapping never allows.
   */
  @Test
  void theLastUnpinWakesTheWaiterEvenIfThePageWasMappedAgain() throws Exception {
    assertTrue(pages.tryPin(33));
    Thread w = waiter(33);
    while (w.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    assertTrue(pages.tryMap(33));
    pages.unpin(33);
    w.join(TimeUnit.MINUTES.toMillis(1));
    assertFalse(w.isAlive());
    assertEquals(1, pages.refcount(33));
    assertTrue(pages.waitIdle(33, Duration.ZERO), "mapped only: nothing to wait for");
  }

  @Test
  void putAndUnmapWakeWaitersToo() throws Exception {
    pages.get(24);
    assertTrue(pages.tryMap(25));
    Thread w1 = waiter(24);
    Thread w2 = waiter(25);
    pages.put(24);
    pages.unmap(25);
    w1.join(TimeUnit.MINUTES.toMillis(1));
    w2.join(TimeUnit.MINUTES.toMillis(1));
    assertFalse(w1.isAlive());
    assertFalse(w2.isAlive());
  }

  private Thread waiter(long pfn) {
    Thread t =
        new Thread(
            () -> {
              try {
                pages.waitIdle(pfn);
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            });
    t.start();
    return t;
  }

  @Test
  void waitIdleIsInterruptible() throws Exception {
    assertTrue(pages.tryPin(26));
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                pages.waitIdle(26);
              } catch (Throwable e) {
                thrown.set(e);
              }
            });
    t.start();
    while (t.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    t.interrupt();
    t.join(TimeUnit.MINUTES.toMillis(1));
    assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
    pages.unpin(26);
  }

  @Test
  void theIdleListenerHearsOnlyWatchedPages() {
    List<Long> idle = new ArrayList<>();
    pages.setIdleListener((p, pfn) -> idle.add(pfn));
    assertTrue(pages.tryPin(27));
    assertTrue(pages.tryPin(28));
    pages.setWatched(27, true);
    assertTrue(pages.isWatched(27));
    pages.unpin(28);
    assertEquals(List.of(), idle);
    pages.get(27);
    pages.unpin(27);
    assertEquals(List.of(), idle, "still referenced: not idle yet");
    pages.put(27);
    assertEquals(List.of(27L), idle);
    pages.setWatched(27, false);
    pages.get(27);
    pages.put(27);
    assertEquals(List.of(27L), idle);
  }

  @Test
  void forEachInUseListsBusyPages() {
    pages.get(30);
    assertTrue(pages.tryPin(31));
    List<PageDescriptor> seen = new ArrayList<>();
    pages.forEachInUse(seen::add);
    assertEquals(2, seen.size());
    assertEquals(30, seen.get(0).pfn());
    assertTrue(seen.get(1).maybeDmaPinned());
    assertTrue(seen.get(1).toString().contains("pins 1"));
  }
}
