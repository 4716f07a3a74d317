package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One line of a workload, parsed. Which components mean something depends on the kind (see
 * {@link OpKind#usage()}); the others are zero or null. Paths are relative to the filesystem's
 * root, without a leading slash.
 *
 * @param kind the operation
 * @param path P, or SRC of link and rename; null for sync, remount and "clean all"
 * @param other DST of link and rename, TARGET of symlink
 * @param offset OFF of write, mwrite and falloc
 * @param length LEN of write, mwrite and falloc; SIZE of truncate
 * @param mode permission bits of mkdir, creat and chmod; the FALLOC_FL_* bits of falloc; the
 *     RENAME_* flags of rename; the S_IF* type of mknod
 * @param uid UID of chown
 * @param gid GID of chown
 * @param atime ATIME_NS of utimens, or {@link #NOW} or {@link #OMIT}
 * @param mtime MTIME_NS of utimens, or {@link #NOW} or {@link #OMIT}
 * @param name NAME of setxattr and removexattr
 * @param value VALUE of setxattr as given, or null when it is {@code bytes=N}
 * @param valueSize N of a generated setxattr value ({@code bytes=N}), else the literal's length
 * @param line the source line, 1-based; 0 for operations made by a generator
 */
public record Op(
    OpKind kind,
    String path,
    String other,
    long offset,
    long length,
    int mode,
    int uid,
    int gid,
    long atime,
    long mtime,
    String name,
    byte[] value,
    int valueSize,
    int line) {

  /** utimens time meaning "the current time" (UTIME_NOW). */
  public static final long NOW = Long.MIN_VALUE;

  /** utimens time meaning "leave it alone" (UTIME_OMIT). */
  public static final long OMIT = Long.MIN_VALUE + 1;

  /** fallocate(2) mode bits, Linux's values. */
  public static final int FALLOC_KEEP_SIZE = 0x01;

  public static final int FALLOC_PUNCH_HOLE = 0x02;
  public static final int FALLOC_COLLAPSE_RANGE = 0x08;
  public static final int FALLOC_ZERO_RANGE = 0x10;
  public static final int FALLOC_INSERT_RANGE = 0x20;

  /** renameat2(2) flags, Linux's values. */
  public static final int RENAME_NOREPLACE = 1;

  public static final int RENAME_EXCHANGE = 2;

  /** The fallocate flag names of the language, in bit order, with their bits. */
  static final String[] FALLOC_NAMES = {
    "keep_size", "punch_hole", "collapse_range", "zero_range", "insert_range"
  };

  static final int[] FALLOC_BITS = {
    FALLOC_KEEP_SIZE, FALLOC_PUNCH_HOLE, FALLOC_COLLAPSE_RANGE, FALLOC_ZERO_RANGE,
    FALLOC_INSERT_RANGE
  };

  public Op {
    Objects.requireNonNull(kind, "kind");
  }

  /** The same operation attributed to another source line. */
  Op atLine(int n) {
    return new Op(kind, path, other, offset, length, mode, uid, gid, atime, mtime, name, value,
        valueSize, n);
  }

  /** True when this is {@code clean all}. */
  boolean cleansAll() {
    return kind == OpKind.CLEAN && path == null;
  }

  /** The canonical text of this operation: parsing it gives the same operation back. */
  @Override
  public String toString() {
    List<String> w = new ArrayList<>();
    w.add(kind.keyword());
    switch (kind) {
      case MKDIR, CREAT -> {
        w.add(path);
        w.add(octal(mode));
      }
      case CHMOD -> {
        w.add(path);
        w.add(octal(mode));
      }
      case WRITE, MWRITE -> {
        w.add(path);
        w.add(Long.toString(offset));
        w.add(Long.toString(length));
      }
      case TRUNCATE -> {
        w.add(path);
        w.add(Long.toString(length));
      }
      case FALLOC -> {
        w.add(path);
        w.add(fallocMode(mode));
        w.add(Long.toString(offset));
        w.add(Long.toString(length));
      }
      case LINK, RENAME -> {
        w.add(path);
        w.add(other);
        if (mode == RENAME_NOREPLACE) {
          w.add("noreplace");
        } else if (mode == RENAME_EXCHANGE) {
          w.add("exchange");
        }
      }
      case SYMLINK -> {
        w.add(other);
        w.add(path);
      }
      case MKNOD -> {
        w.add(path);
        w.add(NodeType.of(mode).word);
      }
      case CHOWN -> {
        w.add(path);
        w.add(Integer.toUnsignedString(uid));
        w.add(Integer.toUnsignedString(gid));
      }
      case UTIMENS -> {
        w.add(path);
        w.add(time(atime));
        w.add(time(mtime));
      }
      case SETXATTR -> {
        w.add(path);
        w.add(name);
        w.add(value == null ? "bytes=" + valueSize
            : new String(value, java.nio.charset.StandardCharsets.UTF_8));
      }
      case REMOVEXATTR -> {
        w.add(path);
        w.add(name);
      }
      case CLEAN -> w.add(path == null ? "all" : path);
      case SYNC, REMOUNT -> {}
      default -> w.add(path);
    }
    return String.join(" ", w);
  }

  /** "keep_size|punch_hole", or "0". */
  static String fallocMode(int mode) {
    if (mode == 0) {
      return "0";
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < FALLOC_BITS.length; i++) {
      if ((mode & FALLOC_BITS[i]) != 0) {
        names.add(FALLOC_NAMES[i]);
      }
    }
    return String.join("|", names);
  }

  private static String octal(int mode) {
    return "0" + Integer.toOctalString(mode);
  }

  private static String time(long t) {
    return t == NOW ? "now" : t == OMIT ? "omit" : Long.toString(t);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Op other && toString().equals(other.toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  /** The file types mknod makes, with their S_IF* bits. */
  enum NodeType {
    FIFO("fifo", 0010000),
    SOCK("sock", 0140000),
    CHR("chr", 0020000),
    BLK("blk", 0060000);

    /** The word in the language. */
    final String word;

    /** The S_IF* type bits. */
    final int type;

    NodeType(String word, int type) {
      this.word = word;
      this.type = type;
    }

    /** The device number mknod gives nodes of this type (1:3 and 8:0, as /dev/null and sda). */
    long rdev() {
      return this == CHR ? (1 << 8) | 3 : this == BLK ? 8 << 8 : 0;
    }

    static NodeType of(int type) {
      for (NodeType t : values()) {
        if (t.type == type) {
          return t;
        }
      }
      throw new IllegalArgumentException("not a mknod type: 0" + Integer.toOctalString(type));
    }

    static NodeType of(String word) {
      for (NodeType t : values()) {
        if (t.word.equals(word)) {
          return t;
        }
      }
      return null;
    }
  }
}
