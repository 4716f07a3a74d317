package dev.daxfs.fs;

import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.locks.Lock;

/**
 * Where the filesystem meets the DAX layer: each file's address space, the layout break that
 * every block-freeing or block-moving operation runs first, the page locks behind the
 * copy-on-write decision, and page-descriptor owners.
 *
 * <p>A file that has never been mapped has no address space ({@code Inode.dax == null}): no
 * CPU mapping can hold its pages and, since pins are taken through mappings, no device can have
 * pinned them; the break then has nothing to unmap or wait for.
 */
final class Layouts {

  /** Something held until the caller's change is committed: locks to release on close. */
  interface Held extends AutoCloseable {
    @Override
    void close();

    Held NOTHING = () -> {};
  }

  /** The filesystem. */
  private final Volume vol;

  Layouts(Volume vol) {
    this.vol = vol;
  }

  /**
   * The address space of {@code in}, created on first use (mmap). Created under the I/O lock,
   * so that no write is between its copy-on-write decisions when the first mapping appears.
   */
  DaxAddressSpace space(Inode in) {
    DaxAddressSpace s = in.dax;
    if (s != null) {
      return s;
    }
    in.io.writeLock().lock();
    try {
      if (in.dax == null) {
        DaxAddressSpace s2 = new DaxAddressSpace(vol.pages, in.ino, new FileIomap(vol, in));
        s2.setLongTermPinPolicy(request -> checkLongTermPin(in, request));
        in.dax = s2;
      }
      return in.dax;
    } finally {
      in.io.writeLock().unlock();
    }
  }

  /**
   * The long-term pin policy of every daxfs file: an ODP device holds no pins and may always
   * register (the layout break's unmap invalidates it); a pinning device is allowed only under
   * a layout lease it holds on the whole range; anything else is EOPNOTSUPP, as Linux refuses
   * FOLL_LONGTERM on filesystem-DAX.
   */
  private static void checkLongTermPin(Inode in, dev.daxfs.dax.LongTermPinRequest r) {
    if (r.odp()) {
      return;
    }
    for (LayoutLease l : in.leases) {
      if (l.covers(r.startIndex(), r.endIndex()) && l.holder.equals(r.holder())) {
        return;
      }
    }
    throw new ErrnoException(Errno.EOPNOTSUPP, "long-term pin of pages [" + r.startIndex()
        + ", " + r.endIndex() + ") of inode " + in.ino + " refused: daxfs allows long-term pins "
        + "only to ODP devices or under a layout lease the device holds");
  }

  /** Refuses a layout change over a leased range (step 1 of a break). */
  private void checkLeases(Inode in, long first, long end) {
    for (LayoutLease l : in.leases) {
      if (l.overlaps(first, end)) {
        vol.stats.leaseRefusals.increment();
        throw new ErrnoException(Errno.ETXTBSY, "pages [" + Math.max(first, l.startPage) + ", "
            + Math.min(end, l.endPage) + ") of inode " + in.ino + " are under a layout lease "
            + "held by " + l.holder);
      }
    }
  }

