package dev.daxfs.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An inode's DRAM state: its attributes, its block map, directory entries or symlink target,
 * and its extended attributes, all derived from its log by {@link #apply}. Live operations
 * append entries and then apply the very same entries, so what a running filesystem shows and
 * what recovery rebuilds cannot drift apart.
 *
 * <p>Locking, in the order they are taken:
 * <ol>
 *   <li>{@link #io}, the I/O lock (Linux's i_rwsem for data): write, truncate, fallocate and
 *       the orphan reaper hold it exclusively. A layout break runs under it. read() holds it
 *       shared, or reads without it and checks its sequence count (and the metadata lock's)
 *       afterwards: a read that overlapped any exclusive holder is done again under the locks.
 *   <li>the DAX address space's invalidate lock, then its entry locks (faults and slow-path
 *       pins take the invalidate lock shared; a layout break takes it exclusively).
 *   <li>{@link #lock}, the metadata lock (XFS's ilock): guards the log and every field below
 *       that is not final. Readers hold it shared; whatever appends to the log holds it
 *       exclusively, page faults included, which is why faults never take {@link #io}.
 * </ol>
 * Namespace operations take only metadata locks, of several inodes in ascending inode order
 * ({@link Locks}).
 */
final class Inode {

  /** Largest file size: 2^50 bytes (the block map addresses 2^38 pages). */
  static final long MAX_SIZE = 1L << 50;

  static final long MAX_PAGES = MAX_SIZE >>> Layout.BLOCK_SHIFT;

  /** Inode number: its slot in the inode table. */
  final long ino;

  /** Generation of the slot, so a reused number is told apart (FUSE, NFS-style handles). */
  final int generation;

  /** S_IFMT bits, fixed at creation. */
  final int type;

  /**
   * The I/O lock: serializes writes, truncates and layout breaks against reads. Its sequence
   * count lets read() run without it (see {@link FileIo#read}).
   */
  final SeqRwLock io = new SeqRwLock();

  /** The metadata lock: guards the log and the DRAM state below; sequenced like {@link #io}. */
  final SeqRwLock lock = new SeqRwLock();

  /** The inode's log; its tail is the commit point of single-inode operations. */
  InodeLog log;

  /** Permission, set-id and sticky bits, with the type bits. */
  int mode;

  int uid;
  int gid;

  /** Link count of a non-directory; directories derive theirs (see {@link #nlink()}). */
  int links;

  /** Device number of character and block device nodes. */
  long rdev;

  /** File size in bytes (symlinks: target length; directories: entry count based). */
  long size;

  /** Timestamps, ns since the epoch. */
  long atime;

  long mtime;
  long ctime;

  /** A directory's parent (its ".."); 0 for others. */
  long parent;

  /** A symlink's target. */
  byte[] target;

  /** Bytes of {@link #target} filled by TARGET entries so far (replay checks it is all). */
  int targetFilled;

  /** Which log entries still matter, per log page: what the log cleaner reads. */
  LogLiveness live = new LogLiveness();

  /** The log's length in pages after it was loaded or last cleaned (the cleaning trigger). */
  int logPagesAtLastClean;

  /** A regular file's pages. */
  BlockMap blocks;

  /** A directory's entries. */
  Directory dir;

  /** Extended attributes. */
  Xattrs xattrs = new Xattrs();

  /** Open handles and mappings that keep the inode alive after its last name is gone. */
  int openCount;

  /** True once the inode has no name left and waits for its last user (persistent flag). */
  boolean orphan;

  /** True once the inode's slot was freed; any later use is a bug or a stale handle. */
  volatile boolean evicted;

  /** Why this inode's log could not be read; non-null makes every access EIO. */
  String damage;

  /**
   * For a damaged inode: the log pages its chain held up to the damage, which stay in use
   * (never handed out again) as its mapped blocks do.
   */
  long[] damagedLogPages;

  /** Layout leases on ranges of the file; read without locks by breaks and the pin policy. */
  final java.util.List<LayoutLease> leases = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The file's DAX address space, created on first mmap; null until then. */
  volatile dev.daxfs.dax.DaxAddressSpace dax;

  Inode(long ino, int generation, int type, boolean dataChecksums) {
    this.ino = ino;
    this.generation = generation;
    this.type = type;
    this.blocks = Mode.isRegular(type) ? new BlockMap(dataChecksums, true) : null;
    this.dir = Mode.isDir(type) ? new Directory() : null;
  }

  boolean isDir() {
    return Mode.isDir(type);
  }

  boolean isRegular() {
    return Mode.isRegular(type);
  }

  boolean isSymlink() {
    return Mode.isSymlink(type);
  }

  /** Link count as stat reports it: directories have 2 plus one per subdirectory. */
  int nlink() {
    if (isDir()) {
      return links == 0 ? 0 : 2 + dir.subdirs();
    }
    return links;
  }

  /** Blocks in 512-byte units, as st_blocks counts them. */
  long statBlocks() {
    long pages = blocks != null ? blocks.mappedPages() : 0;
    return (pages + log.pageCount()) * (Layout.BLOCK / 512);
  }

  /** Receives blocks that an applied entry stopped referencing. */
  interface Freed {
    void block(long block, long page);

    Freed NONE = (b, p) -> {};
  }

  /**
   * Applies one committed entry to the DRAM state.
   *
   * @param blockCount blocks in the region, to reject out-of-range block numbers
   * @param freed receives blocks that the entry unmapped (replaced or punched)
   * @throws CorruptionException when the entry is impossible for this inode
   */
  void apply(int entryType, ByteBuffer p, long offset, long blockCount, Freed freed) {
    LogLiveness.Ref ref = live.entry(offset, p.limit());
    switch (entryType) {
      case LogEntry.INIT -> {
        applyInit(p, offset);
        live.pin(ref);
        for (int f : new int[] {LogLiveness.MODE, LogLiveness.UID, LogLiveness.GID,
            LogLiveness.ATIME, LogLiveness.MTIME, LogLiveness.CTIME, LogLiveness.LINKS,
            LogLiveness.PARENT}) {
          live.wrote(f, ref);
        }
      }
      case LogEntry.SETATTR -> {
        int mask = p.getInt();
        int m = p.getInt();
        int u = p.getInt();
        int g = p.getInt();
        long a = p.getLong();
        long mt = p.getLong();
        long c = p.getLong();
        long sz = p.getLong();
        if ((mask & LogEntry.ATTR_SIZE) != 0) {
          if (!isRegular() || sz < 0 || sz > MAX_SIZE) {
            throw bad(offset, "size " + sz + " is impossible for this file");
          }
          size = sz;
          live.wrote(LogLiveness.SIZE, ref);
        }
        if ((mask & LogEntry.ATTR_MODE) != 0) {
          mode = type | (m & Mode.PERMISSIONS);
          live.wrote(LogLiveness.MODE, ref);
        }
        if ((mask & LogEntry.ATTR_UID) != 0) {
          uid = u;
          live.wrote(LogLiveness.UID, ref);
        }
        if ((mask & LogEntry.ATTR_GID) != 0) {
          gid = g;
          live.wrote(LogLiveness.GID, ref);
        }
        if ((mask & LogEntry.ATTR_ATIME) != 0) {
          atime = a;
          live.wrote(LogLiveness.ATIME, ref);
        }
        if ((mask & LogEntry.ATTR_MTIME) != 0) {
          mtime = mt;
          live.wrote(LogLiveness.MTIME, ref);
        }
        if ((mask & LogEntry.ATTR_CTIME) != 0) {
          ctime = c;
          live.wrote(LogLiveness.CTIME, ref);
        }
      }
      case LogEntry.EXTENT -> applyExtent(p, offset, blockCount, freed, ref);
      case LogEntry.RANGE -> {
        applyRange(p, offset, freed);
        live.pin(ref);
        live.wrote(LogLiveness.SIZE, ref);
        live.wrote(LogLiveness.MTIME, ref);
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.LINK -> {
        links = p.getInt();
        p.getInt();
        ctime = p.getLong();
        if (links < 0) {
          throw bad(offset, "negative link count " + links);
        }
        live.wrote(LogLiveness.LINKS, ref);
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.DENTRY_ADD -> {
        requireDir(offset);
        long child = p.getLong();
        long cookie = p.getLong();
        int childMode = p.getInt();
        int len = p.getShort() & 0xFFFF;
        p.getShort();
        long time = p.getLong();
        Name name = readName(p, len, offset);
        if (child <= 0 || cookie < Directory.FIRST_COOKIE || !Mode.isKnownType(childMode & Mode.S_IFMT)) {
          throw bad(offset, "directory entry " + name + " is impossible");
        }
        if (dir.get(name) != null) {
          throw bad(offset, "adds " + name + ", which is already in the directory");
        }
        Directory.Dentry holder = dir.byCookie(cookie);
        if (holder != null) {
          throw bad(offset, "gives cookie " + cookie + " of " + holder.name() + " to " + name);
        }
        Directory.Dentry replaced = dir.add(name, child, childMode & Mode.S_IFMT, cookie, ref);
        live.addReason(ref);
        if (replaced != null) {
          live.dropReason(replaced.ref());
        }
        mtime = time;
        ctime = time;
        live.wrote(LogLiveness.MTIME, ref);
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.DENTRY_DEL -> {
        requireDir(offset);
        p.getLong();
        long time = p.getLong();
        int len = p.getShort() & 0xFFFF;
        p.getShort();
        p.getInt();
        Name name = readName(p, len, offset);
        Directory.Dentry removed = dir.remove(name);
        if (removed == null) {
          throw bad(offset, "removes " + name + ", which is not in the directory");
        }
        live.tombstone(removed.ref(), ref);
        live.dropReason(removed.ref());
        mtime = time;
        ctime = time;
        live.wrote(LogLiveness.MTIME, ref);
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.XATTR_SET -> {
        int nlen = p.getShort() & 0xFFFF;
        p.getShort();
        int vlen = p.getInt();
        long c = p.getLong();
        if (nlen == 0 || nlen > Xattrs.MAX_NAME || vlen < 0 || nlen + vlen > p.remaining()) {
          throw bad(offset, "extended attribute of impossible size");
        }
        byte[] n = new byte[nlen];
        p.get(n);
        byte[] v = new byte[vlen];
        p.get(v);
        LogLiveness.Ref previous = xattrs.set(new String(n, StandardCharsets.UTF_8), v, ref);
        live.addReason(ref);
        if (previous != null) {
          // The older value may leave the log only with this one: were this one (and a later
          // removal) collected first, replay would bring the older value back.
          live.tombstone(previous, ref);
          live.dropReason(previous);
        }
        ctime = c;
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.XATTR_DEL -> {
        int nlen = p.getShort() & 0xFFFF;
        p.getShort();
        p.getInt();
        long c = p.getLong();
        if (nlen == 0 || nlen > p.remaining()) {
          throw bad(offset, "extended attribute name of impossible size");
        }
        byte[] n = new byte[nlen];
        p.get(n);
        LogLiveness.Ref setter = xattrs.remove(new String(n, StandardCharsets.UTF_8));
        if (setter != null) {
          live.tombstone(setter, ref);
          live.dropReason(setter);
        }
        ctime = c;
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.TARGET -> {
        applyTarget(p, offset);
        live.pin(ref);
      }
      case LogEntry.PARENT -> {
        requireDir(offset);
        parent = p.getLong();
        ctime = p.getLong();
        live.wrote(LogLiveness.PARENT, ref);
        live.wrote(LogLiveness.CTIME, ref);
      }
      case LogEntry.DIRSTATE -> {
        requireDir(offset);
        long next = p.getLong();
        if (next < Directory.FIRST_COOKIE) {
          throw bad(offset, "next cookie " + next + " is impossible");
        }
        dir.cookiesFrom(next);
        live.wrote(LogLiveness.COOKIE, ref);
      }
      default -> throw bad(offset, "unexpected entry type " + entryType);
    }
  }

  private void applyInit(ByteBuffer p, long offset) {
    int m = p.getInt();
    if ((m & Mode.S_IFMT) != type) {
      throw bad(offset, "init entry's type " + Integer.toOctalString(m & Mode.S_IFMT)
          + " differs from the slot's " + Integer.toOctalString(type));
    }
    mode = m;
    uid = p.getInt();
    gid = p.getInt();
    links = p.getInt();
    rdev = p.getLong();
    atime = p.getLong();
    mtime = p.getLong();
    ctime = p.getLong();
    parent = p.getLong();
    int t = p.getInt();
    p.getInt();
    if (t < 0 || t > Namespace.SYMLINK_MAX || (t > 0 && !isSymlink())) {
      throw bad(offset, "symlink target of impossible length " + t);
    }
    if (isSymlink()) {
      target = new byte[t];
      targetFilled = 0;
      size = t;
    }
  }

  private void applyTarget(ByteBuffer p, long offset) {
    int off = p.getInt();
    int len = p.getInt();
    if (!isSymlink() || target == null || off != targetFilled || len <= 0
        || len > p.remaining() || off + len > target.length) {
      throw bad(offset, "symlink target piece [" + off + ", +" + len + ") is out of place");
    }
    p.get(target, off, len);
    targetFilled += len;
  }

  private void applyExtent(ByteBuffer p, long offset, long blockCount, Freed freed,
      LogLiveness.Ref ref) {
    if (!isRegular()) {
      throw bad(offset, "extent entry on a file that is not regular");
    }
    long firstPage = p.getLong();
    long firstBlock = p.getLong();
    int count = p.getInt();
    int flags = p.getInt();
    long newSize = p.getLong();
    long mt = p.getLong();
    long ct = p.getLong();
    if (count <= 0 || firstPage < 0 || firstPage + count > MAX_PAGES
        || firstBlock < Layout.FIRST_ALLOCATABLE || firstBlock + count > blockCount
        || newSize < 0 || newSize > MAX_SIZE) {
      throw bad(offset, "extent [page " + firstPage + ", +" + count + ") -> block "
          + firstBlock + " is out of range");
    }
    boolean sums = (flags & LogEntry.EXT_CHECKSUMS) != 0;
    if (sums && p.remaining() < 4 * count) {
      throw bad(offset, "extent entry too short for its checksums");
    }
    long flagBits = ((flags & LogEntry.EXT_UNWRITTEN) != 0 ? BlockMap.UNWRITTEN : 0)
        | ((flags & LogEntry.EXT_STALE) != 0 ? BlockMap.STALE : 0);
    for (int i = 0; i < count; i++) {
      long page = firstPage + i;
      long block = firstBlock + i;
      int crc = sums ? p.getInt() : 0;
      long old = blocks.set(page, block | flagBits, crc, offset);
      if (old != 0 && BlockMap.block(old) != block) {
        freed.block(BlockMap.block(old), page);
      }
    }
    if ((flags & LogEntry.EXT_SIZE) != 0) {
      size = newSize;
      live.wrote(LogLiveness.SIZE, ref);
    }
    if ((flags & LogEntry.EXT_TIMES) != 0) {
      mtime = mt;
      ctime = ct;
      live.wrote(LogLiveness.MTIME, ref);
      live.wrote(LogLiveness.CTIME, ref);
    }
  }

  private void applyRange(ByteBuffer p, long offset, Freed freed) {
    if (!isRegular()) {
      throw bad(offset, "range entry on a file that is not regular");
    }
    int op = p.getInt();
    p.getInt();
    long first = p.getLong();
    long count = p.getLong();
    long newSize = p.getLong();
    long mt = p.getLong();
    long ct = p.getLong();
    if (first < 0 || count < 0 || first > MAX_PAGES || newSize < 0 || newSize > MAX_SIZE) {
      throw bad(offset, "range [page " + first + ", +" + count + ") is out of range");
    }
    long end = count > MAX_PAGES - first ? MAX_PAGES : first + count;
    switch (op) {
      case LogEntry.RANGE_TRUNCATE, LogEntry.RANGE_PUNCH ->
          blocks.clear(first, end, (page, e) -> freed.block(BlockMap.block(e), page));
      case LogEntry.RANGE_COLLAPSE -> {
        blocks.clear(first, end, (page, e) -> freed.block(BlockMap.block(e), page));
        blocks.shift(end, -count);
      }
      case LogEntry.RANGE_INSERT -> {
        if (blocks.nextMapped(MAX_PAGES - count) >= 0) {
          throw bad(offset, "insert would push pages past the largest file");
        }
        blocks.shift(first, count);
      }
      default -> throw bad(offset, "unknown range operation " + op);
    }
    size = newSize;
    mtime = mt;
    ctime = ct;
  }

  private void requireDir(long offset) {
    if (!isDir()) {
      throw bad(offset, "directory entry on a file that is not a directory");
    }
  }

  private Name readName(ByteBuffer p, int len, long offset) {
    if (len == 0 || len > Name.MAX_LENGTH || len > p.remaining()) {
      throw bad(offset, "name of impossible length " + len);
    }
    byte[] n = new byte[len];
    p.get(n);
    for (byte c : n) {
      if (c == '/' || c == 0) {
        throw bad(offset, "name contains '/' or NUL");
      }
    }
    Name name = Name.trusted(n);
    if (name.isDotOrDotDot()) {
      throw bad(offset, "stores \".\" or \"..\"");
    }
    return name;
  }

  private CorruptionException bad(long offset, String problem) {
    return new CorruptionException("log entry of inode " + ino, offset, problem);
  }
}
