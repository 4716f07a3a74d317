package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The data path of regular files: read, write, truncate, fallocate, lseek and fsync.
 *
 * <p>Writes copy on write: every page a write() touches gets a fresh block holding the old
 * bytes around the new ones, all persisted before one log commit maps them, so a write() is
 * atomic however many pages it spans. Three kinds of page are written in place instead:
 * unwritten (fallocated) blocks, which read as zero until the commit flips them to written, so
 * the write stays atomic; pages a CPU mapping holds or a device may be writing, which must not
 * move (DESIGN.md, "Data"); and pages whose copy finds no free block, so a write into a
 * written range never fails with ENOSPC.
 *
 * <p>Bytes of the last page beyond the end of file are undefined on media (a truncate does not
 * clear them, a mapping may store there); whatever grows the file zeroes the part it exposes.
 */
final class FileIo {

  /** fallocate(2) mode bits. */
  static final int FALLOC_FL_KEEP_SIZE = 0x01;

  static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  static final int FALLOC_FL_NO_HIDE_STALE = 0x04;
  static final int FALLOC_FL_COLLAPSE_RANGE = 0x08;
  static final int FALLOC_FL_ZERO_RANGE = 0x10;
  static final int FALLOC_FL_INSERT_RANGE = 0x20;
  static final int FALLOC_SUPPORTED = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
      | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE;

  /** lseek(2) whence values. */
  static final int SEEK_SET = 0;

  static final int SEEK_CUR = 1;
  static final int SEEK_END = 2;
  static final int SEEK_DATA = 3;
  static final int SEEK_HOLE = 4;

  private static final int PAGE = Layout.BLOCK;
  private static final int SHIFT = Layout.BLOCK_SHIFT;
  private static final long DAY_NS = 24L * 3600 * 1_000_000_000L;
  private static final byte[] ZEROS = new byte[PAGE];

  /** The filesystem. */
  private final Volume vol;

  /** Its region. */
  private final PmemRegion region;

  FileIo(Volume vol) {
    this.vol = vol;
    this.region = vol.region;
  }

  static long pageOf(long off) {
    return off >>> SHIFT;
  }

  static long pageStart(long page) {
    return page << SHIFT;
  }

  static long pagesFor(long size) {
    return (size + PAGE - 1) >>> SHIFT;
  }