  /**
   * Breaks the layout of pages {@code [first, end)} of {@code in} (DESIGN.md, "Layout break"):
   * takes the invalidate lock exclusively; unmaps the range, which runs the ODP invalidations;
   * while a page is DMA-busy, drops only the invalidate lock, waits for the unpin that makes it
   * idle, retakes the lock and rescans; then removes the range's entries. It returns holding
   * the invalidate lock: no fault, pin or mapping can reach the range until the caller, having
   * changed the block map and freed the blocks, closes the result.
   *
   * <p>The caller holds {@code in.io} exclusively and not {@code in.lock}.
   *
   * @throws ErrnoException ETXTBSY when a layout lease covers part of the range (before
   *     anything changes), EINTR when interrupted while waiting, ETIMEDOUT when the mount's
   *     bound on the wait passed
   */
  Held breakLayout(Inode in, long first, long end) {
    checkLeases(in, first, end);
    vol.stats.layoutBreaks.increment();
    DaxAddressSpace s = in.dax;
    if (s == null || vol.switches.skipLayoutBreak) {
      return Held.NOTHING;
    }
    Lock exclusive = s.invalidateLock().writeLock();
    exclusive.lock();
    try {
      OptionalLong busy = s.layoutBusyPage(first, end);
      if (busy.isPresent()) {
        long t0 = System.nanoTime();
        long bound = vol.options.layoutWaitTimeoutNanos;
        boolean idle = s.breakLayouts(first, end, bound == 0 ? null : Duration.ofNanos(bound));
        vol.stats.recordWait(System.nanoTime() - t0);
        if (!idle) {
          throw new ErrnoException(Errno.ETIMEDOUT, "pages of inode " + in.ino
              + " stayed DMA-busy longer than the mount's layout-wait bound");
        }
      }
      s.removeEntries(first, end);
      return exclusive::unlock;
    } catch (InterruptedException e) {
      exclusive.unlock();
      throw new ErrnoException(Errno.EINTR, "interrupted while waiting for DMA to release pages "
          + "of inode " + in.ino);
    } catch (RuntimeException | Error e) {
      exclusive.unlock();
      throw e;
    }
  }

  /**
   * Locks the entries of pages {@code [first, end)} against faults and slow-path pins, for
   * copy-on-write decisions ({@link #mayMove}); the caller holds {@code in.io} and not {@code
   * in.lock}.
   */
  Held lockPages(Inode in, long first, long end) {
    DaxAddressSpace s = in.dax;
    if (s == null || first >= end) {
      return Held.NOTHING;
    }
    for (long i = first; i < end; i++) {
      s.lockEntry(i);
    }
    return () -> {
      for (long i = first; i < end; i++) {
        s.unlockEntry(i);
      }
    };
  }

  /**
   * Whether a write may move page {@code page} (currently at {@code entry}) to a new block:
   * not when a mapping holds it or a device may be writing it. The caller holds the page's
   * entry lock (from {@link #lockPages}) or a layout break covering it.
   */
  boolean mayMove(Inode in, long page, long entry) {
    DaxAddressSpace s = in.dax;
    return s == null || vol.switches.skipLayoutBreak || !s.isPageInUse(BlockMap.block(entry));
  }

  /**
   * Before a write gives page {@code page} another block (a copy, or a first block for a hole
   * or an unwritten page mapped to the zero page): empties its entry, so the next fault asks
   * the block map again. The caller holds the entry lock, or a layout break removed it.
   */
  void pageMoving(Inode in, long page) {
    DaxAddressSpace s = in.dax;
    if (s == null) {
      return;
    }
    dev.daxfs.dax.DaxEntry e = s.entry(page);
    if (e.kind() == dev.daxfs.dax.DaxEntry.Kind.NONE) {
      return;
    }
    if (vol.switches.skipLayoutBreak && e.kind() == dev.daxfs.dax.DaxEntry.Kind.PAGE
        && s.isPageInUse(e.pfn())) {
      // The deliberate bug moves a page a device still holds; the entry keeps the old frame
      // until the next fault finds the block map changed.
      return;
    }
    s.dropEntryPage(page);
  }

  /** Block {@code block} now holds page {@code page} of {@code in}: its descriptor says so. */
  void assigned(Inode in, long page, long block) {
    if (in.dax != null) {
      vol.pages.setOwner(block, in.ino, page);
    }
  }

  /**
   * Whether a device may still be writing any block of {@code in}. Asked when evicting, when
   * no handle and so no mapping is left: no new pin can appear, so the descriptors are final.
   */
  boolean busy(Inode in) {
    if (in.dax == null || in.blocks == null) {
      return false;
    }
    boolean[] busy = {false};
    in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
      if (!busy[0] && vol.pages.isDmaBusy(BlockMap.block(e))) {
        busy[0] = true;
      }
    });
    return busy[0];
  }

  /** Blocks {@code [start, start+len)} were freed: they belong to no file page any more. */
  void released(long start, long len) {
    for (long b = start; b < start + len; b++) {
      vol.pages.clearOwner(b);
      if (vol.pages.isWatched(b)) {
        vol.pages.setWatched(b, false);
      }
    }
  }
}
