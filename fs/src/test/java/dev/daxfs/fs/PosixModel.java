package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An in-memory POSIX tree: what a filesystem should show after a sequence of operations, with
 * the errno Linux gives when an operation must fail. Hard links are one node referenced from
 * several directories; a file unlinked while open lives on in the handle that holds it.
 */
final class PosixModel {

  /** One inode. */
  static final class Node {
    /** Identity for messages. */
    final int id;

    /** S_IFMT bits. */
    final int type;

    /** Permission, set-id and sticky bits. */
    int perms;

    /** A regular file's bytes (its length is the size). */
    byte[] data = new byte[0];

    /** A symlink's target. */
    String target;

    /** A directory's entries. */
    final TreeMap<String, Node> children;

    /** A directory's parent (the root's is itself). */
    Node parent;

    /** Extended attributes. */
    final TreeMap<String, byte[]> xattrs = new TreeMap<>();

    /** Owner; every operation runs as root (uid 0, gid 0) unless chown changes it. */
    int uid;

    /** Group: root's, or a set-group-ID parent directory's at creation. */
    int gid;

    /** A character or block device's number (0 for every other type). */
    long rdev;

    /** Access time when the model knows it exactly (set explicitly by utimens), else null. */
    Long atime;

    /** Modification time when the model knows it exactly, else null. */
    Long mtime;

    Node(int id, int type, int perms) {
      this.id = id;
      this.type = type;
      this.perms = perms;
      this.children = type == Mode.S_IFDIR ? new TreeMap<>() : null;
    }

    boolean isDir() {
      return type == Mode.S_IFDIR;
    }

    boolean isRegular() {
      return type == Mode.S_IFREG;
    }

    boolean isSymlink() {
      return type == Mode.S_IFLNK;
    }

    @Override
    public String toString() {
      return "node" + id + "(" + Integer.toOctalString(type | perms) + ")";
    }
  }

  /** The root directory. */
  final Node root;

  private int nextId = 1;

  PosixModel(int rootPerms) {
    root = new Node(nextId++, Mode.S_IFDIR, rootPerms);
    root.parent = root;
  }

  Node newNode(int type, int perms) {
    return new Node(nextId++, type, perms);
  }

  /** The node at an absolute path of plain names, or null. Symlinks are not followed. */
  Node resolve(String path) {
    Node cur = root;
    for (String part : path.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (!cur.isDir()) {
        return null;
      }
      cur = cur.children.get(part);
      if (cur == null) {
        return null;
      }
    }
    return cur;
  }

  static String join(String dir, String name) {
    return dir.equals("/") ? "/" + name : dir + "/" + name;
  }

  /** Every path, the root first, in a stable order. */
  List<String> paths() {
    List<String> out = new ArrayList<>();
    walk("/", root, out);
    return out;
  }

  private static void walk(String path, Node n, List<String> out) {
    out.add(path);
    if (n.isDir()) {
      for (Map.Entry<String, Node> e : n.children.entrySet()) {
        walk(join(path, e.getKey()), e.getValue(), out);
      }
    }
  }

  /** Paths of nodes of {@code type} (0 for all but the root). */
  List<String> paths(int type) {
    List<String> out = new ArrayList<>();
    for (String p : paths()) {
      Node n = resolve(p);
      if (type == 0 ? n != root : n.type == type) {
        out.add(p);
      }
    }
    return out;
  }

  /** How many names each non-directory node has. */
  Map<Node, Integer> linkCounts() {
    Map<Node, Integer> out = new IdentityHashMap<>();
    count(root, out);
    return out;
  }

  private static void count(Node d, Map<Node, Integer> out) {
    for (Node c : d.children.values()) {
      if (c.isDir()) {
        count(c, out);
      } else {
        out.merge(c, 1, Integer::sum);
      }
    }
  }

  static int dirLinks(Node d) {
    int n = 2;
    for (Node c : d.children.values()) {
      if (c.isDir()) {
        n++;
      }
    }
    return n;
  }

  /** True when {@code anc} is {@code n} or one of its ancestors. */
  static boolean isAncestorOrSelf(Node anc, Node n) {
    Node cur = n;
    while (true) {
      if (cur == anc) {
        return true;
      }
      if (cur.parent == cur) {
        return false;
      }
      cur = cur.parent;
    }
  }

  // ---- operations: each returns the errno Linux gives, or null after applying the change ---

  /** The node's content or entries changed at a time the model cannot know. */
  static void modified(Node n) {
    n.mtime = null;
  }

  Errno create(Node dir, String name, Node fresh) {
    if (dir.children.containsKey(name)) {
      return Errno.EEXIST;
    }
    dir.children.put(name, fresh);
    modified(dir);
    if ((dir.perms & Mode.S_ISGID) != 0) {
      fresh.gid = dir.gid; // inode_init_owner(): the directory's group, for every type
    }
    if (fresh.isDir()) {
      fresh.parent = dir;
      if ((dir.perms & Mode.S_ISGID) != 0) {
        fresh.perms |= Mode.S_ISGID; // a set-group-ID directory passes the bit on
      }
    }
    return null;
  }

  Errno link(Node file, Node dir, String name) {
    if (file.isDir()) {
      return Errno.EPERM;
    }
    if (dir.children.containsKey(name)) {
      return Errno.EEXIST;
    }
    dir.children.put(name, file);
    modified(dir);
    return null;
  }

  Errno unlink(Node dir, String name) {
    Node n = dir.children.get(name);
    if (n == null) {
      return Errno.ENOENT;
    }
    if (n.isDir()) {
      return Errno.EISDIR;
    }
    dir.children.remove(name);
    modified(dir);
    return null;
  }

