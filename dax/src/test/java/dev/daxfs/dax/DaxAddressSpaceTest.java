package dev.daxfs.dax;

import static dev.daxfs.dax.TestFile.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

class DaxAddressSpaceTest {

  private final TestFile f = new TestFile(8);

  private static void awaitBlocked(Thread t) {
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.BLOCKED) {
      if (!t.isAlive()) {
        throw new AssertionError(t.getName() + " ended instead of blocking");
      }
      Thread.onSpinWait();
    }
  }

  // ---- entry locks ------------------------------------------------------------------------------

  @Test
  void lockingAMissingEntryCreatesAnEmptyPlaceholderThatVanishes() {
    DaxEntry e = f.space.lockEntry(3);
    assertEquals(DaxEntry.Kind.EMPTY, e.kind());
    assertTrue(e.locked());
    assertTrue(f.space.entry(3).locked());
    f.space.unlockEntry(3);
    assertEquals(DaxEntry.Kind.NONE, f.space.entry(3).kind());
    assertThrows(IllegalStateException.class, () -> f.space.unlockEntry(3));
  }

  @Test
  void aFaultWaitsForALockedEntry() throws Exception {
    CpuMapping m = f.mapRw(8);
    f.space.lockEntry(2);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread faulting =
        new Thread(
            () -> {
              try {
                m.storeLong(2L * PAGE, 7);
              } catch (Throwable e) {
                failure.set(e);
              }
            });
    faulting.start();
    awaitBlocked(faulting);
    assertEquals(-1, f.blocks.blockOf(2), "the fault must not proceed under someone else's entry lock");
    f.space.unlockEntry(2);
    faulting.join(TimeUnit.MINUTES.toMillis(1));
    assertEquals(null, failure.get());
    assertEquals(7, m.loadLong(2L * PAGE));
  }

  // ---- copy-on-write support --------------------------------------------------------------------

  @Test
  void copyOnWriteMovesAnUnusedPageAndMappingsFollow() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(PAGE, 11);
    long old = f.blocks.blockOf(1);
    f.space.lockEntry(1);
    assertTrue(f.space.isPageInUse(old), "mapped: must be written in place");
    f.space.unlockEntry(1);
    m.close();

    DaxEntry locked = f.space.lockEntry(1);
    assertEquals(old, locked.pfn());
    assertFalse(f.space.isPageInUse(old));
    long fresh = f.allocator.allocate();
    f.region.copy(old * PAGE, fresh * PAGE, PAGE);
    f.region.storeLong(fresh * PAGE, 12);
    f.blocks.removeBlock(1);
    f.space.replaceEntryPage(1, fresh);
    assertEquals(fresh, f.space.entry(1).pfn());
    assertFalse(f.space.entry(1).dirty());
    f.space.unlockEntry(1);
    // The in-memory block map must agree with the entry for the next fault.
    assertEquals(-1, f.blocks.blockOf(1));
  }

  @Test
  void aPinnedPageCannotBeMoved() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    long pfn = m.followPage(0, true, PageGrab.PIN);
    f.space.lockEntry(0);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> f.space.replaceEntryPage(0, pfn + 1));
    assertTrue(e.getMessage().contains("in place"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> f.space.dropEntryPage(0));
    assertEquals(pfn, f.space.entry(0).pfn(), "a refused move changes nothing");
    f.space.unlockEntry(0);
    f.pages.unpin(pfn);
  }

  @Test
  void droppingAZeroEntryUnmapsTheZeroPage() throws Exception {
    CpuMapping m = f.mapRw(8);
    assertEquals(0, m.loadLong(0));
    f.space.lockEntry(0);
    f.space.dropEntryPage(0);
    assertFalse(Pte.present(m.pte(0)));
    f.space.unlockEntry(0);
    assertEquals(DaxEntry.Kind.NONE, f.space.entry(0).kind());
  }

  @Test
  void entryChangesNeedTheEntryLock() {
    assertThrows(IllegalStateException.class, () -> f.space.dropEntryPage(0));
    assertThrows(IllegalStateException.class, () -> f.space.replaceEntryPage(0, 3));
  }

  @Test
  void markDirtyOnlyTouchesTheSamePage() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    long pfn = f.blocks.blockOf(0);
    f.space.writeback(0, 1);
    assertFalse(f.space.entry(0).dirty());
    assertFalse(f.space.markDirty(0, pfn + 1));
    assertFalse(f.space.entry(0).dirty());
    assertTrue(f.space.markDirty(0, pfn));
    assertTrue(f.space.entry(0).dirty());
    assertFalse(f.space.markDirty(5, pfn), "no entry, nothing to dirty");
  }

  // ---- writeback --------------------------------------------------------------------------------

  @Test
  void writebackFlushesDirtyPagesAndWriteProtectsThem() throws Exception {
    FlushCountingRegion region = new FlushCountingRegion(64L * PAGE);
    TestFile g = new TestFile(region, 8);
    CpuMapping a = g.mapRw(8);
    CpuMapping b = g.mapRw(8);
    a.storeLong(0, 1);
    a.storeLong(3L * PAGE, 3);
    assertEquals(0, b.loadLong(5L * PAGE));
    assertEquals(3, b.loadLong(3L * PAGE));
    region.reset();

    assertEquals(2, g.space.writeback(0, 8));
    assertEquals(Set.of(g.blocks.blockOf(0), g.blocks.blockOf(3)), region.flushedPages);
    assertEquals(1, region.fences.get());
    assertFalse(g.space.entry(0).dirty());
    assertFalse(Pte.writable(a.pte(0)));
    assertFalse(Pte.writable(a.pte(3)));
    assertTrue(Pte.present(a.pte(0)), "write-protected, not unmapped");

    region.reset();
    assertEquals(0, g.space.writeback(0, 8), "nothing dirty: nothing written");
    assertEquals(0, region.fences.get());

    long maps = g.blocks.writeMaps();
    b.storeLong(3L * PAGE + 8, 4);
    assertEquals(maps + 1, g.blocks.writeMaps(), "the first store after fsync takes a write fault");
    assertTrue(g.space.entry(3).dirty());
    assertEquals(1, g.space.writeback(0, 8));
  }

  @Test
  void writebackOfARangeLeavesTheRestDirty() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    m.storeLong(6L * PAGE, 1);
    assertEquals(1, f.space.writeback(0, 4));
    assertTrue(f.space.entry(6).dirty());
  }

  // ---- invalidation notifiers -------------------------------------------------------------------

  @Test
  void unmappingBumpsOverlappingNotifiersOnly() throws Exception {
    List<long[]> calls = new CopyOnWriteArrayList<>();
    InvalidationNotifier n = f.space.registerNotifier(2, 4, (x, s, e, seq) -> calls.add(new long[] {s, e, seq}));
    InvalidationNotifier other = f.space.registerNotifier(6, 8, null);
    long seq = n.readBegin();
    f.space.unmapRange(0, 3);
    assertTrue(n.readRetry(seq));
    assertEquals(0, other.sequence());
    assertEquals(1, calls.size());
    assertEquals(2, calls.get(0)[0], "clipped to the notifier's range");
    assertEquals(3, calls.get(0)[1]);
    assertEquals(n.sequence(), calls.get(0)[2]);
    boolean[] ran = {false};
    assertFalse(n.runIfValid(seq, () -> ran[0] = true));
    assertFalse(ran[0]);
    long now = n.readBegin();
    assertTrue(n.runIfValid(now, () -> ran[0] = true));
    assertTrue(ran[0]);
    n.close();
    assertTrue(n.readRetry(now), "a closed notifier validates nothing");
    assertEquals(List.of(other), f.space.notifiers());
  }

  @Test
  void munmapAndWritebackInvalidateToo() throws Exception {
    InvalidationNotifier n = f.space.registerNotifier(0, 8, null);
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    long afterFault = n.sequence();
    f.space.writeback(0, 8);
    assertEquals(afterFault + 1, n.sequence(), "write-protecting a page a device mirrors invalidates it");
    m.munmap(0, PAGE);
    assertEquals(afterFault + 2, n.sequence());
  }

  @Test
  void anInvalidationWaitsForAnAccessPastItsCheck() throws Exception {
    InvalidationNotifier n = f.space.registerNotifier(0, 8, null);
    long seq = n.readBegin();
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Thread device =
        new Thread(
            () ->
                n.runIfValid(
                    seq,
                    () -> {
                      inside.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        throw new AssertionError(e);
                      }
                    }));
    device.start();
    inside.await();
    Thread unmapper = new Thread(() -> f.space.unmapRange(0, 8));
    unmapper.start();
    awaitBlocked(unmapper);
    assertEquals(seq, n.sequence(), "the sequence moves only after the access finished");
    release.countDown();
    unmapper.join(TimeUnit.MINUTES.toMillis(1));
    device.join(TimeUnit.MINUTES.toMillis(1));
    assertEquals(seq + 1, n.sequence());
  }

  // ---- long-term pin policy ---------------------------------------------------------------------

  @Test
  void theDefaultPolicyIsLinuxsFsdaxRule() throws Exception {
    ErrnoException e =
        assertThrows(
            ErrnoException.class,
            () -> f.space.checkLongTermPin(new LongTermPinRequest(f.space, 0, 1, true, false, "nic0")));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
    f.space.checkLongTermPin(new LongTermPinRequest(f.space, 0, 1, true, true, "gpu0"));
    f.space.setLongTermPinPolicy(LongTermPinPolicy.ALLOW_ALL);
    f.space.checkLongTermPin(new LongTermPinRequest(f.space, 0, 1, true, false, "nic0"));
  }

  // ---- layout break -----------------------------------------------------------------------------

  @Test
  void theBusyScanNeedsTheInvalidateLock() {
    assertThrows(IllegalStateException.class, () -> f.space.layoutBusyPage(0, 8));
    assertThrows(IllegalStateException.class, () -> f.space.removeEntries(0, 8));
    assertThrows(IllegalStateException.class, () -> f.space.breakLayouts(0, 8, null));
  }

  @Test
  void theBusyScanUnmapsAndReportsOnlyDmaBusyPages() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    m.storeLong(2L * PAGE, 1);
    long p2 = f.blocks.blockOf(2);
    Lock lock = f.space.invalidateLock().writeLock();
    lock.lock();
    try {
      assertEquals(OptionalLong.empty(), f.space.layoutBusyPage(0, 8));
      assertFalse(Pte.present(m.pte(0)), "the scan unmapped the range");
      assertTrue(f.pages.isIdle(p2));
      f.pages.get(p2);
      assertEquals(OptionalLong.of(p2), f.space.layoutBusyPage(0, 8));
      assertEquals(OptionalLong.empty(), f.space.layoutBusyPage(3, 8), "outside the range");
      // A reference still held (like gup's speculative one backing out) is waited out.
      Thread putter = new Thread(() -> {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        f.pages.put(p2);
      });
      putter.start();
      f.space.removeEntries(0, 8);
      assertTrue(f.pages.isIdle(p2), "removeEntries returned before the page was idle");
      putter.join();
      assertEquals(DaxEntry.Kind.NONE, f.space.entry(2).kind());
    } finally {
      lock.unlock();
    }
  }

  @Test
  void breakLayoutsWaitsForTheUnpinWithTheLockDropped() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(PAGE, 1);
    long pfn = m.followPage(1, true, PageGrab.PIN);
    Lock lock = f.space.invalidateLock().writeLock();
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread breaker =
        new Thread(
            () -> {
              lock.lock();
              try {
                boolean done = f.space.breakLayouts(0, 8, null);
                assertTrue(f.space.invalidateLock().isWriteLockedByCurrentThread());
                f.space.removeEntries(0, 8);
                outcome.set(done);
              } catch (Throwable e) {
                outcome.set(e);
              } finally {
                lock.unlock();
              }
            });
    breaker.start();
    awaitBlocked(breaker);
    // The breaker sleeps in waitIdle with the invalidate lock dropped: a fault can run.
    assertFalse(f.space.invalidateLock().isWriteLocked());
    CpuMapping other = f.mapRw(8);
    assertEquals(0, other.loadLong(6L * PAGE));
    assertEquals(null, outcome.get());
    f.pages.unpin(pfn);
    breaker.join(TimeUnit.MINUTES.toMillis(1));
    assertEquals(Boolean.TRUE, outcome.get());
    assertEquals(DaxEntry.Kind.NONE, f.space.entry(1).kind());
  }

  @Test
  void breakLayoutsTimesOutAndIsInterruptibleWithTheLockHeldAgain() throws Exception {
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    long pfn = m.followPage(0, false, PageGrab.PIN);
    Lock lock = f.space.invalidateLock().writeLock();
    lock.lock();
    try {
      assertFalse(f.space.breakLayouts(0, 8, Duration.ofMillis(30)));
      assertTrue(f.space.invalidateLock().isWriteLockedByCurrentThread());
      Thread.currentThread().interrupt();
      assertThrows(InterruptedException.class, () -> f.space.breakLayouts(0, 8, null));
      assertTrue(f.space.invalidateLock().isWriteLockedByCurrentThread());
    } finally {
      lock.unlock();
    }
    f.pages.unpin(pfn);
  }

  @Test
  void truncateOfTheInMemoryFileFollowsTheProtocol() throws Exception {
    CpuMapping m = f.mapRw(8);
    for (int i = 0; i < 8; i++) {
      m.storeLong((long) i * PAGE, i + 1);
    }
    long p5 = f.blocks.blockOf(5);
    long pinned = m.followPage(5, false, PageGrab.PIN);
    assertEquals(p5, pinned);
    assertFalse(f.blocks.truncate(f.space, 3L * PAGE + 100, Duration.ofMillis(20)));
    assertEquals(p5, f.blocks.blockOf(5), "a timed-out break frees nothing");
    f.pages.unpin(pinned);
    long available = f.allocator.available();
    assertTrue(f.blocks.truncate(f.space, 3L * PAGE + 100, Duration.ofSeconds(30)));
    assertEquals(available + 4, f.allocator.available());
    assertEquals(-1, f.blocks.blockOf(5));
    assertFalse(f.pages.isOwnedBy(p5, 7, 5));
    assertEquals(4, m.loadLong(3L * PAGE), "the partial page keeps its head");
    assertEquals(0, m.loadLong(3L * PAGE + 104), "and its tail is zero");
    assertEquals(Errno.EFAULT, assertThrows(ErrnoException.class, () -> m.loadLong(4L * PAGE)).errno());
  }
}
