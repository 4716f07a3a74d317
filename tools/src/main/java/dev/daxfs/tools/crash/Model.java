package dev.daxfs.tools.crash;

import dev.daxfs.dax.Errno;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a POSIX filesystem should hold after each operation of a workload, and which error each
 * operation should fail with: an in-memory tree of inodes that applies the language's
 * operations with Linux's rules, as daxfs implements them for a caller with every capability
 * (root). Its {@link #snapshot()} after operation k is what every crash image taken after k
 * completed must show (durability), and what images taken while k ran may show besides the
 * snapshot before k (atomicity).
 *
 * <p>Data stored through DAX mappings is tracked per 8-byte word: until a sync point (msync,
 * fsync, fdatasync, sync, remount) the word may still hold any value it had since the last one.
 * Which pages mappings hold is tracked too, since a write() into such a page goes in place and
 * may be cut per word by a crash ({@link #lastTear()}).
 *
 * <p>Not thread-safe; one per workload run.
 */
final class Model {

  static final int PAGE = 4096;

  /** Most symlinks one path walk follows, as Linux (ELOOP beyond). */
  private static final int MAX_SYMLINKS = 40;

  /** Type bits. */
  static final int S_IFMT = 0170000;

  static final int S_IFIFO = 0010000;
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;

  private static final int S_ISUID = 04000;
  private static final int S_ISGID = 02000;

  /** Most bytes of names and values one inode's extended attributes may hold (else ENOSPC). */
  private static final int XATTR_TOTAL_MAX = 64 * 1024;

  /** Longest extended attribute name in bytes (else ERANGE). */
  private static final int XATTR_NAME_MAX = 255;

  /** One inode. */
  static final class Node {
    /** The S_IF* bits. */
    final int type;

    /** Permission, set-id and sticky bits. */
    int perms;

    int uid;
    int gid;

    /** Device number of character and block nodes. */
    final long rdev;

    /** A regular file's bytes: never changed in place, so snapshots share it. */
    byte[] content = new byte[0];

    /** A symlink's target. */
    final String target;

    /** Extended attributes by name; values are never changed in place. */
    final TreeMap<String, byte[]> xattrs = new TreeMap<>();

    /** A directory's entries by name; null for other types. */
    final TreeMap<String, Node> children;

    /** A directory's parent (the root's is the root). */
    Node parent;

    /** Names this inode has; a directory has 1 until it is removed. */
    int names;

    /** Known times (set by utimens), or FsState.UNKNOWN_TIME. */
    long atime = FsState.UNKNOWN_TIME;

    long mtime = FsState.UNKNOWN_TIME;

    /**
     * Words stored through a mapping and not yet made durable: word index to the other values
     * a crash may leave there (bytes beyond the end of file are zero in them).
     */
    TreeMap<Long, long[]> pending = new TreeMap<>();

    Node(int type, int perms, int uid, int gid, long rdev, String target) {
      this.type = type;
      this.perms = perms;
      this.uid = uid;
      this.gid = gid;
      this.rdev = rdev;
      this.target = target;
      this.children = type == S_IFDIR ? new TreeMap<>() : null;
    }

    boolean isDir() {
      return type == S_IFDIR;
    }

    boolean isRegular() {
      return type == S_IFREG;
    }

    boolean isSymlink() {
      return type == S_IFLNK;
    }

    /** Times change implicitly: the model no longer knows them. */
    void touch() {
      atime = FsState.UNKNOWN_TIME;
      mtime = FsState.UNKNOWN_TIME;
    }
  }

  /** An open file, named by the path it was opened with. */
  static final class Handle {
    /** The inode, even after its names are gone. */
    final Node node;

    /** Opened for writing (regular files and special nodes; directories open read-only). */
    final boolean writable;

    /** Pages the handle's mapping holds (faulted in by mwrite), or null without a mapping. */
    TreeSet<Long> mapped;

    Handle(Node node, boolean writable) {
      this.node = node;
      this.writable = writable;
    }
  }

  /** An operation fails with this errno; thrown before anything is changed. */
  private static final class Fail extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The error the operation returns. */
    final Errno errno;

    Fail(Errno errno) {
      super(errno.name(), null, false, false);
      this.errno = errno;
    }
  }

  /** The root directory. */
  private final Node root;

  /** Open handles by name, in opening order. */
  private final LinkedHashMap<String, Handle> handles = new LinkedHashMap<>();

  /** Set by a write() into mapped pages: the words it stored in place; else null. */
  private StateDiff.Tear lastTear;

  /** A freshly formatted filesystem: an empty root directory, 0755, owned by root. */
  Model() {
    root = new Node(S_IFDIR, 0755, 0, 0, 0, null);
    root.parent = root;
    root.names = 1;
  }

  /**
   * Applies {@code op}, the {@code counter}-th of its workload (which chooses the data it
   * writes). Returns null when it succeeds, else the errno it fails with, having changed
   * nothing that a failing call would not change.
   */
  Errno apply(Op op, long counter) {
    lastTear = null;
    try {
      run(op, counter);
      return null;
    } catch (Fail f) {
      return f.errno;
    }
  }

  /** The in-place words the last applied operation stored, or null. */
  StateDiff.Tear lastTear() {
    return lastTear;
  }

  /** True when a handle named {@code path} is open. */
  boolean isOpen(String path) {
    return handles.containsKey(path);
  }

  /** True when a handle named {@code path} has a mapping. */
  boolean isMapped(String path) {
    Handle h = handles.get(path);
    return h != null && h.mapped != null;
  }

  private void run(Op op, long counter) {
    switch (op.kind()) {
      case MKDIR -> create(op.path(), S_IFDIR, op.mode(), 0, null);
      case CREAT -> creat(op.path(), op.mode());
      case OPEN -> {
        if (!handles.containsKey(op.path())) {
          handles.put(op.path(), open(op.path()));
        }
      }
      case CLOSE -> {
        if (handles.remove(op.path()) == null) {
          throw new Fail(Errno.EBADF);
        }
      }
      case WRITE -> write(handle(op.path()), op.offset(), DataPattern.bytes(op.path(), counter,
          op.offset(), (int) op.length()));
      case MWRITE -> mwrite(op.path(), op.offset(), DataPattern.bytes(op.path(), counter,
          op.offset(), (int) op.length()));
      case MSYNC -> {
        Handle h = handles.get(op.path());
        if (h == null || h.mapped == null) {
          throw new Fail(Errno.ENOMEM);
        }
        durable(h.node);
      }
      case MUNMAP -> {
        Handle h = handles.get(op.path());
        if (h != null) {
          h.mapped = null;
        }
      }
      case TRUNCATE -> truncate(walk(op.path(), true), op.length());
      case FALLOC -> falloc(handle(op.path()), op.mode(), op.offset(), op.length());
      case LINK -> link(op.path(), op.other());
      case SYMLINK -> create(op.path(), S_IFLNK, 0777, 0, op.other());
      case RENAME -> rename(op.path(), op.other(), op.mode());
      case MKNOD -> create(op.path(), op.mode(), 0644, Op.NodeType.of(op.mode()).rdev(), null);
      case CHOWN -> chown(walk(op.path(), true), op.uid(), op.gid());
      case UTIMENS -> utimens(walk(op.path(), true), op.atime(), op.mtime());
      case UNLINK -> remove(op.path(), false);
      case RMDIR -> remove(op.path(), true);
      case SETXATTR -> setxattr(walk(op.path(), true), op.name(), op.value() != null
          ? op.value() : DataPattern.bytes(op.name(), counter, 0, op.valueSize()));
      case REMOVEXATTR -> removexattr(walk(op.path(), true), op.name());
      case CHMOD -> walk(op.path(), true).perms = op.mode() & 07777;
      case FSYNC, FDATASYNC -> durable(handle(op.path()).node);
      case SYNC -> syncAll();
      case CLEAN -> {
        if (!op.cleansAll()) {
          walk(op.path(), false);
        }
      }
      case REMOUNT -> {
        handles.clear();
        syncAll();
      }
    }
  }

  // ---- paths -----------------------------------------------------------------------------

  private static List<String> components(String path) {
    List<String> out = new ArrayList<>();
    for (String p : path.split("/")) {
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    return out;
  }

  /** Resolves a path as DaxFs's walk does: symlinks in the middle always, at the end if asked. */
  private Node walk(String path, boolean followLast) {
    Node cur = root;
    int links = 0;
    Deque<String> remaining = new ArrayDeque<>(components(path));
    while (!remaining.isEmpty()) {
      String part = remaining.poll();
      if (!cur.isDir()) {
        throw new Fail(Errno.ENOTDIR);
      }
      Node next = lookup(cur, part);
      if (next.isSymlink() && (followLast || !remaining.isEmpty())) {
        if (++links > MAX_SYMLINKS) {
          throw new Fail(Errno.ELOOP);
        }
        List<String> rest = components(next.target);
        for (int i = rest.size() - 1; i >= 0; i--) {
          remaining.push(rest.get(i));
        }
        if (next.target.startsWith("/")) {
          cur = root;
        }
        continue;
      }
      cur = next;
    }
    return cur;
  }

  private static Node lookup(Node dir, String name) {
    if (name.equals(".")) {
      return dir;
    }
    if (name.equals("..")) {
      return dir.parent;
    }
    Node n = dir.children.get(name);
    if (n == null) {
      throw new Fail(Errno.ENOENT);
    }
    return n;
  }

  /** The directory a path's last component lives in (ENOTDIR if it is no directory). */
  private Node parentDir(String path) {
    return directory(parentOf(path));
  }

  /** What a path's parent path resolves to, directory or not (DaxFs's parentOf). */
  private Node parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return walk(slash < 0 ? "" : path.substring(0, slash), true);
  }

  private static Node directory(Node n) {
    if (!n.isDir()) {
      throw new Fail(Errno.ENOTDIR);
    }
    return n;
  }

  private static String lastName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  // ---- names -----------------------------------------------------------------------------

  /** mkdir, symlink, mknod: a new inode of {@code type} under a new name. */
  private Node create(String path, int type, int perms, long rdev, String target) {
    Node dir = parentDir(path);
    String name = lastName(path);
    if (dir.children.containsKey(name)) {
      throw new Fail(Errno.EEXIST);
    }
    int gid = 0;
    if ((dir.perms & S_ISGID) != 0) {
      gid = dir.gid;
      if (type == S_IFDIR) {
        perms |= S_ISGID;
      }
    }
    Node n = new Node(type, perms & 07777, 0, gid, rdev, target);
    if (type == S_IFDIR) {
      n.parent = dir;
    }
    n.names = 1;
    dir.children.put(name, n);
    dir.touch();
    return n;
  }

  /**
   * creat(2): open(O_CREAT | O_RDWR | O_TRUNC), following a symlink at the end; a handle
   * already open under the same name is closed first.
   */
  private void creat(String path, int perms) {
    handles.remove(path);
    handles.put(path, new Handle(creatNode(path, perms, 0), true));
  }

  private Node creatNode(String path, int perms, int depth) {
    Node dir = parentDir(path);
    Node existing = dir.children.get(lastName(path));
    if (existing != null && existing.isSymlink()) {
      if (depth >= MAX_SYMLINKS) {
        throw new Fail(Errno.ELOOP);
      }
      // As DaxFs.open: an absolute target as it is, a relative one from the link's directory.
      String t = existing.target;
      String base = path.contains("/") ? path.substring(0, path.lastIndexOf('/') + 1) : "";
      String next = t.startsWith("/") ? t : base + t;
      while (next.startsWith("/")) {
        next = next.substring(1);
      }
      while (next.endsWith("/")) {
        next = next.substring(0, next.length() - 1);
      }
      if (next.isEmpty()) {
        throw new Fail(Errno.EISDIR);
      }
      return creatNode(next, perms, depth + 1);
    }
    if (existing == null) {
      return create(path, S_IFREG, perms, 0, null);
    }
    if (existing.isDir()) {
      throw new Fail(Errno.EISDIR);
    }
    if (existing.isRegular()) {
      breakLayout(existing, 0);
      resize(existing, 0);
      existing.touch();
    }
    return existing;
  }

  private void link(String src, String dst) {
    Node n = walk(src, false);
    Node parent = parentOf(dst);
    if (n.isDir()) {
      throw new Fail(Errno.EPERM);
    }
    Node dir = directory(parent);
    String name = lastName(dst);
    if (dir.children.containsKey(name)) {
      throw new Fail(Errno.EEXIST);
    }
    dir.children.put(name, n);
    n.names++;
    n.touch();
    dir.touch();
  }

  private void remove(String path, boolean wantDir) {
    Node dir = parentDir(path);
    String name = lastName(path);
    Node child = dir.children.get(name);
    if (child == null) {
      throw new Fail(Errno.ENOENT);
    }
    if (wantDir && !child.isDir()) {
      throw new Fail(Errno.ENOTDIR);
    }
    if (!wantDir && child.isDir()) {
      throw new Fail(Errno.EISDIR);
    }
    if (wantDir && !child.children.isEmpty()) {
      throw new Fail(Errno.ENOTEMPTY);
    }
    dir.children.remove(name);
    child.names--;
    child.touch();
    dir.touch();
  }

  /** True when {@code ancestor} is {@code n} or above it. */
  private boolean isAncestor(Node ancestor, Node n) {
    for (Node cur = n; ; cur = cur.parent) {
      if (cur == ancestor) {
        return true;
      }
      if (cur == root) {
        return false;
      }
    }
  }

  /** rename(2) and renameat2's NOREPLACE and EXCHANGE, checked in daxfs's (Linux's) order. */
  private void rename(String from, String to, int flags) {
    Node oldParent = parentOf(from);
    Node newParent = parentOf(to);
    Node oldDir = directory(oldParent);
    Node newDir = directory(newParent);
    String oldName = lastName(from);
    String newName = lastName(to);
    Node src = oldDir.children.get(oldName);
    if (src == null) {
      throw new Fail(Errno.ENOENT);
    }
    Node dst = newDir.children.get(newName);
    boolean exchange = flags == Op.RENAME_EXCHANGE;
    if (flags == Op.RENAME_NOREPLACE && dst != null) {
      throw new Fail(Errno.EEXIST);
    }
    if (exchange && dst == null) {
      throw new Fail(Errno.ENOENT);
    }
    if (oldDir != newDir) {
      if (src.isDir() && isAncestor(src, newDir)) {
        throw new Fail(Errno.EINVAL);
      }
      if (dst != null && dst.isDir() && isAncestor(dst, oldDir)) {
        throw new Fail(exchange ? Errno.EINVAL : Errno.ENOTEMPTY);
      }
    }
    if (dst == src) {
      return;
    }
    if (!exchange && dst != null) {
      if (src.isDir() && !dst.isDir()) {
        throw new Fail(Errno.ENOTDIR);
      }
      if (!src.isDir() && dst.isDir()) {
        throw new Fail(Errno.EISDIR);
      }
      if (dst.isDir() && !dst.children.isEmpty()) {
        throw new Fail(Errno.ENOTEMPTY);
      }
    }
    oldDir.children.remove(oldName);
    newDir.children.put(newName, src);
    if (src.isDir()) {
      src.parent = newDir;
    }
    if (exchange) {
      oldDir.children.put(oldName, dst);
      if (dst.isDir()) {
        dst.parent = oldDir;
      }
      dst.touch();
    } else if (dst != null) {
      dst.names--;
      dst.touch();
    }
    src.touch();
    oldDir.touch();
    newDir.touch();
  }

  // ---- handles ---------------------------------------------------------------------------

  /** open(2) as the runner does it: directories read-only, everything else read-write. */
  private Handle open(String path) {
    Node n = walk(path, true);
    return new Handle(n, !n.isDir());
  }

  /** The handle named {@code path}, opened (and kept open) if there is none. */
  private Handle handle(String path) {
    Handle h = handles.get(path);
    if (h == null) {
      h = open(path);
      handles.put(path, h);
    }
    return h;
  }

  // ---- data ------------------------------------------------------------------------------

  private void write(Handle h, long off, byte[] data) {
    Node n = h.node;
    if (!h.writable) {
      throw new Fail(Errno.EBADF);
    }
    if (!n.isRegular()) {
      throw new Fail(n.isDir() ? Errno.EISDIR : Errno.EINVAL);
    }
    if (data.length == 0) {
      return;
    }
    long oldSize = n.content.length;
    lastTear = tearOf(n, off, data.length, oldSize);
    if (off + data.length > oldSize) {
      resize(n, off + data.length);
    }
    store(n, off, data);
    n.touch();
  }

  /** The words of {@code [off, off+len)} that overlap the old file, in pages a mapping holds. */
  private StateDiff.Tear tearOf(Node n, long off, long len, long oldSize) {
    TreeSet<Long> held = new TreeSet<>();
    for (Handle h : handles.values()) {
      if (h.node == n && h.mapped != null) {
        long first = off / PAGE;
        long last = (off + len - 1) / PAGE;
        held.addAll(h.mapped.subSet(first, true, last, true));
      }
    }
    if (held.isEmpty()) {
      return null;
    }
    List<Long> ranges = new ArrayList<>();
    for (long page : held) {
      long from = Math.max(off, page * PAGE) >>> 3;
      long to = (Math.min(Math.min(off + len, (page + 1) * PAGE), oldSize) + 7) >>> 3;
      if (from < to) {
        ranges.add(from);
        ranges.add(to);
      }
    }
    if (ranges.isEmpty()) {
      return null;
    }
    return new StateDiff.Tear(inodeName(n), ranges.stream().mapToLong(Long::longValue)
        .toArray());
  }

  /**
   * A sync point: every store made through a mapping of the file becomes durable, also into
   * pages a layout break unmapped since (they keep their blocks when they hold the new end of
   * file or a collapse or insert moved them).
   */
  private static void durable(Node n) {
    n.pending = new TreeMap<>();
  }

  /**
   * Stores through the handle's mapping (made if there is none), up to the first page beyond
   * the end of file, which faults.
   */
  private void mwrite(String path, long off, byte[] data) {
    Handle h = handle(path);
    Node n = h.node;
    if (!n.isRegular()) {
      throw new Fail(Errno.ENODEV);
    }
    if (h.mapped == null) {
      h.mapped = new TreeSet<>();
    }
    if (data.length == 0) {
      return;
    }
    long size = n.content.length;
    long pagesInFile = (size + PAGE - 1) / PAGE;
    long end = off + data.length;
    long storedEnd = Math.min(end, pagesInFile * PAGE);
    for (long p = off / PAGE; p * PAGE < storedEnd; p++) {
      h.mapped.add(p);
    }
    long visibleEnd = Math.min(storedEnd, size);
    if (off < visibleEnd) {
      byte[] old = n.content;
      byte[] now = old.clone();
      System.arraycopy(data, 0, now, (int) off, (int) (visibleEnd - off));
      for (long w = off >>> 3; w < (visibleEnd + 7) >>> 3; w++) {
        long before = StateDiff.word(old, w);
        if (before != StateDiff.word(now, w)) {
          n.pending.put(w, union(n.pending.get(w), before));
        }
      }
      n.content = now;
    }
    if (off < storedEnd) {
      n.touch();
    }
    if (storedEnd < end) {
      throw new Fail(Errno.EFAULT);
    }
  }

  private static long[] union(long[] alts, long v) {
    if (alts == null) {
      return new long[] {v};
    }
    for (long a : alts) {
      if (a == v) {
        return alts;
      }
    }
    long[] out = Arrays.copyOf(alts, alts.length + 1);
    out[alts.length] = v;
    return out;
  }

  /**
   * Sets bytes {@code [off, off+data.length)} (inside the file) durably: pending words they
   * overlap keep their leeway only in bytes outside the range.
   */
  private static void store(Node n, long off, byte[] data) {
    byte[] c = n.content.clone();
    System.arraycopy(data, 0, c, (int) off, data.length);
    n.content = c;
    settle(n, off, off + data.length);
  }

  /** Bytes {@code [from, to)} now hold their durable values in every pending alternative. */
  private static void settle(Node n, long from, long to) {
    if (n.pending.isEmpty() || from >= to) {
      return;
    }
    long wFrom = from >>> 3;
    long wTo = (to + 7) >>> 3;
    for (Long w : new ArrayList<>(n.pending.subMap(wFrom, wTo).keySet())) {
      long base = w << 3;
      if (base >= from && base + 8 <= to) {
        n.pending.remove(w);
        continue;
      }
      long now = StateDiff.word(n.content, w);
      long mask = 0;
      for (int b = 0; b < 8; b++) {
        if (base + b >= from && base + b < to) {
          mask |= 0xffL << (8 * b);
        }
      }
      long[] alts = n.pending.get(w).clone();
      for (int i = 0; i < alts.length; i++) {
        alts[i] = (alts[i] & ~mask) | (now & mask);
      }
      n.pending.put(w, alts);
    }
  }

  /** Changes a regular file's size: shrinking drops bytes, growing adds zeros. */
  private static void resize(Node n, long size) {
    long old = n.content.length;
    n.content = Arrays.copyOf(n.content, (int) size);
    if (size < old) {
      n.pending = new TreeMap<>(n.pending.headMap((size + 7) >>> 3));
      // The word holding the new end keeps only its bytes below it.
      settle(n, size, (size + 8) & ~7L);
    }
  }

  /**
   * A layout break unmaps pages {@code [from, to)} of {@code n} from every mapping: the next
   * write() into them copies on write again. Their pending words stay pending until a sync
   * point.
   */
  private void breakLayout(Node n, long fromPage, long toPage) {
    for (Handle h : handles.values()) {
      if (h.node == n && h.mapped != null) {
        h.mapped.subSet(fromPage, toPage).clear();
      }
    }
  }

  private void breakLayout(Node n, long fromPage) {
    breakLayout(n, fromPage, Long.MAX_VALUE);
  }

  private void truncate(Node n, long size) {
    if (!n.isRegular()) {
      throw new Fail(n.isDir() ? Errno.EISDIR : Errno.EINVAL);
    }
    if (size < n.content.length) {
      breakLayout(n, size / PAGE);
    }
    if (size > n.content.length) {
      resize(n, size);
    } else {
      resize(n, size);
    }
    n.touch();
  }

  /** fallocate(2), with daxfs's (Linux's) argument checks in their order. */
  private void falloc(Handle h, int mode, long off, long len) {
    Node n = h.node;
    int punchZero = Op.FALLOC_PUNCH_HOLE | Op.FALLOC_ZERO_RANGE;
    if (len <= 0) {
      throw new Fail(Errno.EINVAL);
    }
    if ((mode & punchZero) == punchZero) {
      throw new Fail(Errno.EOPNOTSUPP);
    }
    boolean keep = (mode & Op.FALLOC_KEEP_SIZE) != 0;
    if ((mode & Op.FALLOC_PUNCH_HOLE) != 0 && !keep) {
      throw new Fail(Errno.EOPNOTSUPP);
    }
    if ((mode & Op.FALLOC_COLLAPSE_RANGE) != 0 && mode != Op.FALLOC_COLLAPSE_RANGE) {
      throw new Fail(Errno.EINVAL);
    }
    if ((mode & Op.FALLOC_INSERT_RANGE) != 0 && mode != Op.FALLOC_INSERT_RANGE) {
      throw new Fail(Errno.EINVAL);
    }
    if (!h.writable) {
      throw new Fail(Errno.EBADF);
    }
    if (n.isDir()) {
      throw new Fail(Errno.EISDIR);
    }
    if ((n.type & S_IFMT) == S_IFIFO) {
      throw new Fail(Errno.ESPIPE);
    }
    if (!n.isRegular()) {
      throw new Fail(Errno.ENODEV);
    }
    long size = n.content.length;
    long end = off + len;
    if ((mode & punchZero) != 0) {
      long from = off / PAGE;
      if ((mode & Op.FALLOC_ZERO_RANGE) != 0 && !keep && end > size) {
        from = Math.min(from, size / PAGE);
      }
      breakLayout(n, from, (end + PAGE - 1) / PAGE);
    } else if ((mode & (Op.FALLOC_COLLAPSE_RANGE | Op.FALLOC_INSERT_RANGE)) != 0) {
      // The break comes before the range checks, which may still refuse.
      breakLayout(n, off / PAGE);
    }
    if ((mode & Op.FALLOC_PUNCH_HOLE) != 0) {
      zero(n, off, Math.min(end, size));
    } else if ((mode & Op.FALLOC_ZERO_RANGE) != 0) {
      if (!keep && end > size) {
        resize(n, end);
      }
      zero(n, off, Math.min(end, n.content.length));
    } else if (mode == Op.FALLOC_COLLAPSE_RANGE) {
      if (off % PAGE != 0 || len % PAGE != 0 || end >= size) {
        throw new Fail(Errno.EINVAL);
      }
      shift(n, off, -len);
    } else if (mode == Op.FALLOC_INSERT_RANGE) {
      if (off % PAGE != 0 || len % PAGE != 0 || off >= size) {
        throw new Fail(Errno.EINVAL);
      }
      shift(n, off, len);
    } else if (!keep && end > size) {
      resize(n, end);
    }
    n.touch();
  }

  private static void zero(Node n, long from, long to) {
    if (from < to) {
      store(n, from, new byte[(int) (to - from)]);
    }
  }

  /**
   * Collapse ({@code by < 0}: removes {@code -by} bytes at {@code at}) or insert ({@code by >
   * 0}: inserts zeros at {@code at}); page-aligned, so pending words move with their pages.
   */
  private static void shift(Node n, long at, long by) {
    byte[] old = n.content;
    byte[] c = new byte[(int) (old.length + by)];
    System.arraycopy(old, 0, c, 0, (int) at);
    if (by < 0) {
      System.arraycopy(old, (int) (at - by), c, (int) at, (int) (old.length - at + by));
    } else {
      System.arraycopy(old, (int) at, c, (int) (at + by), (int) (old.length - at));
    }
    n.content = c;
    long wAt = at >>> 3;
    long wBy = by >> 3;
    TreeMap<Long, long[]> moved = new TreeMap<>(n.pending.headMap(wAt));
    for (Map.Entry<Long, long[]> e : n.pending.tailMap(wAt).entrySet()) {
      if (by < 0 && e.getKey() < wAt - wBy) {
        continue;
      }
      moved.put(e.getKey() + wBy, e.getValue());
    }
    n.pending = moved;
  }

  // ---- attributes --------------------------------------------------------------------------

  private static void chown(Node n, int uid, int gid) {
    n.uid = uid;
    n.gid = gid;
    if (!n.isDir()) {
      int m = n.perms & ~S_ISUID;
      if ((m & (S_ISGID | 0010)) == (S_ISGID | 0010)) {
        m &= ~S_ISGID;
      }
      n.perms = m;
    }
  }

  private static void utimens(Node n, long atime, long mtime) {
    if (atime != Op.OMIT) {
      n.atime = atime == Op.NOW ? FsState.UNKNOWN_TIME : atime;
    }
    if (mtime != Op.OMIT) {
      n.mtime = mtime == Op.NOW ? FsState.UNKNOWN_TIME : mtime;
    }
  }

  private static void checkXattr(Node n, String name) {
    if (name.getBytes(StandardCharsets.UTF_8).length > XATTR_NAME_MAX) {
      throw new Fail(Errno.ERANGE);
    }
    if (!(name.startsWith("user.") || name.startsWith("trusted.")
        || name.startsWith("security."))) {
      throw new Fail(Errno.EOPNOTSUPP);
    }
    if (name.startsWith("user.") && !n.isRegular() && !n.isDir()) {
      throw new Fail(Errno.EPERM);
    }
  }

  private static void setxattr(Node n, String name, byte[] value) {
    checkXattr(n, name);
    int total = value.length + name.length();
    for (Map.Entry<String, byte[]> e : n.xattrs.entrySet()) {
      if (!e.getKey().equals(name)) {
        total += e.getKey().length() + e.getValue().length;
      }
    }
    if (total > XATTR_TOTAL_MAX) {
      throw new Fail(Errno.ENOSPC);
    }
    n.xattrs.put(name, value.clone());
  }

  private static void removexattr(Node n, String name) {
    checkXattr(n, name);
    if (n.xattrs.remove(name) == null) {
      throw new Fail(Errno.ENODATA);
    }
  }

  /** sync, and the sync a clean unmount does: every mapped store durable. */
  private void syncAll() {
    IdentityHashMap<Node, Boolean> seen = new IdentityHashMap<>();
    Deque<Node> remaining = new ArrayDeque<>(List.of(root));
    for (Handle h : handles.values()) {
      remaining.add(h.node);
    }
    while (!remaining.isEmpty()) {
      Node n = remaining.poll();
      if (seen.put(n, Boolean.TRUE) != null) {
        continue;
      }
      durable(n);
      if (n.isDir()) {
        remaining.addAll(n.children.values());
      }
    }
  }

  // ---- snapshots ---------------------------------------------------------------------------

  /** The visible state now. */
  FsState snapshot() {
    Map<String, Node> byPath = new TreeMap<>();
    collect(root, "", byPath);
    Map<Node, String> canonical = new IdentityHashMap<>();
    for (Map.Entry<String, Node> e : byPath.entrySet()) {
      canonical.merge(e.getValue(), e.getKey(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
    }
    TreeMap<String, FsState.Entry> out = new TreeMap<>();
    for (Map.Entry<String, Node> e : byPath.entrySet()) {
      Node n = e.getValue();
      out.put(e.getKey(), new FsState.Entry(n.type, n.perms, n.uid, n.gid, nlink(n),
          n.isDir() ? FsState.DIR_SIZE : n.isSymlink()
              ? n.target.getBytes(StandardCharsets.UTF_8).length : n.content.length,
          n.rdev, canonical.get(n), n.target, copy(n.xattrs),
          n.isRegular() ? n.content : new byte[0], copyPending(n.pending), n.atime, n.mtime));
    }
    return new FsState(out);
  }

  private static int nlink(Node n) {
    if (!n.isDir()) {
      return n.names;
    }
    int subdirs = 0;
    for (Node c : n.children.values()) {
      if (c.isDir()) {
        subdirs++;
      }
    }
    return 2 + subdirs;
  }

  private static void collect(Node dir, String path, Map<String, Node> out) {
    out.put(path, dir);
    for (Map.Entry<String, Node> c : dir.children.entrySet()) {
      String p = path.isEmpty() ? c.getKey() : path + "/" + c.getKey();
      if (c.getValue().isDir()) {
        collect(c.getValue(), p, out);
      } else {
        out.put(p, c.getValue());
      }
    }
  }

  /** The smallest path of {@code n} (how snapshots name inodes). */
  private String inodeName(Node n) {
    Map<String, Node> byPath = new TreeMap<>();
    collect(root, "", byPath);
    for (Map.Entry<String, Node> e : byPath.entrySet()) {
      if (e.getValue() == n) {
        return e.getKey();
      }
    }
    return "(unlinked)";
  }

  private static SortedMap<String, byte[]> copy(TreeMap<String, byte[]> m) {
    return m.isEmpty() ? Collections.emptySortedMap()
        : Collections.unmodifiableSortedMap(new TreeMap<>(m));
  }

  private static SortedMap<Long, long[]> copyPending(TreeMap<Long, long[]> m) {
    return m.isEmpty() ? Collections.emptySortedMap()
        : Collections.unmodifiableSortedMap(new TreeMap<>(m));
  }

  /** Open handle names, for generators that keep their workloads well formed. */
  List<String> openHandles() {
    return new ArrayList<>(handles.keySet());
  }

  /** Names of open handles with a mapping, for generators. */
  List<String> mappedHandles() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Handle> e : handles.entrySet()) {
      if (e.getValue().mapped != null) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  /** Every path (not the root) with its type bits, for generators. */
  Map<String, Integer> paths() {
    Map<String, Node> byPath = new TreeMap<>();
    collect(root, "", byPath);
    Map<String, Integer> out = new HashMap<>();
    for (Map.Entry<String, Node> e : byPath.entrySet()) {
      if (!e.getKey().isEmpty()) {
        out.put(e.getKey(), e.getValue().type);
      }
    }
    return out;
  }
}
