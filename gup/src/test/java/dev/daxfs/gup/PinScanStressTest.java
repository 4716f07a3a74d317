package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Iomap;
import dev.daxfs.dax.IomapOps;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.pmem.HeapRegion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pinners pin and unpin through the lock-free fast path as fast as they can, while a breaker
 * does what a layout break does: blocks faults (the invalidate lock, exclusively), unmaps and
 * scans, waits out busy pages with the lock dropped, and when a scan is clean removes the
 * entries and moves every block to another page frame (the old one loses its owner, as a freed
 * block does). Then:
 *
 * <ul>
 *   <li>every pin taken before a scan is seen by it: no pin is held while a scan is clean;
 *   <li>none is taken after it: no pin succeeds while faults stay blocked after a clean scan, and
 *       no pin ever lands on a page frame its file page has moved away from (checked by owner).
 * </ul>
 *
 * Without the fast path's revalidation a pinner that read a pte before the unmap takes its pin
 * after the scan, onto the moved-away (freed) page, and this test fails. There are more pinners
 * than cores so that one is sometimes preempted between its pte read and its atomic add.
 *
 * <p>Budget: {@code -Ddaxfs.gup.stressMillis} (default 2000).
 */
class PinScanStressTest {

  private static final long BUDGET_MILLIS = Long.getLong("daxfs.gup.stressMillis", 2000);

  /** File pages, pinned together by each pin call. */
  private static final int PAGES = 4;

  /** Page frames each file page rotates through when it is moved. */
  private static final int FRAMES_PER_PAGE = 8;

  private static final int PINNERS = 3;

  private static final long INODE = 9;

  /** A file whose blocks the breaker moves: page i lives in one of FRAMES_PER_PAGE frames. */
  private static final class MovingBlocks implements IomapOps {
    private final PageDescriptors pages;
    private final AtomicLongArray current = new AtomicLongArray(PAGES);
    private int moves;

    MovingBlocks(PageDescriptors pages) {
      this.pages = pages;
      for (int i = 0; i < PAGES; i++) {
        current.set(i, frame(i, 0));
        pages.setOwner(frame(i, 0), INODE, i);
      }
    }

    private static long frame(int index, int generation) {
      return 1 + (long) index * FRAMES_PER_PAGE + generation % FRAMES_PER_PAGE;
    }

    @Override
    public Iomap mapRead(long index) {
      return index < PAGES ? Iomap.mapped(current.get((int) index)) : Iomap.eof();
    }

    @Override
    public Iomap mapWrite(long index) {
      return mapRead(index);
    }

    @Override
    public void syncMetadata(long index) {}

    /** Moves every page to its next frame; the caller broke the layout and holds the lock. */
    void moveAll() {
      moves++;
      for (int i = 0; i < PAGES; i++) {
        long old = current.get(i);
        long fresh = frame(i, moves);
        pages.clearOwner(old);
        pages.setOwner(fresh, INODE, i);
        current.set(i, fresh);
      }
    }
  }

