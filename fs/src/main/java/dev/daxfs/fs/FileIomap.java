package dev.daxfs.fs;

import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.Iomap;
import dev.daxfs.dax.IomapOps;

/**
 * The block-mapping callback of one regular file, what a DAX fault asks: where page {@code
 * index} lives, allocating on a write fault. Called with the address space's invalidate lock
 * held shared and the page's entry lock held, so it takes only the inode's metadata lock (never
 * the I/O lock, which a layout break holds while it waits for the invalidate lock).
 *
 * <p>A write fault's allocation is committed before the fault returns (zeroed block, EXTENT
 * entry, tail), so the block map is always durable and MAP_SYNC needs nothing more.
 */
final class FileIomap implements IomapOps {

  /** The filesystem. */
  private final Volume vol;

  /** The file. */
  private final Inode in;

  FileIomap(Volume vol, Inode in) {
    this.vol = vol;
    this.in = in;
  }

  @Override
  public Iomap mapRead(long index) throws ErrnoException {
    in.lock.readLock().lock();
    try {
      if (in.evicted || index >= FileIo.pagesFor(in.size)) {
        return Iomap.eof();
      }
      long e = in.blocks.get(index);
      if (e == 0) {
        return Iomap.hole();
      }
      long block = BlockMap.block(e);
      if (BlockMap.isUnwritten(e)) {
        return Iomap.unwritten(block);
      }
      vol.pages.setOwner(block, in.ino, index);
      return Iomap.mapped(block);
    } finally {
      in.lock.readLock().unlock();
    }
  }

  @Override
  public Iomap mapWrite(long index) throws ErrnoException {
    in.lock.writeLock().lock();
    try {
      if (in.evicted || index >= FileIo.pagesFor(in.size)) {
        return Iomap.eof();
      }
      long e = in.blocks.get(index);
      boolean checksums = in.blocks.checksums();
      if (e != 0 && !BlockMap.isUnwritten(e)
          && (!checksums || BlockMap.isStale(e) || vol.switches.skipStaleMark)) {
        long block = BlockMap.block(e);
        vol.pages.setOwner(block, in.ino, index);
        return Iomap.mapped(block);
      }
      long now = vol.now();
      Txn txn = new Txn(vol, e != 0 && !BlockMap.isUnwritten(e));
      try {
        long block;
        if (e != 0 && !BlockMap.isUnwritten(e)) {
          // A written page about to become writable: marked stale, durably, first, so that
          // its checksum is never trusted while a store or a device may change it.
          block = BlockMap.block(e);
          txn.append(in, Entries.extent(index, block, 1, LogEntry.EXT_STALE, in.size, 0, 0,
              new int[] {0}));
          commitStaleMark(txn);
          vol.pages.setOwner(block, in.ino, index);
          return Iomap.mapped(block, true);
        }
        if (e == 0) {
          long hint = index > 0 && in.blocks.get(index - 1) != 0
              ? BlockMap.block(in.blocks.get(index - 1)) + 1 : 0;
          block = vol.allocator.allocateOne(hint, false);
          txn.allocated(block, 1);
        } else {
          block = BlockMap.block(e);
        }
        // A new or unwritten block must read as zero once the entry makes it written; with
        // checksums it is stale from the start, since it is mapped for writing.
        vol.region.fillPersist(Layout.offset(block), Layout.BLOCK, (byte) 0);
        txn.append(in, Entries.extent(index, block, 1,
            LogEntry.EXT_TIMES | (checksums ? LogEntry.EXT_STALE : 0), in.size, now, now,
            checksums ? new int[] {0} : null));
        if (checksums) {
          commitStaleMark(txn);
        } else {
          txn.commit();
        }
        vol.pages.setOwner(block, in.ino, index);
        return Iomap.mapped(block, true);
      } catch (RuntimeException ex) {
        txn.abort();
        throw ex;
      }
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  /**
   * Commits a stale mark before the page becomes writable. The deliberate bug {@code
   * lateStaleMark} stores the tail without making it durable, as if the mark were persisted
   * only after the pin or mapping was granted: a crash may then lose the mark while the data
   * changed, and a checksum would lie.
   */
  private void commitStaleMark(Txn txn) {
    if (vol.switches.lateStaleMark) {
      txn.commitWithoutPersist();
    } else {
      txn.commit();
    }
  }

  @Override
  public void syncMetadata(long index) {
    // mapWrite commits every allocation before it returns; there is nothing left to persist.
  }
}
