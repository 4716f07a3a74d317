package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.util.ArrayList;
import java.util.List;

/**
 * Freeing inodes whose last name and last user are gone. An inode unlinked while open, or
 * while a device may still DMA into its blocks, goes on the persistent orphan list (its slot's
 * orphan word) and is freed later: at its last release, or by recovery after a crash.
 */
final class Eviction {

  /** The filesystem. */
  private final Volume vol;

  /** Frees orphans once DMA lets go of their blocks. */
  final Reaper reaper;

  Eviction(Volume vol) {
    this.vol = vol;
    this.reaper = new Reaper(this);
    vol.pages.setIdleListener(reaper);
  }

  /**
   * Whether {@code in} can be freed right now: no device may touch its blocks. Eviction needs
   * no unmapping: an inode is evicted only when no handle is open, and every CPU mapping holds
   * a handle; without a mapping no new pin can be taken, so the descriptors tell the truth.
   */
  boolean canFreeNow(Inode in) {
    return vol.switches.skipLayoutBreak || !vol.layouts.busy(in);
  }

  /**
   * Adds freeing {@code in} (locked) to {@code txn}: its slot becomes free in the commit, and
   * its blocks and log pages return to the allocator after it.
   */
  void freeIn(Txn txn, Inode in) {
    if (in.isRegular()) {
      in.blocks.forEach(0, Long.MAX_VALUE,
          (page, e) -> txn.freeAfterCommit(BlockMap.block(e), 1));
    }
    for (long page : in.log.pageBlocks()) {
      txn.freeAfterCommit(page, 1);
    }
    long slot = vol.inodes.slotOffset(in.ino);
    txn.word(slot + InodeTable.VALID, InodeTable.validWord(in.ino, false));
    if (in.orphan) {
      txn.word(slot + InodeTable.ORPHAN, InodeTable.orphanWord(in.ino, false));
    }
    txn.afterCommit(() -> {
      in.evicted = true;
      in.dax = null;
      in.leases.clear();
      vol.cache.remove(in.ino, in);
      vol.inodes.release(in.ino);
    });
  }

  /** {@code in} lost its last name while still in use (open, mapped or DMA-busy). */
  void orphaned(Inode in) {
    in.orphan = true;
    if (in.openCount == 0) {
      reaper.add(in);
    }
  }

  /**
   * The last handle or mapping of {@code in} went away; frees it if it has no name left.
   * Takes the inode's lock.
   */
  void released(Inode in) {
    if (!tryReap(in)) {
      reaper.add(in);
    }
  }

  /**
   * Frees {@code in} if it has no name and no user left and no device may touch its blocks;
   * otherwise marks its busy pages watched, so the unpin that frees the last one wakes the
   * reaper. Returns true when there is nothing more to wait for (freed, or alive after all).
   * Takes the inode's locks.
   */
  boolean tryReap(Inode in) {
    in.io.writeLock().lock();
    in.lock.writeLock().lock();
    try {
      if (in.evicted || in.openCount > 0 || in.links > 0) {
        return true;
      }
      if (!vol.switches.skipLayoutBreak && watchBusyPages(in)) {
        return false;
      }
      Txn txn = new Txn(vol, true);
      freeIn(txn, in);
      txn.commit();
      vol.stats.orphansReaped.increment();
      return true;
    } finally {
      in.lock.writeLock().unlock();
      in.io.writeLock().unlock();
    }
  }

  /**
   * Waits until no device may touch a block of any orphan, as Linux's final layout break at
   * eviction does: unmount frees the orphans next, and a block is never freed under DMA. The
   * command layer stops its devices before it unmounts, so this normally returns at once.
   *
   * @throws ErrnoException EINTR when interrupted: nothing was freed, the filesystem stays
   *     mounted
   */
  void awaitIdleOrphans() {
    if (vol.switches.skipLayoutBreak) {
      return;
    }
    for (Inode in : new ArrayList<>(vol.cache.all())) {
      if (!in.orphan || in.evicted || in.blocks == null) {
        continue;
      }
      List<Long> busy;
      in.lock.readLock().lock();
      try {
        busy = busyBlocks(in);
      } finally {
        in.lock.readLock().unlock();
      }
      for (long pfn : busy) {
        try {
          vol.pages.waitIdle(pfn);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ErrnoException(Errno.EINTR, "unmount interrupted while devices still pin"
              + " block " + pfn + " of deleted inode " + in.ino + "; still mounted");
        }
      }
    }
  }

  /**
   * Frees an orphan at unmount, after {@link #awaitIdleOrphans}. One that a device pinned again
   * in between (through a mapping its owner never closed) keeps its blocks and stays on the
   * persistent orphan list: the next mount's recovery frees it.
   */
  void freeAtUnmount(Inode in) {
    in.io.writeLock().lock();
    in.lock.writeLock().lock();
    try {
      if (in.evicted) {
        return;
      }
      if (in.links > 0) {
        clearOrphanMarkLocked(in);
        return;
      }
      if (!canFreeNow(in)) {
        return;
      }
      in.openCount = 0;
      Txn txn = new Txn(vol, true);
      freeIn(txn, in);
      txn.commit();
    } finally {
      in.lock.writeLock().unlock();
      in.io.writeLock().unlock();
    }
  }

  /** Takes {@code in} off the orphan list: it has a name after all. */
  void clearOrphanMark(Inode in) {
    in.lock.writeLock().lock();
    try {
      clearOrphanMarkLocked(in);
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  private void clearOrphanMarkLocked(Inode in) {
    Txn txn = new Txn(vol, true);
    txn.word(vol.inodes.slotOffset(in.ino) + InodeTable.ORPHAN,
        InodeTable.orphanWord(in.ino, false));
    txn.commit();
    in.orphan = false;
  }

  /**
   * Marks every DMA-busy page of {@code in} watched, then checks again (a page marked after its
   * last unpin would otherwise wake nobody); true while any page is still busy.
   */
  private boolean watchBusyPages(Inode in) {
    if (in.blocks == null || in.dax == null) {
      return false;
    }
    boolean busy = false;
    for (long pfn : busyBlocks(in)) {
      vol.pages.setWatched(pfn, true);
      busy |= vol.pages.isDmaBusy(pfn);
    }
    return busy;
  }

  /** The blocks of {@code in} (locked) that a device holds right now. */
  private List<Long> busyBlocks(Inode in) {
    List<Long> busy = new ArrayList<>();
    in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
      if (vol.pages.isDmaBusy(BlockMap.block(e))) {
        busy.add(BlockMap.block(e));
      }
    });
    return busy;
  }
}
