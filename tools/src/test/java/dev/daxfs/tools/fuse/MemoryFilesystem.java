package dev.daxfs.tools.fuse;

import static dev.daxfs.tools.fuse.LinuxFlags.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory inode filesystem that exercises every operation of the binding: files with holes,
 * directories with stable readdir offsets, hard links, symlinks, device nodes, xattrs and
 * unlinked-but-open files. Test hooks: reads of a file named {@value #BOOM} throw, and so does a
 * lookup of "boom-lookup"; fallocate on a file named {@value #SLOW} waits until the request is
 * interrupted.
 */
final class MemoryFilesystem implements FuseFilesystem {
  /** Reads of files with this name throw an unchecked exception. */
  static final String BOOM = "boom";
  /** fallocate on files with this name blocks until the kernel interrupts the request. */
  static final String SLOW = "slow";

  /** Data is stored in chunks of this size; a missing chunk is a hole. */
  static final int CHUNK = 64 * 1024;
  private static final long BLOCK = 512;
  /** Source of zeroes for reads of holes. */
  private static final byte[] ZEROES = new byte[CHUNK];

  /** False: writes only grow the size (data reads back as zeroes), to time the binding alone. */
  private final boolean storeData;

  /** Guards every inode and directory below. */
  private final ReentrantLock lock = new ReentrantLock();
  /** Guarded by lock: live inodes by number. */
  private final Map<Long, Node> inodes = new HashMap<>();
  private final AtomicLong nextIno = new AtomicLong(FuseFilesystem.ROOT);
  /** Guarded by lock: open handles by number. */
  private final Map<Long, Node> handles = new HashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  // Observations for tests.
  final AtomicInteger openTruncs = new AtomicInteger();
  final AtomicInteger interruptsSeen = new AtomicInteger();
  /** Released each time a fallocate on a {@value #SLOW} file starts waiting. */
  final java.util.concurrent.Semaphore slowEntered = new java.util.concurrent.Semaphore(0);
  final Map<String, int[]> creators = new ConcurrentHashMap<>();
  final Map<String, TimeUpdate[]> lastTimes = new ConcurrentHashMap<>();
  volatile boolean destroyed;
  volatile FuseConnection connection;

  /** One inode. Guarded by the filesystem lock. */
  static final class Node {
    final long ino;
    int mode;
    long nlink;
    int uid;
    int gid;
    long rdev;
    long size;
    long atime;
    long mtime;
    long ctime;
    /** Kernel references (lookups not yet forgotten). */
    long lookups;
    /** Open handles. */
    int opens;
    /** Last name, for test hooks. */
    String name;
    final TreeMap<String, byte[]> xattrs = new TreeMap<>();
    /** Regular files: chunk index to CHUNK bytes. */
    final TreeMap<Long, byte[]> chunks = new TreeMap<>();
    /** Symlinks: the target. */
    String target;
    /** Directories: name to inode, name to cookie, cookie to name; next cookie. */
    final Map<String, Long> children = new HashMap<>();
    final Map<String, Long> cookieOf = new HashMap<>();
    final TreeMap<Long, String> byCookie = new TreeMap<>();
    long nextCookie = 3;
    long parent;

    Node(long ino, int mode, int uid, int gid, long now) {
      this.ino = ino;
      this.mode = mode;
      this.uid = uid;
      this.gid = gid;
      this.atime = this.mtime = this.ctime = now;
    }

    boolean isDir() {
      return isType(mode, S_IFDIR);
    }

    FuseAttr attr() {
      long blocks = isDir() ? 8 : (long) chunks.size() * CHUNK / BLOCK;
      long sz = isType(mode, S_IFLNK) ? target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
          : isDir() ? 4096 : size;
      return new FuseAttr(ino, mode, nlink, uid, gid, rdev, sz, blocks, 4096, atime, mtime, ctime);
    }
  }

  MemoryFilesystem() {
    this(true);
  }

  MemoryFilesystem(boolean storeData) {
    this.storeData = storeData;
    long now = now();
    Node root = new Node(FuseFilesystem.ROOT, S_IFDIR | 0777, 0, 0, now);
    root.nlink = 2;
    root.parent = FuseFilesystem.ROOT;
    root.lookups = 1;
    inodes.put(root.ino, root);
  }

  private static long now() {
    java.time.Instant t = java.time.Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  // --- Test hooks -------------------------------------------------------------------------

  /** True while inode {@code ino} exists (linked, referenced by the kernel, or open). */
  boolean exists(long ino) {
    lock.lock();
    try {
      return inodes.containsKey(ino);
    } finally {
      lock.unlock();
    }
  }

  /** Replaces bytes of a file behind the kernel's back, as a device's DMA would. */
  void overwrite(long ino, long offset, byte[] bytes) {
    lock.lock();
    try {
      writeData(inodes.get(ino), offset, ByteBuffer.wrap(bytes));
    } finally {
      lock.unlock();
    }
  }

  // --- Helpers (all under lock) ------------------------------------------------------------

  private Node node(long ino) throws FuseException {
    Node n = inodes.get(ino);
    if (n == null) {
      throw new FuseException(Errno.ESTALE, "no inode " + ino);
    }
    return n;
  }

  private Node dir(long ino) throws FuseException {
    Node n = node(ino);
    if (!n.isDir()) {
      throw new FuseException(Errno.ENOTDIR);
    }
    return n;
  }

  private Node child(Node dir, String name) throws FuseException {
    Long ino = dir.children.get(name);
    if (ino == null) {
      throw new FuseException(Errno.ENOENT);
    }
    return inodes.get(ino);
  }

  private FuseEntry entry(Node n) {
    n.lookups++;
    return new FuseEntry(n.attr(), 0, 60, 60);
  }

  private void addChild(Node dir, String name, Node n) {
    dir.children.put(name, n.ino);
    long cookie = dir.nextCookie++;
    dir.cookieOf.put(name, cookie);
    dir.byCookie.put(cookie, name);
    n.name = name;
    dir.mtime = dir.ctime = now();
  }

  private void removeChild(Node dir, String name) {
    dir.children.remove(name);
    dir.byCookie.remove(dir.cookieOf.remove(name));
    dir.mtime = dir.ctime = now();
  }

  private void maybeFree(Node n) {
    if (n.nlink == 0 && n.lookups == 0 && n.opens == 0 && n.ino != FuseFilesystem.ROOT) {
      inodes.remove(n.ino);
    }
  }

  private Node newNode(FuseContext ctx, Node parent, String name, int mode) throws FuseException {
    if (parent.children.containsKey(name)) {
      throw new FuseException(Errno.EEXIST);
    }
    if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
      throw new FuseException(Errno.ENAMETOOLONG);
    }
    Node n = new Node(nextIno.incrementAndGet(), mode, ctx.uid(), ctx.gid(), now());
    n.nlink = 1;
    inodes.put(n.ino, n);
    addChild(parent, name, n);
    creators.put(name, new int[] {ctx.uid(), ctx.gid(), ctx.pid(), ctx.groups().length});
    return n;
  }

  private int readData(Node n, long offset, ByteBuffer dst) {
    if (offset >= n.size) {
      return 0;
    }
    int len = (int) Math.min(dst.remaining(), n.size - offset);
    int done = 0;
    while (done < len) {
      long pos = offset + done;
      long index = pos / CHUNK;
      int in = (int) (pos % CHUNK);
      int step = Math.min(len - done, CHUNK - in);
      byte[] c = n.chunks.get(index);
      if (c == null) {
        dst.put(done, ZEROES, 0, step);
      } else {
        dst.put(done, c, in, step);
      }
      done += step;
    }
    return len;
  }

  private void writeData(Node n, long offset, ByteBuffer src) {
    int len = src.remaining();
    if (!storeData) {
      n.size = Math.max(n.size, offset + len);
      return;
    }
    int done = 0;
    while (done < len) {
      long pos = offset + done;
      long index = pos / CHUNK;
      int in = (int) (pos % CHUNK);
      int step = Math.min(len - done, CHUNK - in);
      byte[] c = n.chunks.computeIfAbsent(index, k -> new byte[CHUNK]);
      src.get(src.position() + done, c, in, step);
      done += step;
    }
    n.size = Math.max(n.size, offset + len);
  }

  /** Zeroes [from, to) and drops chunks that become wholly zero. */
  private static void zero(Node n, long from, long to) {
    for (long index = from / CHUNK; index * CHUNK < to; index++) {
      byte[] c = n.chunks.get(index);
      if (c == null) {
        continue;
      }
      long start = Math.max(from, index * CHUNK);
      long end = Math.min(to, (index + 1) * CHUNK);
      if (start == index * CHUNK && end == (index + 1) * CHUNK) {
        n.chunks.remove(index);
      } else {
        java.util.Arrays.fill(c, (int) (start - index * CHUNK), (int) (end - index * CHUNK), (byte) 0);
      }
    }
  }

  private void truncate(Node n, long size) {
    if (size < n.size) {
      zero(n, size, Math.max(n.size, size));
      n.chunks.tailMap((size + CHUNK - 1) / CHUNK, true).clear();
    }
    n.size = size;
    n.mtime = n.ctime = now();
  }

  // --- FuseFilesystem ---------------------------------------------------------------------

  @Override
  public void init(FuseConnection connection) {
    this.connection = connection;
  }

  @Override
  public void destroy() {
    destroyed = true;
  }

  @Override
  public FuseEntry lookup(FuseContext ctx, long parent, byte[] rawName) throws FuseException {
    String name = str(rawName);
    if (name.equals("boom-lookup")) {
      throw new IllegalStateException("injected lookup failure");
    }
    lock.lock();
    try {
      return entry(child(dir(parent), name));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void forget(long ino, long nlookup) {
    lock.lock();
    try {
      Node n = inodes.get(ino);
      if (n != null) {
        n.lookups = Math.max(0, n.lookups - nlookup);
        maybeFree(n);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public FuseAttr getattr(FuseContext ctx, long ino) throws FuseException {
    lock.lock();
    try {
      return node(ino).attr();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public FuseAttr setattr(FuseContext ctx, long ino, SetAttr changes) throws FuseException {
    lock.lock();
    try {
      Node n = node(ino);
      long now = now();
      changes.mode().ifPresent(m -> n.mode = (n.mode & S_IFMT) | m);
      changes.uid().ifPresent(u -> n.uid = u);
      changes.gid().ifPresent(g -> n.gid = g);
      if (changes.size().isPresent()) {
        if (n.isDir()) {
          throw new FuseException(Errno.EISDIR);
        }
        truncate(n, changes.size().getAsLong());
      }
      n.atime = changes.atime().resolve(n.atime, now);
      n.mtime = changes.mtime().resolve(n.mtime, now);
      n.ctime = changes.ctime().changes() ? changes.ctime().resolve(n.ctime, now) : now;
      if (n.name != null) {
        lastTimes.put(n.name, new TimeUpdate[] {changes.atime(), changes.mtime()});
      }
      return n.attr();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public byte[] readlink(FuseContext ctx, long ino) throws FuseException {
    lock.lock();
    try {
      Node n = node(ino);
      if (!isType(n.mode, S_IFLNK)) {
        throw new FuseException(Errno.EINVAL);
      }
      return bytes(n.target);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public FuseEntry mknod(FuseContext ctx, long parent, byte[] rawName, int mode, long rdev)
      throws FuseException {
    String name = str(rawName);
    lock.lock();
    try {
      Node n = newNode(ctx, dir(parent), name, mode);
      n.rdev = rdev;
      return entry(n);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public FuseEntry mkdir(FuseContext ctx, long parent, byte[] rawName, int mode)
      throws FuseException {
    String name = str(rawName);
    lock.lock();
    try {
      Node p = dir(parent);
      Node n = newNode(ctx, p, name, S_IFDIR | (mode & 07777));
      n.nlink = 2;
      n.parent = p.ino;
      p.nlink++;
      return entry(n);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void unlink(FuseContext ctx, long parent, byte[] rawName) throws FuseException {
    String name = str(rawName);
    lock.lock();
    try {
      Node p = dir(parent);
      Node n = child(p, name);
      if (n.isDir()) {
        throw new FuseException(Errno.EISDIR);
      }
      removeChild(p, name);
      n.nlink--;
      n.ctime = now();
      maybeFree(n);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void rmdir(FuseContext ctx, long parent, byte[] rawName) throws FuseException {
    String name = str(rawName);
    lock.lock();
    try {
      Node p = dir(parent);
      Node n = child(p, name);
      if (!n.isDir()) {
        throw new FuseException(Errno.ENOTDIR);
      }
      if (!n.children.isEmpty()) {
        throw new FuseException(Errno.ENOTEMPTY);
      }
      removeChild(p, name);
      p.nlink--;
      n.nlink = 0;
      maybeFree(n);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public FuseEntry symlink(FuseContext ctx, long parent, byte[] rawName, byte[] rawTarget)
      throws FuseException {
    String name = str(rawName);
    String target = str(rawTarget);
    lock.lock();
    try {
      Node n = newNode(ctx, dir(parent), name, S_IFLNK | 0777);
      n.target = target;
      return entry(n);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void rename(
      FuseContext ctx, long parent, byte[] rawName, long newParent, byte[] rawNewName, int flags)
      throws FuseException {
    String name = str(rawName);
    String newName = str(rawNewName);
    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0
        || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
      throw new FuseException(Errno.EINVAL);
    }
    lock.lock();
    try {
      Node from = dir(parent);
      Node to = dir(newParent);
      Node n = child(from, name);
      Long existing = to.children.get(newName);
      if ((flags & RENAME_EXCHANGE) != 0) {
        if (existing == null) {
          throw new FuseException(Errno.ENOENT);
        }
        Node other = inodes.get(existing);
        from.children.put(name, other.ino);
        to.children.put(newName, n.ino);
        other.name = name;
        n.name = newName;
        n.ctime = other.ctime = now();
        return;
      }
      if (existing != null) {
        if ((flags & RENAME_NOREPLACE) != 0) {
          throw new FuseException(Errno.EEXIST);
        }
        Node victim = inodes.get(existing);
        if (victim.ino == n.ino) {
          return;
        }
        if (victim.isDir() != n.isDir()) {
          throw new FuseException(victim.isDir() ? Errno.EISDIR : Errno.ENOTDIR);
        }
        if (victim.isDir() && !victim.children.isEmpty()) {
          throw new FuseException(Errno.ENOTEMPTY);
        }
        removeChild(to, newName);
        victim.nlink = victim.isDir() ? 0 : victim.nlink - 1;
        if (victim.isDir()) {
          to.nlink--;
        }
        maybeFree(victim);
      }
      removeChild(from, name);
      addChild(to, newName, n);
      if (n.isDir() && from != to) {
        from.nlink--;
        to.nlink++;
        n.parent = to.ino;
      }
      n.ctime = now();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public FuseEntry link(FuseContext ctx, long ino, long newParent, byte[] rawNewName)
      throws FuseException {
    String newName = str(rawNewName);
    lock.lock();
    try {
      Node n = node(ino);
      Node p = dir(newParent);
      if (n.isDir()) {
        throw new FuseException(Errno.EPERM);
      }
      if (p.children.containsKey(newName)) {
        throw new FuseException(Errno.EEXIST);
      }
      addChild(p, newName, n);
      n.nlink++;
      n.ctime = now();
      return entry(n);
    } finally {
      lock.unlock();
    }
  }

  private long openHandle(Node n) {
    long fh = nextHandle.getAndIncrement();
    handles.put(fh, n);
    n.opens++;
    return fh;
  }

  @Override
  public FileHandle open(FuseContext ctx, long ino, int flags) throws FuseException {
    lock.lock();
    try {
      Node n = node(ino);
      if ((flags & O_TRUNC) != 0) {
        openTruncs.incrementAndGet();
        truncate(n, 0);
      }
      // keep_cache: cached pages survive reopening, so only an invalidation refreshes them.
      return FileHandle.of(openHandle(n)).withKeepCache();
    } finally {
      lock.unlock();
    }
  }

  private Node handle(long fh) throws FuseException {
    Node n = handles.get(fh);
    if (n == null) {
      throw new FuseException(Errno.EBADF);
    }
    return n;
  }

  @Override
  public int read(FuseContext ctx, long ino, long fh, long offset, ByteBuffer dst)
      throws FuseException {
    lock.lock();
    try {
      Node n = handle(fh);
      if (BOOM.equals(n.name)) {
        throw new IllegalStateException("injected read failure");
      }
      return readData(n, offset, dst);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int write(FuseContext ctx, long ino, long fh, long offset, ByteBuffer src)
      throws FuseException {
    lock.lock();
    try {
      Node n = handle(fh);
      int len = src.remaining();
      writeData(n, offset, src);
      n.mtime = n.ctime = now();
      return len;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void flush(FuseContext ctx, long ino, long fh, long lockOwner) {}

  @Override
  public void release(FuseContext ctx, long ino, long fh, int flags) {
    lock.lock();
    try {
      Node n = handles.remove(fh);
      if (n != null) {
        n.opens--;
        maybeFree(n);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void fsync(FuseContext ctx, long ino, long fh, boolean dataOnly) {}

  @Override
  public FileHandle opendir(FuseContext ctx, long ino, int flags) throws FuseException {
    lock.lock();
    try {
      return FileHandle.of(openHandle(dir(ino)));
    } finally {
      lock.unlock();
    }
  }

  /** Cookies 1 and 2 stand for "." and ".."; children use their insertion cookie. */
  private interface EntrySink {
    boolean add(String name, Node n, long next);
  }

  private void list(long ino, long offset, EntrySink sink) throws FuseException {
    Node d = dir(ino);
    if (offset < 1 && !sink.add(".", d, 1)) {
      return;
    }
    if (offset < 2 && !sink.add("..", inodes.get(d.parent), 2)) {
      return;
    }
    for (Map.Entry<Long, String> e : d.byCookie.tailMap(offset, false).entrySet()) {
      if (!sink.add(e.getValue(), inodes.get(d.children.get(e.getValue())), e.getKey())) {
        return;
      }
    }
  }

  @Override
  public void readdir(FuseContext ctx, long ino, long fh, long offset, DirectoryFiller out)
      throws FuseException {
    lock.lock();
    try {
      list(ino, offset, (name, n, next) -> out.add(bytes(name), n.ino, n.mode, next));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void readdirplus(
      FuseContext ctx, long ino, long fh, long offset, DirectoryPlusFiller out)
      throws FuseException {
    lock.lock();
    try {
      list(ino, offset, (name, n, next) -> {
        boolean dots = name.equals(".") || name.equals("..");
        boolean added = out.add(bytes(name), new FuseEntry(n.attr(), 0, 60, 60), next);
        if (added && !dots) {
          n.lookups++;
        }
        return added;
      });
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void releasedir(FuseContext ctx, long ino, long fh) {
    release(ctx, ino, fh, 0);
  }

  @Override
  public FuseStatfs statfs(FuseContext ctx, long ino) {
    lock.lock();
    try {
      long used = 0;
      for (Node n : inodes.values()) {
        used += n.chunks.size();
      }
      long total = 1 << 20;
      return new FuseStatfs(CHUNK, CHUNK, total, total - used, total - used, 1 << 20,
          (1 << 20) - inodes.size(), (1 << 20) - inodes.size(), 255);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void setxattr(FuseContext ctx, long ino, String name, ByteBuffer value, int flags)
      throws FuseException {
    byte[] copy = new byte[value.remaining()];
    value.get(copy);
    lock.lock();
    try {
      Node n = node(ino);
      boolean present = n.xattrs.containsKey(name);
      if ((flags & XATTR_CREATE) != 0 && present) {
        throw new FuseException(Errno.EEXIST);
      }
      if ((flags & XATTR_REPLACE) != 0 && !present) {
        throw new FuseException(Errno.ENODATA);
      }
      n.xattrs.put(name, copy);
      n.ctime = now();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public byte[] getxattr(FuseContext ctx, long ino, String name) throws FuseException {
    lock.lock();
    try {
      byte[] v = node(ino).xattrs.get(name);
      if (v == null) {
        throw new FuseException(Errno.ENODATA);
      }
      return v.clone();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<String> listxattr(FuseContext ctx, long ino) throws FuseException {
    lock.lock();
    try {
      return new ArrayList<>(node(ino).xattrs.keySet());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void removexattr(FuseContext ctx, long ino, String name) throws FuseException {
    lock.lock();
    try {
      if (node(ino).xattrs.remove(name) == null) {
        throw new FuseException(Errno.ENODATA);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Checks the owner bits for everyone, root included, so that a test can see the call. */
  @Override
  public void access(FuseContext ctx, long ino, int mask) throws FuseException {
    lock.lock();
    try {
      Node n = node(ino);
      int owner = (n.mode >> 6) & 7;
      if ((mask & ~owner & 7) != 0) {
        throw new FuseException(Errno.EACCES);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Created create(FuseContext ctx, long parent, byte[] rawName, int mode, int flags)
      throws FuseException {
    String name = str(rawName);
    lock.lock();
    try {
      Node n = newNode(ctx, dir(parent), name, S_IFREG | (mode & 07777));
      FuseEntry e = entry(n);
      return new Created(e, FileHandle.of(openHandle(n)).withKeepCache());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void fallocate(FuseContext ctx, long ino, long fh, int mode, long offset, long length)
      throws FuseException {
    String name;
    lock.lock();
    try {
      name = handle(fh).name;
    } finally {
      lock.unlock();
    }
    if (SLOW.equals(name)) {
      waitForInterrupt(ctx);
    }
    lock.lock();
    try {
      Node n = handle(fh);
      long end = offset + length;
      if ((mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0) {
        throw new FuseException(Errno.EOPNOTSUPP);
      }
      if ((mode & FALLOC_FL_PUNCH_HOLE) != 0) {
        if ((mode & FALLOC_FL_KEEP_SIZE) == 0) {
          throw new FuseException(Errno.EOPNOTSUPP);
        }
        zero(n, offset, Math.min(end, n.size));
      } else if ((mode & FALLOC_FL_ZERO_RANGE) != 0) {
        zero(n, offset, Math.min(end, n.size));
        for (long i = offset / CHUNK; i * CHUNK < end; i++) {
          n.chunks.computeIfAbsent(i, k -> new byte[CHUNK]);
        }
        if ((mode & FALLOC_FL_KEEP_SIZE) == 0) {
          n.size = Math.max(n.size, end);
        }
      } else {
        for (long i = offset / CHUNK; i * CHUNK < end; i++) {
          n.chunks.computeIfAbsent(i, k -> new byte[CHUNK]);
        }
        if ((mode & FALLOC_FL_KEEP_SIZE) == 0) {
          n.size = Math.max(n.size, end);
        }
      }
      n.mtime = n.ctime = now();
    } finally {
      lock.unlock();
    }
  }

  /** Blocks without holding the lock until the kernel interrupts the request (or 30 s pass). */
  private void waitForInterrupt(FuseContext ctx) throws FuseException {
    CountDownLatch never = new CountDownLatch(1);
    ctx.onInterrupt(Thread.currentThread()::interrupt);
    slowEntered.release();
    try {
      if (!never.await(30, TimeUnit.SECONDS)) {
        throw new FuseException(Errno.EIO, "no interrupt arrived");
      }
    } catch (InterruptedException e) {
      interruptsSeen.incrementAndGet();
      throw new FuseException(Errno.EINTR, "fallocate interrupted");
    }
  }

  @Override
  public long lseek(FuseContext ctx, long ino, long fh, long offset, int whence)
      throws FuseException {
    lock.lock();
    try {
      Node n = handle(fh);
      if (offset < 0 || offset >= n.size) {
        throw new FuseException(Errno.ENXIO);
      }
      NavigableMap<Long, byte[]> chunks = n.chunks;
      long index = offset / CHUNK;
      if (whence == SEEK_DATA) {
        Long data = chunks.ceilingKey(index);
        if (data == null || data * CHUNK >= n.size) {
          throw new FuseException(Errno.ENXIO);
        }
        return Math.max(offset, data * CHUNK);
      }
      if (whence == SEEK_HOLE) {
        long i = index;
        while (chunks.containsKey(i)) {
          i++;
        }
        return Math.min(n.size, Math.max(offset, i * CHUNK));
      }
      throw new FuseException(Errno.EINVAL);
    } finally {
      lock.unlock();
    }
  }

  /** A name's bytes as a string, one char per byte, so that any name survives the round trip. */
  private static String str(byte[] name) {
    return new String(name, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static byte[] bytes(String name) {
    return name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
