package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A mounted daxfs: the VFS-style API. Operations are inode based (as FUSE's low-level API is),
 * with path helpers for in-process callers; each takes the caller's credentials, and every
 * failure is an {@link ErrnoException} carrying the errno a system call would return.
 *
 * <p>Every metadata operation is durable and atomic when it returns; every write() is atomic
 * (copy on write) and durable when it returns; fsync makes data stored through DAX mappings
 * durable. Thread-safe: per-inode locks, no global lock on the data path (see {@link
 * Namespace} for the lock order).
 */
public final class DaxFs implements AutoCloseable {

  /** Most symlinks a path walk follows before ELOOP, as Linux. */
  static final int MAX_SYMLINKS = 40;

  /** Longest path in bytes (PATH_MAX). */
  static final int PATH_MAX = 4096;

  /** The mounted filesystem's shared state. */
  private final Volume vol;

  private final Namespace ns;
  private final FileIo io;
  private final InodeOps ops;
  private final Eviction eviction;

  /** How the mount went. */
  private final MountReport report;

  /** Set by unmount; later calls fail with EIO. */
  private volatile boolean unmounted;

  private DaxFs(Volume vol, Eviction eviction, MountReport report) {
    this.vol = vol;
    this.eviction = eviction;
    this.io = new FileIo(vol);
    this.ns = new Namespace(vol, eviction);
    this.ops = new InodeOps(vol, io, eviction);
    this.report = report;
  }

  // ---- mkfs, mount, unmount --------------------------------------------------------------

  /**
   * Formats {@code region}, in time independent of its size: the superblocks, the journal, the
   * first inode-table chunk and the root directory. Anything the region held is lost.
   *
   * @throws ErrnoException EINVAL when the region is smaller than 16 MiB or not a whole number
   *     of 4 KiB blocks
   */
  public static void mkfs(PmemRegion region, MkfsOptions options) {
    long size = region.size();
    if (size < Layout.MIN_REGION) {
      throw new ErrnoException(Errno.EINVAL, "a daxfs region needs at least 16 MiB, this one "
          + "has " + size + " bytes");
    }
    if (size % Layout.BLOCK != 0) {
      throw new ErrnoException(Errno.EINVAL, "region size " + size
          + " is not a multiple of 4096");
    }
    if (size / Layout.BLOCK > TaggedWord.MAX_VALUE) {
      throw new ErrnoException(Errno.EINVAL, "region of " + size + " bytes is too large");
    }
    // An old superblock must not outlive a half-done format.
    region.fillPersist(0, 2L * Layout.BLOCK, (byte) 0);
    Journal.format(region);
    InodeTable.format(region);

    long blocks = size / Layout.BLOCK;
    long rootLog = Layout.FIRST_ALLOCATABLE;
    long ino = InodeTable.ROOT_INO;
    LogPage.format(region, rootLog, ino, 0);
    long now = System.currentTimeMillis() * 1_000_000L;
    ByteBuffer init = Entries.init(Mode.S_IFDIR | (options.rootMode & Mode.PERMISSIONS),
        options.rootUid, options.rootGid, 1, 0, now, now, now, ino, 0);
    byte[] sealed = LogEntry.seal(init, 1);
    long at = Layout.offset(rootLog) + LogPage.HEADER;
    region.storePersist(at, sealed, 0, sealed.length);
    InodeTable table = InodeTable.load(region, blocks, s -> {}, (i, w) -> {});
    table.prepare(ino, 1, Mode.S_IFDIR, rootLog, at + sealed.length);
    long validOff = table.slotOffset(ino) + InodeTable.VALID;
    region.storeLong(validOff, InodeTable.validWord(ino, true));
    region.persist(validOff, 8);

    Superblock sb = new Superblock();
    sb.regionSize = size;
    sb.blockCount = blocks;
    sb.features = options.dataChecksums ? Superblock.FEATURE_DATA_CHECKSUMS : 0;
    sb.uuid = UUID.randomUUID();
    sb.created = now;
    sb.inodeTableBlock = Layout.FIRST_INODE_CHUNK;
    sb.journalBlock = Layout.JOURNAL_BLOCK;
    sb.journalLanes = Journal.LANES;
    sb.state = Superblock.STATE_CLEAN;
    sb.reserveBlocks = BlockAllocator.defaultReserve(blocks);
    sb.inodeChunks = 1;
    sb.store(region);
  }

  /** True when either superblock copy of {@code region} carries the daxfs magic. */
  public static boolean holdsFilesystem(PmemRegion region) {
    if (region.size() < 2L * Layout.BLOCK) {
      return false;
    }
    try {
      return region.loadLong(0) == Superblock.MAGIC
          || region.loadLong(Layout.BLOCK) == Superblock.MAGIC;
    } catch (dev.daxfs.pmem.MediaErrorException e) {
      return false;
    }
  }

  /**
   * Mounts the filesystem on {@code region}: after a clean unmount it loads the allocator
   * checkpoint; otherwise it rolls back unfinished journal transactions, replays every log to
   * rebuild the allocator, and frees the orphans.
   *
   * <p>Test switches ({@link MountOptions#testSwitches}) re-introduce bugs on purpose; they are
   * accepted only on a {@link dev.daxfs.pmem.CrashRecordingRegion} or one of its {@link
   * dev.daxfs.pmem.CrashImage}s, or when the caller declared the region a test harness's own
   * ({@link MountOptions#testHarnessRegion}), so that no filesystem a user mounts ever runs
   * with them. A decorator hides what it wraps, so a test that decorates one of those regions
   * declares it.
   *
   * @throws CorruptionException when the superblock, the journal or the inode table is
   *     damaged (the message names the structure and its offset)
   * @throws ErrnoException EINVAL when test switches are set on any other region
   */
  public static DaxFs mount(PmemRegion region, MountOptions options) {
    if (options.switches.any() && !options.testHarnessRegion
        && !(region instanceof dev.daxfs.pmem.CrashRecordingRegion)
        && !(region instanceof dev.daxfs.pmem.CrashImage)) {
      throw new ErrnoException(Errno.EINVAL, "test switches are refused on "
          + region.describe() + ": they run only on crash-recording regions and test "
          + "harnesses' own regions");
    }
    return Recovery.mount(region, options, (vol, ev, rep) -> new DaxFs(vol, ev, rep));
  }

  /** Building the facade once recovery has put the volume together. */
  interface Factory {
    DaxFs create(Volume vol, Eviction eviction, MountReport report);
  }

  /**
   * Unmounts cleanly: waits until no device pins a block of an orphan, frees the orphans (their
   * users are gone with the mount), writes the allocator checkpoint and marks the superblock
   * clean. The region stays open (its opener closes it).
   *
   * @throws ErrnoException EINTR when interrupted while a device still pins an orphan's block:
   *     the filesystem stays mounted
   */
  public synchronized void unmount() {
    if (unmounted) {
      return;
    }
    eviction.awaitIdleOrphans();
    syncAll();
    Recovery.unmount(vol, eviction);
    unmounted = true;
  }

  @Override
  public void close() {
    unmount();
  }

  /** What the mount found and did. */
  public MountReport mountReport() {
    return report;
  }

  public boolean dataChecksums() {
    return vol.dataChecksums();
  }

  public long rootIno() {
    return InodeTable.ROOT_INO;
  }

  /** Counters for stat. */
  public FsStats stats() {
    return vol.stats;
  }

  private void live() {
    if (unmounted) {
      throw new ErrnoException(Errno.EIO, "filesystem is unmounted");
    }
  }

  // ---- names -----------------------------------------------------------------------------

  public Attr lookup(Cred cred, long dir, Name name) {
    live();
    return attr(ns.lookup(cred, dir, name));
  }

  public Attr create(Cred cred, long dir, Name name, int perms) {
    live();
    return attr(ns.create(cred, dir, name, Mode.S_IFREG | (perms & Mode.PERMISSIONS), 0, null));
  }

  public Attr mkdir(Cred cred, long dir, Name name, int perms) {
    live();
    return attr(ns.create(cred, dir, name, Mode.S_IFDIR | (perms & Mode.PERMISSIONS), 0, null));
  }

  /** mknod(2): regular files, FIFOs, sockets, character and block devices (metadata only). */
  public Attr mknod(Cred cred, long dir, Name name, int mode, long rdev) {
    live();
    int type = mode & Mode.S_IFMT;
    if (type == 0) {
      mode |= Mode.S_IFREG;
    } else if (type == Mode.S_IFDIR) {
      throw new ErrnoException(Errno.EPERM, "mknod cannot make directories (use mkdir)");
    } else if (type == Mode.S_IFLNK || !Mode.isKnownType(type)) {
      throw new ErrnoException(Errno.EINVAL, "mknod cannot make file type 0"
          + Integer.toOctalString(type));
    }
    // Only device nodes have a device number; Linux ignores the argument for the other types.
    boolean device = type == Mode.S_IFCHR || type == Mode.S_IFBLK;
    return attr(ns.create(cred, dir, name, mode, device ? rdev : 0, null));
  }

  public Attr symlink(Cred cred, long dir, Name name, byte[] target) {
    live();
    return attr(ns.create(cred, dir, name, Mode.S_IFLNK | 0777, 0, target));
  }

  public Attr link(Cred cred, long ino, long newDir, Name newName) {
    live();
    return attr(ns.link(cred, ino, newDir, newName));
  }

  public void unlink(Cred cred, long dir, Name name) {
    live();
    ns.unlink(cred, dir, name);
  }

  public void rmdir(Cred cred, long dir, Name name) {
    live();
    ns.rmdir(cred, dir, name);
  }

  /** rename(2); {@code flags} as renameat2: 1 = RENAME_NOREPLACE, 2 = RENAME_EXCHANGE. */
  public void rename(Cred cred, long dir, Name name, long newDir, Name newName, int flags) {
    live();
    ns.rename(cred, dir, name, newDir, newName, flags);
  }

  /** Up to {@code max} entries after cookie {@code after} (0 to start). */
  public List<DirEntry> readdir(Cred cred, long dir, long after, int max) {
    live();
    return ns.readdir(cred, dir, after, max);
  }

  public byte[] readlink(Cred cred, long ino) {
    live();
    return ops.readlink(ino);
  }

  // ---- attributes ------------------------------------------------------------------------

  public Attr getattr(long ino) {
    live();
    return ops.getattr(ino);
  }

  public Attr setattr(Cred cred, long ino, SetAttr changes) {
    live();
    if (changes.handle != null) {
      usable(changes.handle);
    }
    return ops.setattr(cred, ino, changes);
  }

  public void access(Cred cred, long ino, int mask) {
    live();
    ops.access(cred, ino, mask);
  }

  public StatFs statfs() {
    live();
    long blocks = vol.blockCount();
    long free = vol.allocator.freeBlocks();
    long freeSlots = vol.inodes.freeSlots()
        + vol.allocator.availableBlocks() * (InodeTable.SLOTS_PER_CHUNK - 1);
    return new StatFs(Layout.BLOCK, blocks, free, vol.allocator.availableBlocks(),
        vol.inodes.usedInodes() + freeSlots, freeSlots, Name.MAX_LENGTH);
  }

  // ---- open files ------------------------------------------------------------------------

  public FileHandle open(Cred cred, long ino, int flags) {
    live();
    return ops.open(cred, ino, flags);
  }

  /**
   * Creates and opens a regular file (open with O_CREAT): with O_EXCL an existing name is
   * EEXIST; otherwise an existing file is opened.
   */
  public FileHandle createAndOpen(Cred cred, long dir, Name name, int perms, int flags) {
    live();
    while (true) {
      try {
        Inode in = ns.create(cred, dir, name, Mode.S_IFREG | (perms & Mode.PERMISSIONS), 0,
            null);
        return ops.open(cred, in.ino, flags & ~FileHandle.O_TRUNC);
      } catch (ErrnoException e) {
        if (e.errno() != Errno.EEXIST || (flags & FileHandle.O_EXCL) != 0) {
          throw e;
        }
      }
      try {
        Inode in = ns.lookup(cred, dir, name);
        if (in.isDir()) {
          throw new ErrnoException(Errno.EISDIR, name + " is a directory");
        }
        return ops.open(cred, in.ino, flags);
      } catch (ErrnoException e) {
        if (e.errno() != Errno.ENOENT) {
          throw e;
        }
      }
    }
  }

  public void release(FileHandle h) {
    ops.release(h);
  }

  /** A handle may be used until it is released. */
  private static FileHandle usable(FileHandle h) {
    if (h.released.get()) {
      throw new ErrnoException(Errno.EBADF, "file handle was released");
    }
    return h;
  }

  /** Reads into {@code dst}; returns the bytes read, 0 at end of file. */
  public int read(FileHandle h, long off, ByteBuffer dst) {
    live();
    usable(h);
    if (!h.readable()) {
      throw new ErrnoException(Errno.EBADF, "file is not open for reading");
    }
    if (h.inode.isDir()) {
      throw new ErrnoException(Errno.EISDIR, "read of a directory");
    }
    if (!h.inode.isRegular()) {
      throw new ErrnoException(Errno.EINVAL, "read of a special file");
    }
    return io.read(h.inode, h, off, dst);
  }

  /** Writes all of {@code src} at {@code off} (at EOF for O_APPEND), atomically. */
  public int write(Cred cred, FileHandle h, long off, ByteBuffer src) {
    live();
    usable(h);
    if (!h.writable()) {
      throw new ErrnoException(Errno.EBADF, "file is not open for writing");
    }
    if (!h.inode.isRegular()) {
      throw new ErrnoException(h.inode.isDir() ? Errno.EISDIR : Errno.EINVAL,
          "write to a file that is not regular");
    }
    int n = io.write(cred, h, off, src);
    src.position(src.position() + n);
    return n;
  }

  public void fsync(FileHandle h, boolean dataOnly) {
    live();
    usable(h);
    io.fsync(h.inode, dataOnly);
  }

  /**
   * sync(2): every file's mapped stores made durable, and (with data checksums) the stale marks
   * of pages nothing writes any more cleared.
   */
  public void sync() {
    live();
    syncAll();
  }

  private void syncAll() {
    for (Inode in : new ArrayList<>(vol.cache.all())) {
      if (in.dax != null && !in.evicted && in.damage == null) {
        io.fsync(in, false);
      }
    }
  }

  /** fallocate(2): mode 0, KEEP_SIZE (1), PUNCH_HOLE (2), COLLAPSE (8), ZERO (16), INSERT (32). */
  public void fallocate(Cred cred, FileHandle h, int mode, long off, long len) {
    live();
    usable(h);
    io.fallocate(cred, h, mode, off, len);
  }

  /**
   * mmap(2) of an open regular file, inside this process: loads and stores through the
   * returned mapping go straight to the file's blocks on pmem (DAX), faulting pages in on first
   * touch; {@link #fsync} makes stores durable. The mapping keeps the file alive until it is
   * closed, as a Linux mapping does after close(fd).
   *
   * @param prot {@code CpuMapping.PROT_READ}, optionally with {@code PROT_WRITE}
   * @param flags 0 or {@code CpuMapping.MAP_SYNC}
   * @throws ErrnoException EACCES when the handle's access mode does not allow {@code prot},
   *     ENODEV for a file that is not regular, EINVAL for bad arguments
   */
  public dev.daxfs.dax.CpuMapping mmap(Cred cred, FileHandle h, long offset, long length,
      int prot, int flags) {
    live();
    usable(h);
    Inode in = h.inode;
    if (!in.isRegular()) {
      throw new ErrnoException(Errno.ENODEV, "only regular files can be mapped");
    }
    if (!h.readable() || ((prot & dev.daxfs.dax.CpuMapping.PROT_WRITE) != 0 && !h.writable())) {
      throw new ErrnoException(Errno.EACCES, "the file is not open for the access the mapping "
          + "asks");
    }
    dev.daxfs.dax.DaxAddressSpace space = vol.layouts.space(in);
    ops.addUser(in);
    try {
      dev.daxfs.dax.CpuMapping m = space.mmap(offset, length, prot, flags);
      m.onClose(() -> ops.dropUser(in));
      return m;
    } catch (RuntimeException e) {
      ops.dropUser(in);
      throw e;
    }
  }

  /**
   * The DAX address space of an open regular file (created if it has none): what gup pins
   * through and the DMA emulator registers on. Package tools and tests use it.
   */
  public dev.daxfs.dax.DaxAddressSpace addressSpace(FileHandle h) {
    live();
    usable(h);
    if (!h.inode.isRegular()) {
      throw new ErrnoException(Errno.ENODEV, "only regular files have a DAX address space");
    }
    return vol.layouts.space(h.inode);
  }

  /**
   * Takes a layout lease on {@code [offset, offset+length)} of an open regular file (rounded
   * out to whole pages) for {@code holder}: until it is closed, truncate, punch, zero, collapse
   * and insert over the range fail with ETXTBSY, and long-term pins of the range by {@code
   * holder} are allowed.
   */
  public LayoutLease acquireLease(Cred cred, FileHandle h, long offset, long length,
      Object holder) {
    live();
    usable(h);
    if (!h.inode.isRegular()) {
      throw new ErrnoException(Errno.EINVAL, "layout leases cover regular files only");
    }
    if (offset < 0 || length <= 0 || offset + length < 0) {
      throw new ErrnoException(Errno.EINVAL, "lease range needs offset >= 0 and length > 0");
    }
    if (holder == null) {
      throw new ErrnoException(Errno.EINVAL, "a lease needs a holder");
    }
    LayoutLease lease = new LayoutLease(h.inode, FileIo.pageOf(offset),
        FileIo.pagesFor(offset + length), holder);
    h.inode.lock.writeLock().lock();
    try {
      if (h.inode.evicted) {
        throw new ErrnoException(Errno.ESTALE, "inode " + h.ino + " was freed");
      }
      h.inode.leases.add(lease);
    } finally {
      h.inode.lock.writeLock().unlock();
    }
    return lease;
  }

  /** Totals of a log cleaning run: pages freed by fast and by thorough cleaning. */
  public record CleanResult(long pagesFreedFast, long pagesFreedThorough, long inodes) {}

  /**
   * Cleans the log of inode {@code ino} now (fast cleaning, then a rewrite when live entries
   * fill less than half of it, or always with {@code thorough}).
   */
  public CleanResult cleanLog(long ino, boolean thorough) {
    live();
    LogCleaner.Result r = vol.cleaner.clean(vol.cache.get(ino), thorough);
    return new CleanResult(r.pagesFreedFast(), r.pagesFreedThorough(), 1);
  }

  /** Cleans every loaded inode's log now; see {@link #cleanLog}. */
  public CleanResult cleanAllLogs(boolean thorough) {
    live();
    long fast = 0;
    long full = 0;
    long n = 0;
    for (Inode in : new java.util.ArrayList<>(vol.cache.all())) {
      if (in.evicted || in.damage != null) {
        continue;
      }
      LogCleaner.Result r = vol.cleaner.clean(in, thorough);
      fast += r.pagesFreedFast();
      full += r.pagesFreedThorough();
      n++;
    }
    return new CleanResult(fast, full, n);
  }

  /** Orphans whose blocks a device still pins, waiting for the reaper. */
  public int orphansPending() {
    return eviction.reaper.pendingCount();
  }

  /** The page descriptors of the region (pins, mappings, owners). */
  public dev.daxfs.dax.PageDescriptors pageDescriptors() {
    return vol.pages;
  }

  /** lseek(2) with SEEK_SET (0), SEEK_END (2), SEEK_DATA (3) and SEEK_HOLE (4). */
  public long lseek(FileHandle h, long off, int whence) {
    live();
    usable(h);
    return io.seek(h.inode, off, whence);
  }

  // ---- extended attributes -----------------------------------------------------------------

  /** setxattr(2); flags 1 = XATTR_CREATE, 2 = XATTR_REPLACE. */
  public void setxattr(Cred cred, long ino, String name, byte[] value, int flags) {
    live();
    ops.setxattr(cred, ino, name, value, flags);
  }

  public byte[] getxattr(Cred cred, long ino, String name) {
    live();
    return ops.getxattr(cred, ino, name);
  }

  public List<String> listxattr(Cred cred, long ino) {
    live();
    return ops.listxattr(cred, ino);
  }

  public void removexattr(Cred cred, long ino, String name) {
    live();
    ops.removexattr(cred, ino, name);
  }

  // ---- paths -----------------------------------------------------------------------------

  /**
   * Resolves an absolute path (or one relative to the root) to its inode, following symlinks
   * in the middle and, with {@code followLast}, at the end.
   *
   * @throws ErrnoException ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES as a path walk does
   */
  public Attr resolve(Cred cred, String path, boolean followLast) {
    live();
    return attr(walk(cred, path, followLast, 0));
  }

  private Inode walk(Cred cred, String path, boolean followLast, int depth) {
    byte[] raw = path.getBytes(StandardCharsets.UTF_8);
    if (raw.length >= PATH_MAX) {
      throw new ErrnoException(Errno.ENAMETOOLONG, "path of " + raw.length + " bytes");
    }
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (!p.isEmpty()) {
        parts.add(p);
      }
    }
    Inode cur = vol.cache.get(InodeTable.ROOT_INO);
    int links = depth;
    java.util.ArrayDeque<String> remaining = new java.util.ArrayDeque<>(parts);
    while (!remaining.isEmpty()) {
      String part = remaining.poll();
      if (!cur.isDir()) {
        throw new ErrnoException(Errno.ENOTDIR, "a component of " + path
            + " is not a directory");
      }
      Inode next = ns.lookup(cred, cur.ino, Name.of(part));
      if (next.isSymlink() && (followLast || !remaining.isEmpty())) {
        if (++links > MAX_SYMLINKS) {
          throw new ErrnoException(Errno.ELOOP, "too many symlinks in " + path);
        }
        String target = new String(ops.readlink(next.ino), StandardCharsets.UTF_8);
        List<String> rest = new ArrayList<>();
        for (String p : target.split("/")) {
          if (!p.isEmpty()) {
            rest.add(p);
          }
        }
        for (int i = rest.size() - 1; i >= 0; i--) {
          remaining.push(rest.get(i));
        }
        if (target.startsWith("/")) {
          cur = vol.cache.get(InodeTable.ROOT_INO);
        }
        continue;
      }
      cur = next;
    }
    if (path.endsWith("/") && !cur.isDir()) {
      throw new ErrnoException(Errno.ENOTDIR, path + " is not a directory");
    }
    return cur;
  }

  /** The parent directory of {@code path} and its last component. */
  private Object[] parentOf(Cred cred, String path) {
    return parentOf(cred, path, Errno.EBUSY);
  }

  /**
   * The parent directory of {@code path} and its last component; {@code rootErrno} is the
   * error when the path is the root itself (EEXIST for creating, EBUSY for removing).
   */
  private Object[] parentOf(Cred cred, String path, Errno rootErrno) {
    String p = path;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    int slash = p.lastIndexOf('/');
    String dir = slash <= 0 ? "/" : p.substring(0, slash);
    String last = p.substring(slash + 1);
    if (last.isEmpty()) {
      throw new ErrnoException(rootErrno, rootErrno == Errno.EEXIST
          ? "the root directory exists" : "the root directory cannot be removed or renamed");
    }
    Inode d = walk(cred, dir, true, 0);
    return new Object[] {d.ino, Name.of(last)};
  }

  public Attr mkdir(Cred cred, String path, int perms) {
    Object[] pn = parentOf(cred, path, Errno.EEXIST);
    return mkdir(cred, (Long) pn[0], (Name) pn[1], perms);
  }

  public FileHandle open(Cred cred, String path, int flags, int perms) {
    return open(cred, path, flags, perms, 0);
  }

  private FileHandle open(Cred cred, String path, int flags, int perms, int links) {
    if ((flags & FileHandle.O_CREAT) != 0) {
      Object[] pn = parentOf(cred, path, Errno.EISDIR);
      long dir = (Long) pn[0];
      Name name = (Name) pn[1];
      if ((flags & (FileHandle.O_EXCL | FileHandle.O_NOFOLLOW)) == 0) {
        // open(O_CREAT) follows a symlink in the last component, creating its target if needed.
        Inode existing = null;
        try {
          existing = ns.lookup(cred, dir, name);
        } catch (ErrnoException e) {
          if (e.errno() != Errno.ENOENT) {
            throw e;
          }
        }
        if (existing != null && existing.isSymlink()) {
          if (links >= MAX_SYMLINKS) {
            throw new ErrnoException(Errno.ELOOP, "too many symlinks in " + path);
          }
          String target = new String(ops.readlink(existing.ino), StandardCharsets.UTF_8);
          String base = path.substring(0, path.lastIndexOf('/') + 1);
          return open(cred, target.startsWith("/") ? target : base + target, flags, perms,
              links + 1);
        }
      }
      return createAndOpen(cred, dir, name, perms, flags);
    }
    Attr a = resolve(cred, path, (flags & FileHandle.O_NOFOLLOW) == 0);
    if (a.isSymlink()) {
      throw new ErrnoException(Errno.ELOOP, path + " is a symlink (O_NOFOLLOW)");
    }
    return open(cred, a.ino(), flags);
  }

  public void unlink(Cred cred, String path) {
    Object[] pn = parentOf(cred, path, Errno.EISDIR);
    unlink(cred, (Long) pn[0], (Name) pn[1]);
  }

  public void rmdir(Cred cred, String path) {
    Object[] pn = parentOf(cred, path);
    rmdir(cred, (Long) pn[0], (Name) pn[1]);
  }

  public void rename(Cred cred, String from, String to, int flags) {
    Object[] a = parentOf(cred, from);
    Object[] b = parentOf(cred, to);
    rename(cred, (Long) a[0], (Name) a[1], (Long) b[0], (Name) b[1], flags);
  }

  public Attr symlink(Cred cred, String target, String path) {
    Object[] pn = parentOf(cred, path, Errno.EEXIST);
    return symlink(cred, (Long) pn[0], (Name) pn[1], target.getBytes(StandardCharsets.UTF_8));
  }

  public Attr link(Cred cred, String existing, String path) {
    Attr a = resolve(cred, existing, false);
    Object[] pn = parentOf(cred, path, Errno.EEXIST);
    return link(cred, a.ino(), (Long) pn[0], (Name) pn[1]);
  }

  public Attr mknod(Cred cred, String path, int mode, long rdev) {
    Object[] pn = parentOf(cred, path, Errno.EEXIST);
    return mknod(cred, (Long) pn[0], (Name) pn[1], mode, rdev);
  }

  private static Attr attr(Inode in) {
    in.lock.readLock().lock();
    try {
      return InodeOps.attr(in);
    } finally {
      in.lock.readLock().unlock();
    }
  }

  // ---- package access for fsck, inspect and tests ------------------------------------------

  Volume volume() {
    return vol;
  }
}