  // ---- read ------------------------------------------------------------------------------

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code off}; returns how many (0 at EOF).
   * A media error or a checksum mismatch ends the read before the bad page; if that page is the
   * first, the read fails with EIO.
   */
  int read(Inode in, FileHandle h, long off, ByteBuffer dst) {
    if (off < 0) {
      throw new ErrnoException(Errno.EINVAL, "negative read offset " + off);
    }
    if (!dst.hasRemaining()) {
      return 0; // a zero-length read touches nothing, atime included
    }
    int done = readOptimistic(in, off, dst);
    if (done < 0) {
      vol.stats.lockedReads.increment();
      done = readLocked(in, off, dst);
    }
    // Unlocked: a racing change may cost an atime update, which the locked re-check in
    // updateAtime would have skipped anyway, or take one more look there.
    if (wantsAtime(in, h)) {
      updateAtime(in, h);
    }
    return done;
  }

  /**
   * The read without taking a lock (see {@link SeqRwLock}): returns the bytes read, or -1
   * with {@code dst}'s position and limit as they were when a writer held or took the I/O or
   * the metadata lock meanwhile, or when anything unusual came up (a media error, data
   * checksums to verify): the locked path then does the read again and reports what needs
   * reporting. The bytes already copied are not: they may come from a block that a racing
   * writer freed and another file reused, so they are zeroed before the locked path reads.
   */
  private int readOptimistic(Inode in, long off, ByteBuffer dst) {
    long ioStamp = in.io.readBegin();
    long stamp = in.lock.readBegin();
    if (((ioStamp | stamp) & 1) != 0) {
      return -1;
    }
    int position = dst.position();
    int limit = dst.limit();
    try {
      BlockMap blocks = in.blocks;
      if (blocks.checksums()) {
        return -1;
      }
      long size = in.size;
      int done = 0;
      if (off < size && dst.hasRemaining()) {
        long end = off + Math.min(dst.remaining(), size - off);
        for (long pos = off; pos < end; ) {
          long page = pageOf(pos);
          int a = (int) (pos - pageStart(page));
          int n = (int) Math.min(PAGE - a, end - pos);
          copyPage(blocks.get(page), a, n, dst);
          pos += n;
          done += n;
        }
      }
      if (in.io.readValid(ioStamp) && in.lock.readValid(stamp)) {
        return done;
      }
    } catch (RuntimeException e) {
      // A torn view of the inode, or a real error: the locked path tells them apart.
    }
    dst.limit(limit);
    int copied = dst.position() - position;
    dst.position(position);
    if (copied > 0) {
      // The locked read may end short (end of file, a media error): what it does not overwrite
      // must not be another file's data.
      for (int left = copied; left > 0; left -= PAGE) {
        dst.put(ZEROS, 0, Math.min(left, PAGE));
      }
      dst.position(position);
    }
    return -1;
  }

  /**
   * Copies {@code n} bytes from offset {@code a} of the page that block map entry {@code e}
   * maps into {@code dst}: zeros for a hole or an unwritten extent.
   */
  private void copyPage(long e, int a, int n, ByteBuffer dst) {
    if (e == 0 || BlockMap.isUnwritten(e)) {
      dst.put(ZEROS, 0, n);
      return;
    }
    int limit = dst.limit();
    dst.limit(dst.position() + n);
    try {
      region.load(Layout.offset(BlockMap.block(e)) + a, dst);
    } finally {
      dst.limit(limit);
    }
  }

  /** The read under the I/O and metadata locks, shared. */
  private int readLocked(Inode in, long off, ByteBuffer dst) {
    int done = 0;
    in.io.readLock().lock();
    in.lock.readLock().lock();
    try {
      long size = in.size;
      if (off >= size || !dst.hasRemaining()) {
        return 0;
      }
      int want = (int) Math.min(dst.remaining(), size - off);
      long pos = off;
      long end = off + want;
      while (pos < end) {
        long page = pageOf(pos);
        int a = (int) (pos - pageStart(page));
        int n = (int) Math.min(PAGE - a, end - pos);
        long e = in.blocks.get(page);
        try {
          if (e != 0 && !BlockMap.isUnwritten(e) && in.blocks.checksums()
              && !BlockMap.isStale(e)
              && region.crc32c(Layout.offset(BlockMap.block(e)), PAGE) != in.blocks.crc(page)) {
            vol.stats.checksumErrors.increment();
            throw new ErrnoException(Errno.EIO, "data checksum mismatch in page " + page
                + " of inode " + in.ino + " (block " + BlockMap.block(e) + ")");
          }
          copyPage(e, a, n, dst);
        } catch (MediaErrorException me) {
          vol.stats.mediaErrors.increment();
          if (done == 0) {
            throw new ErrnoException(Errno.EIO, "media error in page " + page + " of inode "
                + in.ino, me);
          }
          return done;
        } catch (ErrnoException ee) {
          if (done == 0) {
            throw ee;
          }
          return done;
        }
        pos += n;
        done += n;
      }
      return done;
    } finally {
      in.lock.readLock().unlock();
      in.io.readLock().unlock();
    }
  }

  private boolean wantsAtime(Inode in, FileHandle h) {
    if (h != null && (h.flags & FileHandle.O_NOATIME) != 0) {
      return false;
    }
    return switch (vol.options.atime) {
      case NOATIME -> false;
      case STRICTATIME -> true;
      case RELATIME -> in.atime <= in.mtime || in.atime <= in.ctime
          || CoarseClock.millis() * 1_000_000L - in.atime >= DAY_NS;
    };
  }

  private void updateAtime(Inode in, FileHandle h) {
    in.lock.writeLock().lock();
    try {
      if (in.evicted || !wantsAtime(in, h)) {
        return;
      }
      Txn txn = new Txn(vol, false);
      try {
        txn.append(in, Entries.setattr(LogEntry.ATTR_ATIME, 0, 0, 0, vol.now(), 0, 0, 0));
        txn.commit();
      } catch (ErrnoException e) {
        // No space for an atime record: the read itself succeeded, and atime is advisory.
        txn.abort();
      }
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  // ---- write -----------------------------------------------------------------------------

  /** Writes {@code src} at {@code off} (at EOF for O_APPEND); returns bytes written. */
  int write(Cred cred, FileHandle h, long off, ByteBuffer src) {
    Inode in = h.inode;
    int len = src.remaining();
    in.io.writeLock().lock();
    try {
      checkUsable(in);
      // The size changes only under the I/O lock, which is held.
      long oldSize = in.size;
      if (h.append()) {
        off = oldSize;
      }
      if (off < 0) {
        throw new ErrnoException(Errno.EINVAL, "negative write offset " + off);
      }
      if (len == 0) {
        return 0;
      }
      if (off + len > Inode.MAX_SIZE || off + len < 0) {
        throw new ErrnoException(Errno.EFBIG, "write beyond the largest file size");
      }
      long newSize = Math.max(oldSize, off + len);
      boolean expose = off > oldSize && pageOf(oldSize) < pageOf(off);
      long firstLocked = expose ? pageOf(oldSize) : pageOf(off);
      try (Layouts.Held pages = vol.layouts.lockPages(in, firstLocked, pageOf(off + len - 1) + 1)) {
        in.lock.writeLock().lock();
        try {
          long now = vol.now();
          Txn txn = new Txn(vol, false);
          try {
            if (expose) {
              exposeTail(txn, in, oldSize, now, newSize);
            }
            writePages(txn, in, off, len, src, oldSize, newSize, now);
            killPrivileges(txn, in, cred, now);
            txn.commit();
          } catch (RuntimeException e) {
            txn.abort();
            throw e;
          }
        } finally {
          in.lock.writeLock().unlock();
        }
      }
      return len;
    } finally {
      in.io.writeLock().unlock();
    }
  }

  private static void checkUsable(Inode in) {
    if (in.evicted) {
      throw new ErrnoException(Errno.ESTALE, "inode " + in.ino + " was freed");
    }
    if (in.damage != null) {
      throw new ErrnoException(Errno.EIO, "inode " + in.ino + " is damaged: " + in.damage);
    }
  }

  /** Adds the suid/sgid drop that a write or truncate by an unprivileged caller causes. */
  private void killPrivileges(Txn txn, Inode in, Cred cred, long now) {
    int mode = Permissions.afterWrite(cred, in.mode);
    if (mode != in.mode) {
      txn.append(in, Entries.setattr(LogEntry.ATTR_MODE | LogEntry.ATTR_CTIME, mode, 0, 0, 0, 0,
          now, 0));
    }
  }

  /** How one page of a write is handled. */
  private enum Kind {
    /** No block yet: a fresh one, zeros around the data. */
    HOLE,
    /** A written block that may move: a fresh one, old bytes around the data. */
    COPY,
    /** An unwritten (fallocated) block: filled in place, flipped to written by the commit. */
    UNWRITTEN,
    /** A written block that must stay: stored in place. */
    IN_PLACE
  }

  /**
   * Writes {@code len} bytes at {@code off} into pages of {@code in}, from {@code src} or zeros
   * when {@code src} is null, and appends the EXTENT entries that map the result to {@code
   * txn}. Zeros into holes and unwritten blocks write nothing: those read as zero already.
   *
   * @param oldSize the size before this operation (bytes at or beyond it are undefined)
   * @param newSize the size the entries record
   */
  private void writePages(Txn txn, Inode in, long off, long len, ByteBuffer src, long oldSize,
      long newSize, long now) {
    long first = pageOf(off);
    long last = pageOf(off + len - 1);
    if (first == last) {
      writeOnePage(txn, in, off, (int) len, src, oldSize, newSize, now);
      return;
    }
    int n = (int) (last - first + 1);
    Kind[] kind = new Kind[n];
    long[] old = new long[n];
    long[] block = new long[n];
    int fresh = 0;
    for (int i = 0; i < n; i++) {
      old[i] = in.blocks.get(first + i);
      kind[i] = kindOf(in, first + i, old[i], src == null);
      if (kind[i] == Kind.HOLE || kind[i] == Kind.COPY) {
        fresh++;
      }
    }
    List<long[]> extents = new ArrayList<>();
    if (fresh > 0) {
      // Next to the page before, for files written in order; an overwrite of one page asks
      // for a block next to the one it replaces.
      long hint = n == 1 && old[0] != 0 ? BlockMap.block(old[0]) + 1 : hintFor(in, first);
      try {
        vol.allocator.allocate(fresh, hint, txn.mayUseReserve, extents);
      } catch (ErrnoException e) {
        if (e.errno() != Errno.ENOSPC) {
          throw e;
        }
        int holes = 0;
        for (int i = 0; i < n; i++) {
          if (kind[i] == Kind.COPY) {
            kind[i] = Kind.IN_PLACE;
            vol.stats.inPlaceForSpace.increment();
          } else if (kind[i] == Kind.HOLE) {
            holes++;
          }
        }
        extents.clear();
        fresh = holes;
        if (holes > 0) {
          vol.allocator.allocate(holes, hint, txn.mayUseReserve, extents);
        }
      }
    }
    for (long[] x : extents) {
      txn.allocated(x[0], x[1]);
    }
    markStaleBeforeStoring(txn, in, first, kind, old);
    if (fresh == 0) {
      // No new data block (fallocated or in-place pages): the log records may come from the
      // reserve, so writes into an allocated range never fail with ENOSPC.
      txn.logMayUseReserve = true;
    }
    try {
      int ext = 0;
      long next = extents.isEmpty() ? 0 : extents.get(0)[0];
      long extLeft = extents.isEmpty() ? 0 : extents.get(0)[1];
      for (int i = 0; i < n; i++) {
        if (kind[i] == Kind.HOLE || kind[i] == Kind.COPY) {
          if (extLeft == 0) {
            ext++;
            next = extents.get(ext)[0];
            extLeft = extents.get(ext)[1];
          }
          block[i] = next++;
          extLeft--;
        } else {
          block[i] = BlockMap.block(old[i]);
        }
      }
      long pos = off;
      long end = off + len;
      for (int i = 0; i < n; i++) {
        long page = first + i;
        long ps = pageStart(page);
        int a = (int) (Math.max(pos, ps) - ps);
        int b = (int) (Math.min(end, ps + PAGE) - ps);
        if (kind[i] != null) {
          storePage(in, page, kind[i], old[i], block[i], a, b, src, (int) (ps + a - off),
              (int) Math.max(0, Math.min(PAGE, oldSize - ps)));
        }
      }
    } catch (RuntimeException e) {
      throw e;
    }
    // Entries: one EXTENT per run of pages whose blocks are consecutive and alike.
    int flags = LogEntry.EXT_TIMES | LogEntry.EXT_SIZE;
    int i = 0;
    boolean any = false;
    while (i < n) {
      if (kind[i] == null) {
        i++;
        continue;
      }
      // A page written in place keeps its stale mark: a mapping or a device may still be
      // writing it, so no checksum describes it until an fsync clears the mark.
      boolean stale = kind[i] == Kind.IN_PLACE && BlockMap.isStale(old[i]);
      int j = i + 1;
      int max = in.blocks.checksums() ? Entries.MAX_EXTENT_PAGES_WITH_CRCS : Integer.MAX_VALUE;
      while (j < n && kind[j] != null && block[j] == block[j - 1] + 1 && j - i < max
          && (kind[j] == Kind.IN_PLACE && BlockMap.isStale(old[j])) == stale) {
        j++;
      }
      int[] crcs = null;
      if (in.blocks.checksums()) {
        crcs = new int[j - i];
        for (int k = i; k < j; k++) {
          crcs[k - i] = stale ? 0 : region.crc32c(Layout.offset(block[k]), PAGE);
        }
      }
      txn.append(in, Entries.extent(first + i, block[i], j - i,
          flags | (stale ? LogEntry.EXT_STALE : 0), newSize, now, now, crcs));
      any = true;
      i = j;
    }
    if (!any && (newSize != in.size || src != null)) {
      txn.append(in, Entries.setattr(LogEntry.ATTR_MTIME | LogEntry.ATTR_CTIME
          | (newSize > in.size ? LogEntry.ATTR_SIZE : 0), 0, 0, 0, 0, now, now, newSize));
    }
  }

  /**
   * {@link #writePages} for a write within one page, the common small overwrite: the same
   * steps for one page, without the per-page arrays and extent lists.
   */
  private void writeOnePage(Txn txn, Inode in, long off, int len, ByteBuffer src, long oldSize,
      long newSize, long now) {
    long page = pageOf(off);
    long old = in.blocks.get(page);
    Kind kind = kindOf(in, page, old, src == null);
    boolean fresh = kind == Kind.HOLE || kind == Kind.COPY;
    long block = BlockMap.block(old);
    if (fresh) {
      long hint = old != 0 ? block + 1 : hintFor(in, page);
      try {
        block = vol.allocator.allocateOne(hint, txn.mayUseReserve);
      } catch (ErrnoException e) {
        if (e.errno() != Errno.ENOSPC) {
          throw e;
        }
        if (kind == Kind.COPY) {
          kind = Kind.IN_PLACE;
          vol.stats.inPlaceForSpace.increment();
          fresh = false;
        } else {
          block = vol.allocator.allocateOne(hint, txn.mayUseReserve);
        }
      }
      if (fresh) {
        txn.allocated(block, 1);
      }
    }
    if (kind == Kind.IN_PLACE) {
      markStaleBeforeStoring(txn, in, page, old);
    }
    if (!fresh) {
      // As in writePages: no new data block, so the log records may come from the reserve.
      txn.logMayUseReserve = true;
    }
    if (kind == null) {
      if (newSize != in.size) {
        txn.append(in, Entries.setattr(LogEntry.ATTR_MTIME | LogEntry.ATTR_CTIME
            | (newSize > in.size ? LogEntry.ATTR_SIZE : 0), 0, 0, 0, 0, now, now, newSize));
      }
      return;
    }
    long ps = pageStart(page);
    int a = (int) (off - ps);
    storePage(in, page, kind, old, block, a, a + len, src, 0,
        (int) Math.max(0, Math.min(PAGE, oldSize - ps)));
    boolean stale = kind == Kind.IN_PLACE && BlockMap.isStale(old);
    int[] crcs = null;
    if (in.blocks.checksums()) {
      crcs = new int[] {stale ? 0 : region.crc32c(Layout.offset(block), PAGE)};
    }
    txn.append(in, Entries.extent(page, block, 1,
        LogEntry.EXT_TIMES | LogEntry.EXT_SIZE | (stale ? LogEntry.EXT_STALE : 0), newSize, now,
        now, crcs));
  }

  /**
   * How a write treats {@code page}, mapped by {@code old}: null when the write stores zeros
   * ({@code zeros}) into a page that reads as zero already. Decided under the page's entry lock:
   * a page a mapping holds or a device may write stays where it is.
   */
  private Kind kindOf(Inode in, long page, long old, boolean zeros) {
    if (old == 0) {
      return zeros ? null : Kind.HOLE;
    }
    if (BlockMap.isUnwritten(old)) {
      return zeros ? null : Kind.UNWRITTEN;
    }
    if (vol.layouts.mayMove(in, page, old)) {
      return Kind.COPY;
    }
    vol.stats.inPlaceWrites.increment();
    return Kind.IN_PLACE;
  }

  /** Stores one page of a write into {@code block} (see {@link #fillPage}) and maps it. */
  private void storePage(Inode in, long page, Kind kind, long old, long block, int a, int b,
      ByteBuffer src, int srcOff, int valid) {
    if (kind != Kind.IN_PLACE) {
      vol.layouts.pageMoving(in, page);
    }
    try {
      fillPage(kind, old, block, a, b, src, srcOff, valid);
    } catch (MediaErrorException me) {
      // Keeping the bytes around the write means reading them: a poisoned page can
      // only be overwritten whole.
      vol.stats.mediaErrors.increment();
      throw new ErrnoException(Errno.EIO, "media error in page " + page + " of inode "
          + in.ino + ": only a write of the whole page replaces it", me);
    }
    vol.layouts.assigned(in, page, block);
  }

  /**
   * Makes the pages a write is about to store into in place durably stale first, when a
   * checksum describes them: the bytes change before the entry carrying their new checksum
   * commits, and a crash in between must not leave the old checksum over new bytes. The
   * write's own entry then records the new checksum (DESIGN.md, "Stable data").
   */
  private void markStaleBeforeStoring(Txn txn, Inode in, long first, Kind[] kind, long[] old) {
    if (!in.blocks.checksums() || vol.switches.inPlaceWriteBeforeStaleMark) {
      return;
    }
    Txn mark = null;
    for (int i = 0; i < kind.length; i++) {
      if (kind[i] == Kind.IN_PLACE) {
        mark = staleMark(mark, txn, in, first + i, old[i]);
      }
    }
    commitMark(mark);
  }

  /** {@link #markStaleBeforeStoring} for one page about to be stored in place. */
  private void markStaleBeforeStoring(Txn txn, Inode in, long page, long old) {
    if (!in.blocks.checksums() || vol.switches.inPlaceWriteBeforeStaleMark) {
      return;
    }
    commitMark(staleMark(null, txn, in, page, old));
  }

  /**
   * Adds to {@code mark} (created if null) the entry making {@code page} stale, unless it is
   * stale already; returns {@code mark}.
   */
  private Txn staleMark(Txn mark, Txn txn, Inode in, long page, long old) {
    if (BlockMap.isStale(old)) {
      return mark;
    }
    if (txn.hasAppended(in)) {
      // Only a write that first zeroed the old last page's tail has entries pending, and
      // its pages lie beyond that page, where no written block stays.
      throw new IllegalStateException("page " + page + " of inode " + in.ino
          + " would be stored in place behind pending entries");
    }
    if (mark == null) {
      mark = new Txn(vol, true);
    }
    mark.append(in, Entries.extent(page, BlockMap.block(old), 1, LogEntry.EXT_STALE,
        in.size, 0, 0, new int[] {0}));
    return mark;
  }

  private static void commitMark(Txn mark) {
    if (mark != null) {
      try {
        mark.commit();
      } catch (RuntimeException e) {
        mark.abort();
        throw e;
      }
    }
  }

  /**
   * Stores one page of a write: bytes {@code [a, b)} from {@code src} (or zeros), and around
   * them zeros or the old bytes, as its kind requires. Flushes what it stored.
   *
   * @param valid bytes of the old page below the old EOF; the rest is undefined
   */
  private void fillPage(Kind kind, long oldEntry, long block, int a, int b, ByteBuffer src,
      int srcOff, int valid) {
    long dst = Layout.offset(block);
    if ((kind == Kind.HOLE || kind == Kind.COPY) && region.isPoisoned(dst, PAGE)) {
      // A fresh block that held a media error: the pieces below may not cover a whole line
      // each, so the page is overwritten whole first, which clears it.
      region.fill(dst, PAGE, (byte) 0);
    }
    switch (kind) {
      case HOLE, UNWRITTEN -> {
        if (a > 0) {
          region.fill(dst, a, (byte) 0);
        }
        store(dst + a, src, srcOff, b - a);
        if (b < PAGE) {
          region.fill(dst + b, PAGE - b, (byte) 0);
        }
        region.flush(dst, PAGE);
      }
      case COPY -> {
        long from = Layout.offset(BlockMap.block(oldEntry));
        int keepHead = Math.min(a, valid);
        if (keepHead > 0) {
          region.copy(from, dst, keepHead);
        }
        if (keepHead < a) {
          region.fill(dst + keepHead, a - keepHead, (byte) 0);
        }
        store(dst + a, src, srcOff, b - a);
        int keepTail = Math.max(b, valid);
        if (keepTail > b) {
          region.copy(from + b, dst + b, keepTail - b);
        }
        if (keepTail < PAGE) {
          region.fill(dst + keepTail, PAGE - keepTail, (byte) 0);
        }
        region.flush(dst, PAGE);
      }
      case IN_PLACE -> {
        if (a > valid) {
          region.fill(dst + valid, a - valid, (byte) 0);
        }
        store(dst + a, src, srcOff, b - a);
        int lo = Math.min(a, valid);
        region.flush(dst + lo, b - lo);
      }
    }
  }

  private void store(long dst, ByteBuffer src, int srcOff, int len) {
    if (src == null) {
      region.fill(dst, len, (byte) 0);
      return;
    }
    // Narrow the caller's buffer in place and restore it: a duplicate costs more than the copy
    // of a small write.
    int position = src.position();
    int limit = src.limit();
    try {
      src.limit(position + srcOff + len);
      src.position(position + srcOff);
      region.store(dst, src);
    } finally {
      src.limit(limit);
      src.position(position);
    }
  }

  private static long hintFor(Inode in, long page) {
    if (page > 0) {
      long e = in.blocks.get(page - 1);
      if (e != 0) {
        return BlockMap.block(e) + 1;
      }
    }
    return 0;
  }

  /**
   * Zeroes the part of the old last page that growing the file from {@code oldSize} exposes,
   * when that page holds a written block (its bytes beyond EOF are undefined).
   */
  private void exposeTail(Txn txn, Inode in, long oldSize, long now, long newSize) {
    int inPage = (int) (oldSize & (PAGE - 1));
    if (inPage == 0) {
      return;
    }
    long page = pageOf(oldSize);
    long e = in.blocks.get(page);
    if (e == 0 || BlockMap.isUnwritten(e)) {
      return;
    }
    long end = Math.min(pageStart(page) + PAGE, newSize);
    writePages(txn, in, oldSize, end - oldSize, null, oldSize, newSize, now);
  }

  // ---- truncate --------------------------------------------------------------------------

  /**
   * Takes the locks a size change needs, in order: the caller holds {@code in.io}
   * exclusively; shrinking breaks the layout of [new size rounded down to a page, EOF), growing
   * locks the old last page (its exposed tail is zeroed). Close the result after the commit.
   */
  Layouts.Held prepareSize(Inode in, long newSize) {
    long oldSize = in.size;
    if (newSize < oldSize) {
      return vol.layouts.breakLayout(in, pageOf(newSize), Inode.MAX_PAGES);
    }
    if (newSize > oldSize) {
      return vol.layouts.lockPages(in, pageOf(oldSize), pageOf(oldSize) + 1);
    }
    return Layouts.Held.NOTHING;
  }

  /**
   * Appends the change of {@code in}'s size to {@code newSize} to {@code txn}. The caller holds
   * {@code in.io} and {@code in.lock} exclusively and what {@link #prepareSize} returned.
   */
  void truncate(Txn txn, Inode in, long newSize, Cred cred, long now) {
    checkSize(in, newSize);
    long oldSize = in.size;
    if (newSize < oldSize) {
      long firstFree = pagesFor(newSize);
      txn.append(in, Entries.range(LogEntry.RANGE_TRUNCATE, firstFree,
          Inode.MAX_PAGES - firstFree, newSize, now, now));
    } else if (newSize > oldSize) {
      exposeTail(txn, in, oldSize, now, newSize);
      txn.append(in, Entries.setattr(LogEntry.ATTR_SIZE | LogEntry.ATTR_MTIME
          | LogEntry.ATTR_CTIME, 0, 0, 0, 0, now, now, newSize));
    } else {
      txn.append(in, Entries.setattr(LogEntry.ATTR_MTIME | LogEntry.ATTR_CTIME, 0, 0, 0, 0, now,
          now, 0));
    }
    killPrivileges(txn, in, cred, now);
  }

  /** The errors truncate(2) gives for a file and a size. */
  static void checkSize(Inode in, long newSize) {
    if (!in.isRegular()) {
      throw new ErrnoException(in.isDir() ? Errno.EISDIR : Errno.EINVAL,
          "only regular files can be truncated");
    }
    if (newSize < 0) {
      throw new ErrnoException(Errno.EINVAL, "negative size " + newSize);
    }
    if (newSize > Inode.MAX_SIZE) {
      throw new ErrnoException(Errno.EFBIG, "size " + newSize + " exceeds the largest file");
    }
  }

  // ---- fallocate -------------------------------------------------------------------------

  /** fallocate(2) with Linux's argument rules and errors. */
  void fallocate(Cred cred, FileHandle h, int mode, long off, long len) {
    if (off < 0 || len <= 0) {
      throw new ErrnoException(Errno.EINVAL, "fallocate needs offset >= 0 and length > 0");
    }
    if ((mode & ~(FALLOC_SUPPORTED | FALLOC_FL_NO_HIDE_STALE)) != 0
        || (mode & FALLOC_FL_NO_HIDE_STALE) != 0) {
      throw new ErrnoException(Errno.EOPNOTSUPP, "fallocate mode 0x"
          + Integer.toHexString(mode) + " is not supported");
    }
    if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
        == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
      throw new ErrnoException(Errno.EOPNOTSUPP, "punch hole and zero range exclude each other");
    }
    if ((mode & FALLOC_FL_PUNCH_HOLE) != 0 && (mode & FALLOC_FL_KEEP_SIZE) == 0) {
      throw new ErrnoException(Errno.EOPNOTSUPP, "punch hole needs keep size");
    }
    if ((mode & FALLOC_FL_COLLAPSE_RANGE) != 0 && mode != FALLOC_FL_COLLAPSE_RANGE) {
      throw new ErrnoException(Errno.EINVAL, "collapse range takes no other flag");
    }
    if ((mode & FALLOC_FL_INSERT_RANGE) != 0 && mode != FALLOC_FL_INSERT_RANGE) {
      throw new ErrnoException(Errno.EINVAL, "insert range takes no other flag");
    }
    if (!h.writable()) {
      throw new ErrnoException(Errno.EBADF, "file is not open for writing");
    }
    Inode in = h.inode;
    if (in.isDir()) {
      throw new ErrnoException(Errno.EISDIR, "fallocate on a directory");
    }
    if ((in.type & Mode.S_IFMT) == Mode.S_IFIFO) {
      throw new ErrnoException(Errno.ESPIPE, "fallocate on a pipe");
    }
    if (!in.isRegular()) {
      throw new ErrnoException(Errno.ENODEV, "fallocate on a file that is not regular");
    }
    if (off + len > Inode.MAX_SIZE || off + len < 0) {
      throw new ErrnoException(Errno.EFBIG, "range ends beyond the largest file size");
    }
    in.io.writeLock().lock();
    try (Layouts.Held held = prepareFallocate(in, mode, off, len)) {
      checkUsable(in);
      in.lock.writeLock().lock();
      try {
        long now = vol.now();
        boolean keep = (mode & FALLOC_FL_KEEP_SIZE) != 0;
        boolean deleting = (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE)) != 0;
        Txn txn = new Txn(vol, deleting);
        try {
          if ((mode & FALLOC_FL_PUNCH_HOLE) != 0) {
            punch(txn, in, off, len, false, keep, now);
          } else if ((mode & FALLOC_FL_ZERO_RANGE) != 0) {
            punch(txn, in, off, len, true, keep, now);
          } else if (mode == FALLOC_FL_COLLAPSE_RANGE) {
            collapse(txn, in, off, len, now);
          } else if (mode == FALLOC_FL_INSERT_RANGE) {
            insert(txn, in, off, len, now);
          } else {
            preallocate(txn, in, off, len, keep, now);
          }
          killPrivileges(txn, in, cred, now);
          txn.commit();
        } catch (RuntimeException e) {
          txn.abort();
          throw e;
        }
      } finally {
        in.lock.writeLock().unlock();
      }
    } finally {
      in.io.writeLock().unlock();
    }
  }

  /**
   * The layout break (punch, zero: the page-rounded range; collapse, insert: from the offset to
   * EOF) or page locks (growth exposing the old last page) a fallocate needs; {@code in.io} is
   * held exclusively.
   */
  private Layouts.Held prepareFallocate(Inode in, int mode, long off, long len) {
    if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0) {
      long from = pageOf(off);
      long to = pagesFor(off + len);
      if ((mode & FALLOC_FL_ZERO_RANGE) != 0 && (mode & FALLOC_FL_KEEP_SIZE) == 0
          && off + len > in.size) {
        from = Math.min(from, pageOf(in.size));
      }
      return vol.layouts.breakLayout(in, from, to);
    }
    if ((mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) != 0) {
      return vol.layouts.breakLayout(in, pageOf(off), Inode.MAX_PAGES);
    }
    if ((mode & FALLOC_FL_KEEP_SIZE) == 0 && off + len > in.size) {
      return vol.layouts.lockPages(in, pageOf(in.size), pageOf(in.size) + 1);
    }
    return Layouts.Held.NOTHING;
  }

  /** Mode 0 and KEEP_SIZE: unwritten blocks for the holes of the range. */
  private void preallocate(Txn txn, Inode in, long off, long len, boolean keep, long now) {
    long first = pageOf(off);
    long end = pagesFor(off + len);
    long oldSize = in.size;
    long newSize = keep ? oldSize : Math.max(oldSize, off + len);
    if (newSize > oldSize) {
      // The old last page's tail is exposed whether or not the range starts in that page:
      // unwritten() allocates only holes and leaves its written block alone.
      exposeTail(txn, in, oldSize, now, newSize);
    }
    unwritten(txn, in, first, end, false, newSize, now);
    txn.append(in, Entries.setattr(LogEntry.ATTR_MTIME | LogEntry.ATTR_CTIME
        | (newSize > oldSize ? LogEntry.ATTR_SIZE : 0), 0, 0, 0, 0, now, now, newSize));
  }

  /**
   * Gives pages {@code [from, to)} unwritten blocks: holes get fresh ones (unwritten blocks
   * read as zero whatever they hold, so nothing is zeroed on media); with {@code flipWritten},
   * written blocks become unwritten where they are. Allocates before appending anything, so
   * ENOSPC leaves the transaction as it was.
   */
  private void unwritten(Txn txn, Inode in, long from, long to, boolean flipWritten,
      long newSize, long now) {
    List<long[]> holeRuns = new ArrayList<>();
    long holes = 0;
    for (long p = from; p < to; ) {
      long h = in.blocks.nextHole(p);
      if (h >= to) {
        break;
      }
      long m = in.blocks.nextMapped(h);
      long runEnd = m < 0 || m > to ? to : m;
      holeRuns.add(new long[] {h, runEnd - h});
      holes += runEnd - h;
      p = runEnd;
    }
    int flags = LogEntry.EXT_UNWRITTEN | LogEntry.EXT_TIMES;
    if (holes > 0) {
      List<long[]> extents = new ArrayList<>();
      vol.allocator.allocate(holes, hintFor(in, from), false, extents);
      for (long[] x : extents) {
        txn.allocated(x[0], x[1]);
      }
      int ext = 0;
      long next = extents.get(0)[0];
      long left = extents.get(0)[1];
      for (long[] run : holeRuns) {
        long page = run[0];
        long runEnd = run[0] + run[1];
        while (page < runEnd) {
          if (left == 0) {
            ext++;
            next = extents.get(ext)[0];
            left = extents.get(ext)[1];
          }
          int n = (int) Math.min(Math.min(left, runEnd - page), Integer.MAX_VALUE);
          txn.append(in, Entries.extent(page, next, n, flags, newSize, now, now, null));
          page += n;
          next += n;
          left -= n;
        }
      }
    }
    if (flipWritten) {
      List<long[]> runs = new ArrayList<>();
      in.blocks.forEach(from, to, (page, e) -> {
        if (BlockMap.isUnwritten(e)) {
          return;
        }
        long b = BlockMap.block(e);
        if (!runs.isEmpty()) {
          long[] r = runs.get(runs.size() - 1);
          if (r[0] + r[2] == page && r[1] + r[2] == b && r[2] < Integer.MAX_VALUE) {
            r[2]++;
            return;
          }
        }
        runs.add(new long[] {page, b, 1});
      });
      for (long[] r : runs) {
        txn.append(in, Entries.extent(r[0], r[1], (int) r[2], flags, newSize, now, now, null));
      }
    }
  }

  /**
   * PUNCH_HOLE (and, with {@code zero}, ZERO_RANGE): partial pages at the edges are zeroed by
   * copy-on-write, whole pages are freed (and for zero range, replaced by unwritten blocks).
   * The layout of the page-rounded range is broken first.
   */
  private void punch(Txn txn, Inode in, long off, long len, boolean zero, boolean keep,
      long now) {
    long end = off + len;
    long oldSize = in.size;
    long newSize = zero && !keep ? Math.max(oldSize, end) : oldSize;
    long fullFirst = pagesFor(off);
    long fullEnd = pageOf(end);
    // What must read as zero afterwards: the range, clipped to the file unless zero range
    // grows it; for zero range also the part of the old last page the growth exposes.
    long zeroFrom = off;
    long zeroTo = zero ? end : Math.min(end, oldSize);
    if (zero && newSize > oldSize && oldSize < off && pageOf(oldSize) == pageOf(off)) {
      zeroFrom = oldSize;
    } else if (zero && newSize > oldSize && pageOf(oldSize) < pageOf(off)) {
      exposeTail(txn, in, oldSize, now, newSize);
    }
    if (fullFirst > fullEnd) {
      // Entirely inside one page.
      if (zeroFrom < zeroTo) {
        writePages(txn, in, zeroFrom, zeroTo - zeroFrom, null, oldSize, newSize, now);
      }
    } else {
      long headEnd = Math.min(pageStart(fullFirst), zeroTo);
      if (zeroFrom < headEnd) {
        writePages(txn, in, zeroFrom, headEnd - zeroFrom, null, oldSize, newSize, now);
      }
      long tailStart = Math.max(pageStart(fullEnd), zeroFrom);
      if (tailStart < zeroTo && pageOf(tailStart) >= fullEnd) {
        writePages(txn, in, tailStart, zeroTo - tailStart, null, oldSize, newSize, now);
      }
      if (fullFirst < fullEnd) {
        if (zero) {
          unwritten(txn, in, fullFirst, fullEnd, true, oldSize, now);
        } else {
          txn.append(in, Entries.range(LogEntry.RANGE_PUNCH, fullFirst, fullEnd - fullFirst,
              oldSize, now, now));
        }
      }
    }
    txn.append(in, Entries.setattr(LogEntry.ATTR_MTIME | LogEntry.ATTR_CTIME
        | (newSize > oldSize ? LogEntry.ATTR_SIZE : 0), 0, 0, 0, 0, now, now, newSize));
  }

  private void collapse(Txn txn, Inode in, long off, long len, long now) {
    if ((off & (PAGE - 1)) != 0 || (len & (PAGE - 1)) != 0) {
      throw new ErrnoException(Errno.EINVAL, "collapse range needs page-aligned offset and "
          + "length");
    }
    if (off + len >= in.size) {
      throw new ErrnoException(Errno.EINVAL, "collapse range must end before the end of file");
    }
    txn.append(in, Entries.range(LogEntry.RANGE_COLLAPSE, pageOf(off), pageOf(len),
        in.size - len, now, now));
  }

  private void insert(Txn txn, Inode in, long off, long len, long now) {
    if ((off & (PAGE - 1)) != 0 || (len & (PAGE - 1)) != 0) {
      throw new ErrnoException(Errno.EINVAL, "insert range needs page-aligned offset and length");
    }
    if (off >= in.size) {
      throw new ErrnoException(Errno.EINVAL, "insert range must start before the end of file");
    }
    if (in.size + len > Inode.MAX_SIZE) {
      throw new ErrnoException(Errno.EFBIG, "insert range would exceed the largest file size");
    }
    if (in.blocks.lastMapped() + pageOf(len) >= Inode.MAX_PAGES) {
      throw new ErrnoException(Errno.EFBIG, "insert range would push blocks past the largest "
          + "file size");
    }
    txn.append(in, Entries.range(LogEntry.RANGE_INSERT, pageOf(off), pageOf(len),
        in.size + len, now, now));
  }

  // ---- lseek and fsync -------------------------------------------------------------------

  /** SEEK_DATA and SEEK_HOLE; unwritten blocks count as holes, EOF as a hole. */
  long seek(Inode in, long off, int whence) {
    in.lock.readLock().lock();
    try {
      long size = in.size;
      switch (whence) {
        case SEEK_SET -> {
          if (off < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative seek offset " + off);
          }
          return off;
        }
        case SEEK_END -> {
          if (size + off < 0) {
            throw new ErrnoException(Errno.EINVAL, "seek before the start of the file");
          }
          return size + off;
        }
        case SEEK_DATA, SEEK_HOLE -> {
          if (off < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative seek offset");
          }
          if (off >= size) {
            throw new ErrnoException(Errno.ENXIO, "offset " + off + " is at or beyond EOF");
          }
          if (!in.isRegular()) {
            return whence == SEEK_DATA ? off : size;
          }
          if (whence == SEEK_DATA) {
            long p = pageOf(off);
            while (true) {
              long m = in.blocks.nextMapped(p);
              if (m < 0 || pageStart(m) >= size) {
                throw new ErrnoException(Errno.ENXIO, "no data after offset " + off);
              }
              if (!BlockMap.isUnwritten(in.blocks.get(m))) {
                return Math.max(off, pageStart(m));
              }
              p = m + 1;
            }
          }
          long p = pageOf(off);
          while (true) {
            long h = in.blocks.nextHole(p);
            long e = in.blocks.get(p);
            long candidate = (e != 0 && BlockMap.isUnwritten(e)) ? p : h;
            if (candidate < h) {
              return Math.min(size, Math.max(off, pageStart(candidate)));
            }
            // Pages [p, h) are mapped; an unwritten one among them is a hole too.
            for (long q = p; q < h; q++) {
              if (BlockMap.isUnwritten(in.blocks.get(q))) {
                return Math.min(size, Math.max(off, pageStart(q)));
              }
            }
            return Math.min(size, Math.max(off, pageStart(h)));
          }
        }
        default -> throw new ErrnoException(Errno.EINVAL, "unknown whence " + whence);
      }
    } finally {
      in.lock.readLock().unlock();
    }
  }

  /**
   * Makes the file's data durable. write() persists before it returns, so what remains is data
   * stored through DAX mappings, which the DAX layer writes back.
   */
  void fsync(Inode in, boolean dataOnly) {
    checkUsable(in);
    dev.daxfs.dax.DaxAddressSpace s = in.dax;
    if (s != null) {
      if (vol.options.pinnedFsync == MountOptions.PinnedFsync.WAIT) {
        // Before the writeback: a device unpins its pages dirty, so what it wrote while
        // this fsync waited is written back below and its stale marks can clear.
        waitForShortTermPins(in);
      }
      s.writeback(0, Inode.MAX_PAGES);
      flushPinnedPages(in);
      if (in.blocks != null && in.blocks.checksums()) {
        clearStaleMarks(in, s);
      }
    }
    region.fence();
  }

  /**
   * Waits until no device pins a page of {@code in} short-term (pinned_fsync=wait). A page
   * under a layout lease is pinned long-term by its holder and is not waited for; a device that
   * pins again after the wait is not waited for twice (its pages stay stale).
   */
  private void waitForShortTermPins(Inode in) {
    if (in.blocks == null) {
      return;
    }
    List<long[]> busy = new ArrayList<>();
    in.lock.readLock().lock();
    try {
      in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
        long pfn = BlockMap.block(e);
        if (vol.pages.isDmaBusy(pfn) && !leased(in, page)) {
          busy.add(new long[] {page, pfn});
        }
      });
    } finally {
      in.lock.readLock().unlock();
    }
    for (long[] b : busy) {
      try {
        vol.pages.waitIdle(b[1]);
      } catch (InterruptedException e) {
        throw new ErrnoException(Errno.EINTR, "fsync interrupted while a device held page "
            + b[0] + " of inode " + in.ino);
      }
    }
  }

  /**
   * Writes back every page a device pins: a long-term registration writes through its pin,
   * without faulting, so its stores never dirty the page's entry again after the first
   * writeback; fsync must still make them durable (the RDMA-and-fsync case).
   */
  private void flushPinnedPages(Inode in) {
    if (in.blocks == null) {
      return;
    }
    List<Long> busy = new ArrayList<>();
    in.lock.readLock().lock();
    try {
      in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
        long pfn = BlockMap.block(e);
        if (vol.pages.isDmaBusy(pfn)) {
          busy.add(pfn);
        }
      });
    } finally {
      in.lock.readLock().unlock();
    }
    for (long pfn : busy) {
      region.flush(Layout.offset(pfn), PAGE);
    }
  }

  /**
   * Clears the stale marks of pages nothing may write any more, recomputing their checksums
   * (DESIGN.md, "Stable data"). Called after writeback write-protected every mapping, so a
   * store must fault, and a fault marks its page stale again before the store can happen.
   *
   * <p>A page a device still pins stays stale: pinned long-term under a layout lease, pinned
   * short-term under pinned_fsync=proceed, or pinned again since fsync waited for it.
   */
  private void clearStaleMarks(Inode in, dev.daxfs.dax.DaxAddressSpace s) {
    List<long[]> stale = new ArrayList<>();
    in.lock.readLock().lock();
    try {
      in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
        if (BlockMap.isStale(e)) {
          stale.add(new long[] {page, BlockMap.block(e)});
        }
      });
    } finally {
      in.lock.readLock().unlock();
    }
    for (long[] ps : stale) {
      long page = ps[0];
      long pfn = ps[1];
      if (leased(in, page)) {
        continue;
      }
      if (vol.pages.isDmaBusy(pfn)) {
        continue; // pinned long-term, pinned again after the wait, or pinned_fsync=proceed
      }
      s.lockEntry(page);
      try {
        in.lock.writeLock().lock();
        try {
          long e = in.blocks.get(page);
          if (!BlockMap.isStale(e) || BlockMap.block(e) != pfn || vol.pages.isDmaBusy(pfn)
              || s.entry(page).dirty()) {
            continue; // moved, pinned again, or stored to again since the writeback
          }
          Txn txn = new Txn(vol, true);
          int crc = region.crc32c(Layout.offset(pfn), PAGE);
          txn.append(in, Entries.extent(page, pfn, 1, 0, in.size, 0, 0, new int[] {crc}));
          txn.commit();
        } finally {
          in.lock.writeLock().unlock();
        }
      } finally {
        s.unlockEntry(page);
      }
    }
  }

  private static boolean leased(Inode in, long page) {
    for (LayoutLease l : in.leases) {
      if (l.covers(page, page + 1)) {
        return true;
      }
    }
    return false;
  }
}