  /** The hang guard (a separate thread, since a broken fast path can deadlock this one). */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aPinIsEitherSeenByTheScanOrNeverTaken() throws Exception {
    PageDescriptors pages = new PageDescriptors(new HeapRegion(64L * 4096));
    MovingBlocks blocks = new MovingBlocks(pages);
    DaxAddressSpace space = new DaxAddressSpace(pages, INODE, blocks);
    CpuMapping m = space.mmap(0, PAGES * 4096L, CpuMapping.PROT_READ, 0);
    Gup gup = new Gup();
    PinOwner owner = gup.owner("stress");
    Lock invalidate = space.invalidateLock().writeLock();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean cleanScan = new AtomicBoolean();
    AtomicInteger pinsHeld = new AtomicInteger();
    AtomicLong pinsTaken = new AtomicLong();
    AtomicLong afterScan = new AtomicLong();
    AtomicLong onMovedPage = new AtomicLong();
    AtomicLong heldAtCleanScan = new AtomicLong();
    AtomicReference<Throwable> pinnerFailure = new AtomicReference<>();

    List<Thread> pinners = new ArrayList<>();
    for (int p = 0; p < PINNERS; p++) {
      Thread pinner =
          new Thread(
              () -> {
                try {
                  PinVector h = owner.newPinVector();
                  while (!stop.get()) {
                    gup.pinUserPages(h, m, 0, PAGES, 0);
                    pinsHeld.incrementAndGet();
                    if (cleanScan.get()) {
                      afterScan.incrementAndGet();
                    }
                    for (int i = 0; i < PAGES; i++) {
                      if (!pages.isOwnedBy(h.pfn(i), INODE, i)) {
                        onMovedPage.incrementAndGet();
                      }
                    }
                    pinsTaken.incrementAndGet();
                    pinsHeld.decrementAndGet();
                    gup.unpinUserPages(h, false);
                  }
                } catch (Throwable e) {
                  pinnerFailure.compareAndSet(null, e);
                }
              },
              "pinner-" + p);
      pinner.start();
      pinners.add(pinner);
    }

    long scans = 0;
    long busyScans = 0;
    long moves = 0;
    long deadline = System.nanoTime() + Duration.ofMillis(BUDGET_MILLIS).toNanos();
    try {
      while (System.nanoTime() < deadline && pinnerFailure.get() == null) {
        // Let the pinners fault the pages back in and run on the fast path for a moment.
        long seen = pinsTaken.get();
        while (pinsTaken.get() < seen + PINNERS && System.nanoTime() < deadline && pinnerFailure.get() == null) {
          Thread.onSpinWait();
        }
        for (int spin = ThreadLocalRandom.current().nextInt(64); spin > 0; spin--) {
          Thread.onSpinWait();
        }
        invalidate.lock();
        try {
          for (;;) {
            OptionalLong busy = space.layoutBusyPage(0, PAGES);
            scans++;
            if (busy.isEmpty()) {
              break;
            }
            busyScans++;
            invalidate.unlock();
            try {
              assertTrue(pages.waitIdle(busy.getAsLong(), Duration.ofMinutes(1)), "pin never released");
            } finally {
              invalidate.lock();
            }
          }
          cleanScan.set(true);
          for (int i = 0; i < 200; i++) {
            if (pinsHeld.get() != 0) {
              heldAtCleanScan.incrementAndGet();
              break;
            }
            Thread.onSpinWait();
          }
          if (heldAtCleanScan.get() > 0 || afterScan.get() > 0) {
            // A pin got past the scan: removing the entries would wait for it with faults
            // blocked, and the pinners wait for faults. Stop, and let the checks below fail.
            break;
          }
          space.removeEntries(0, PAGES);
          blocks.moveAll();
          moves++;
          cleanScan.set(false);
        } finally {
          invalidate.unlock();
        }
      }
    } finally {
      stop.set(true);
      for (Thread t : pinners) {
        t.join(Duration.ofMinutes(1).toMillis());
      }
    }

    System.out.printf(
        "%d scans (%d found a busy page), %d moves, %d pins; pins held at a clean scan %d,"
            + " taken after one %d, on a moved page %d (%d ms)%n",
        scans, busyScans, moves, pinsTaken.get(), heldAtCleanScan.get(), afterScan.get(),
        onMovedPage.get(), BUDGET_MILLIS);
    assertEquals(null, pinnerFailure.get());
    assertEquals(0, heldAtCleanScan.get(), "a pin taken before the scan was not seen by it");
    assertEquals(0, afterScan.get(), "a pin was taken after a clean scan while faults were blocked");
    assertEquals(0, onMovedPage.get(), "a pin landed on a page frame its file page had moved away from");
    assertTrue(pinsTaken.get() > 0 && moves > 0, "the race never ran");
    GupStats stats = gup.stats();
    assertEquals(stats.pinsAcquired(), stats.pinsReleased());
    for (long pfn = 0; pfn < pages.pageCount(); pfn++) {
      assertEquals(0, pages.pinCount(pfn));
    }
    assertEquals(0, pages.misuseEvents());
  }
}