  Errno rmdir(Node dir, String name) {
    Node n = dir.children.get(name);
    if (n == null) {
      return Errno.ENOENT;
    }
    if (!n.isDir()) {
      return Errno.ENOTDIR;
    }
    if (!n.children.isEmpty()) {
      return Errno.ENOTEMPTY;
    }
    dir.children.remove(name);
    modified(dir);
    return null;
  }

  /**
   * rename(2) with Linux's checks in do_renameat2()'s order. Returns the errno, or null. Where
   * two checks fail at once and daxfs is known to report the later one, {@link
   * #renameAlternative} names what it reports (that order is pinned by NamespaceTest).
   */
  Errno rename(Node sd, String sn, Node dd, String dn, int flags) {
    renameAlternative = null;
    Node src = sd.children.get(sn);
    if (src == null) {
      return Errno.ENOENT;
    }
    Node dst = dd.children.get(dn);
    boolean exchange = (flags & Namespace.RENAME_EXCHANGE) != 0;
    boolean srcIntoItself = src.isDir() && isAncestorOrSelf(src, dd);
    boolean dstAboveSrc = dst != null && dst.isDir() && isAncestorOrSelf(dst, sd);
    if ((flags & Namespace.RENAME_NOREPLACE) != 0 && dst != null) {
      renameAlternative = srcIntoItself ? Errno.EINVAL : null;
      return Errno.EEXIST;
    }
    if (exchange && dst == null) {
      renameAlternative = srcIntoItself ? Errno.EINVAL : null;
      return Errno.ENOENT;
    }
    if (srcIntoItself) {
      return Errno.EINVAL;
    }
    if (dstAboveSrc && dst != src) {
      if (exchange) {
        return Errno.EINVAL;
      }
      renameAlternative = !src.isDir() ? Errno.EISDIR : null;
      return Errno.ENOTEMPTY;
    }
    if (dst == src) {
      return null;
    }
    if (!exchange && dst != null) {
      if (src.isDir() && !dst.isDir()) {
        return Errno.ENOTDIR;
      }
      if (!src.isDir() && dst.isDir()) {
        return Errno.EISDIR;
      }
      if (dst.isDir() && !dst.children.isEmpty()) {
        return Errno.ENOTEMPTY;
      }
    }
    modified(sd);
    modified(dd);
    if (src.isDir()) {
      modified(src); // its ".." changes
    }
    if (exchange && dst.isDir()) {
      modified(dst);
    }
    sd.children.remove(sn);
    if (exchange) {
      dd.children.put(dn, src);
      sd.children.put(sn, dst);
      if (dst.isDir()) {
        dst.parent = sd;
      }
    } else {
      dd.children.put(dn, src);
    }
    if (src.isDir()) {
      src.parent = dd;
    }
    return null;
  }

  /** The errno daxfs gives instead, for the last rename, when two checks failed; or null. */
  Errno renameAlternative;

  // ---- data ------------------------------------------------------------------------------

  static void write(Node f, long off, byte[] b) {
    int end = (int) off + b.length;
    if (end > f.data.length) {
      f.data = Arrays.copyOf(f.data, end);
    }
    System.arraycopy(b, 0, f.data, (int) off, b.length);
    modified(f);
  }

  static void truncate(Node f, long size) {
    f.data = Arrays.copyOf(f.data, (int) size);
    modified(f);
  }

  /**
   * chown(2) as root (CAP_CHOWN, CAP_FSETID): a null id is left alone (-1). A non-directory
   * loses set-user-ID, and set-group-ID when the group may execute, as Linux's
   * ATTR_KILL_SUID/ATTR_KILL_SGID do even for root.
   */
  static void chown(Node n, Integer uid, Integer gid) {
    if (uid != null) {
      n.uid = uid;
    }
    if (gid != null) {
      n.gid = gid;
    }
    if (!n.isDir()) {
      n.perms &= ~Mode.S_ISUID;
      if ((n.perms & (Mode.S_ISGID | 0010)) == (Mode.S_ISGID | 0010)) {
        n.perms &= ~Mode.S_ISGID;
      }
    }
  }

  /** fallocate(2) on a regular file; returns the errno or null. */
  static Errno fallocate(Node f, int mode, long off, long len) {
    int size = f.data.length;
    long end = off + len;
    switch (mode) {
      case 0 -> {
        if (end > size) {
          truncate(f, end);
        }
      }
      case FileIo.FALLOC_FL_KEEP_SIZE -> {
        // nothing visible
      }
      case FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE,
          FileIo.FALLOC_FL_ZERO_RANGE | FileIo.FALLOC_FL_KEEP_SIZE -> {
        if (off < size) {
          Arrays.fill(f.data, (int) off, (int) Math.min(end, size), (byte) 0);
        }
      }
      case FileIo.FALLOC_FL_ZERO_RANGE -> {
        if (end > size) {
          truncate(f, end);
        }
        Arrays.fill(f.data, (int) off, (int) end, (byte) 0);
      }
      case FileIo.FALLOC_FL_COLLAPSE_RANGE -> {
        if ((off | len) % 4096 != 0 || end >= size) {
          return Errno.EINVAL;
        }
        byte[] d = new byte[(int) (size - len)];
        System.arraycopy(f.data, 0, d, 0, (int) off);
        System.arraycopy(f.data, (int) end, d, (int) off, (int) (size - end));
        f.data = d;
      }
      case FileIo.FALLOC_FL_INSERT_RANGE -> {
        if ((off | len) % 4096 != 0 || off >= size) {
          return Errno.EINVAL;
        }
        byte[] d = new byte[(int) (size + len)];
        System.arraycopy(f.data, 0, d, 0, (int) off);
        System.arraycopy(f.data, (int) off, d, (int) end, (int) (size - off));
        f.data = d;
      }
      default -> throw new IllegalArgumentException("mode " + mode);
    }
    return null;
  }
}
