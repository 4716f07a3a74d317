package dev.daxfs.fs;

/**
 * Freeing inodes whose last name and last user are gone. An inode unlinked while open, or
 * while a device may still DMA into its blocks, goes on the persistent orphan list (its slot's
 * orphan word) and is freed later: at its last release, or by recovery after a crash.
 */
final class Eviction {

  /** The filesystem. */
  private final Volume vol;

  Eviction(Volume vol) {
    this.vol = vol;
  }

  /**
   * Whether {@code in} can be freed right now: no device may touch its blocks. Eviction needs
   * no unmapping: an inode is evicted only when no handle is open, and every CPU mapping holds
   * a handle; without a mapping no new pin can be taken, so the descriptors tell the truth.
   */
  boolean canFreeNow(Inode in) {
    return !vol.layouts.busy(in);
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
      vol.cache.remove(in.ino);
      vol.inodes.release(in.ino);
    });
  }

  /** {@code in} lost its last name while still in use. */
  void orphaned(Inode in) {
    in.orphan = true;
  }

  /**
   * The last handle or mapping of {@code in} went away; frees it if it has no name left.
   * Takes the inode's lock.
   */
  void released(Inode in) {
    in.io.writeLock().lock();
    in.lock.writeLock().lock();
    try {
      if (in.evicted || in.openCount > 0 || in.links > 0 || !canFreeNow(in)) {
        return;
      }
      Txn txn = new Txn(vol, true);
      freeIn(txn, in);
      txn.commit();
    } finally {
      in.lock.writeLock().unlock();
      in.io.writeLock().unlock();
    }
  }
}
