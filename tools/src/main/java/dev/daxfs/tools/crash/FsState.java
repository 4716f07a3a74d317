package dev.daxfs.tools.crash;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a program sees of a filesystem: every path from the root down, with its type, mode,
 * owner, link count, size, device number, symlink target, extended attributes, contents, and
 * which names share an inode. Times only where they are known (set explicitly by utimens).
 *
 * <p>Made by the model (expected states) and by reading a mounted filesystem (observed ones);
 * immutable.
 */
final class FsState {

  /** A time the model does not know (it changed implicitly). */
  static final long UNKNOWN_TIME = Long.MIN_VALUE;

  /** Sizes are not compared for directories (each filesystem counts its own way). */
  static final long DIR_SIZE = -1;

  /** Type bits, as in st_mode. */
  static final int S_IFMT = 0170000;

  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;

  /**
   * What is visible at one path.
   *
   * @param type the S_IF* bits
   * @param perms permission, set-id and sticky bits
   * @param inode the smallest path among this inode's names: equal for hard links, so that
   *     which names share an inode is compared too
   * @param size bytes; {@link #DIR_SIZE} for directories
   * @param target the symlink target, or null
   * @param xattrs extended attributes by name
   * @param content a regular file's bytes, else empty
   * @param pending for words (index = offset / 8) stored through a mapping and not yet made
   *     durable: the other values a crash may leave there (the model only)
   * @param atime known access time, or {@link #UNKNOWN_TIME}
   * @param mtime known modification time, or {@link #UNKNOWN_TIME}
   */
  record Entry(
      int type,
      int perms,
      int uid,
      int gid,
      int nlink,
      long size,
      long rdev,
      String inode,
      String target,
      SortedMap<String, byte[]> xattrs,
      byte[] content,
      SortedMap<Long, long[]> pending,
      long atime,
      long mtime) {

    boolean isDir() {
      return (type & S_IFMT) == S_IFDIR;
    }

    boolean isRegular() {
      return (type & S_IFMT) == S_IFREG;
    }

    /** The same entry with different times (what the follow-up write does to the root). */
    Entry withTimes(long a, long m) {
      return new Entry(type, perms, uid, gid, nlink, size, rdev, inode, target, xattrs,
          content, pending, a, m);
    }

    String typeName() {
      return switch (type & S_IFMT) {
        case S_IFDIR -> "directory";
        case S_IFREG -> "file";
        case S_IFLNK -> "symlink";
        case 0010000 -> "fifo";
        case 0140000 -> "socket";
        case 0020000 -> "char device";
        case 0060000 -> "block device";
        default -> "type 0" + Integer.toOctalString(type);
      };
    }
  }

  /** Every path, "" being the root, in path order. */
  private final SortedMap<String, Entry> entries;

  FsState(SortedMap<String, Entry> entries) {
    this.entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
  }

  SortedMap<String, Entry> entries() {
    return entries;
  }

  Entry get(String path) {
    return entries.get(path);
  }

  /** True when some file has words whose mapped stores are not yet durable. */
  boolean hasPending() {
    for (Entry e : entries.values()) {
      if (!e.pending().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** This state with {@code path} added (or replaced) and the root's times forgotten. */
  FsState with(String path, Entry e) {
    TreeMap<String, Entry> m = new TreeMap<>(entries);
    m.put(path, e);
    Entry root = m.get("");
    m.put("", root.withTimes(UNKNOWN_TIME, UNKNOWN_TIME));
    return new FsState(m);
  }

  /** A listing for reports: one line per path. */
  String describe() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Entry> m : entries.entrySet()) {
      Entry e = m.getValue();
      b.append("  /").append(m.getKey()).append(": ").append(e.typeName())
          .append(" 0").append(Integer.toOctalString(e.perms()))
          .append(" uid=").append(e.uid()).append(" gid=").append(e.gid())
          .append(" nlink=").append(e.nlink());
      if (!e.isDir()) {
        b.append(" size=").append(e.size());
      }
      if (!e.inode().equals(m.getKey())) {
        b.append(" (hard link of /").append(e.inode()).append(')');
      }
      if (e.target() != null) {
        b.append(" -> ").append(e.target());
      }
      if (e.rdev() != 0) {
        b.append(" rdev=").append(e.rdev());
      }
      for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
        b.append(' ').append(x.getKey()).append('=').append(StateDiff.show(x.getValue()));
      }
      if (!e.pending().isEmpty()) {
        b.append(" (").append(e.pending().size()).append(" mapped words not yet durable)");
      }
      b.append('\n');
    }
    return b.toString();
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
