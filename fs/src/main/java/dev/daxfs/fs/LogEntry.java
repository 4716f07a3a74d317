package dev.daxfs.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Log entries: how each change to an inode is recorded. An entry is appended beyond the log's
 * committed tail, persisted, and becomes part of the file when the tail moves past it.
 *
 * <pre>
 * header, every entry (16 bytes; entries are 8-byte aligned and never cross a log page):
 * offset size field
 *   0     2   type       one of the constants below
 *   2     2   length     total bytes including the header, a multiple of 8
 *   4     4   crc32c     of bytes [0, 4) and [8, length)
 *   8     8   sequence   per-inode entry number, strictly increasing along the log
 *
 * PAD      0  fills the rest of a log page the next entry did not fit in
 * INIT     1  u32 mode, u32 uid, u32 gid, u32 nlink, u64 rdev, i64 atime, i64 mtime, i64 ctime,
 *             u64 parent (directories; 0 otherwise), u32 symlink target length, u32 0
 * SETATTR  2  u32 mask (ATTR_*), u32 mode, u32 uid, u32 gid, i64 atime, i64 mtime, i64 ctime,
 *             u64 size (ATTR_SIZE: growing only; shrinking is a RANGE truncate)
 * EXTENT   3  u64 first page, u64 first block (0: none), u32 page count, u32 flags (EXT_*),
 *             u64 new size, i64 mtime, i64 ctime, then u32 crc32c per page if EXT_CHECKSUMS
 * RANGE    4  u32 op (RANGE_*), u32 0, u64 first page, u64 page count, u64 new size, i64 mtime,
 *             i64 ctime
 * LINK     5  u32 nlink, u32 0, i64 ctime
 * DENTRY_ADD 6 u64 child ino, u64 cookie, u32 child mode, u16 name length, u16 0, i64 time,
 *             name bytes
 * DENTRY_DEL 7 u64 cookie, i64 time, u16 name length, u16 0, u32 0, name bytes
 * XATTR_SET 8 u16 name length, u16 0, u32 value length, i64 ctime, name bytes, value bytes
 * XATTR_DEL 9 u16 name length, u16 0, u32 0, i64 ctime, name bytes
 * PARENT  10  u64 parent ino, i64 ctime (a directory's ".." after a rename)
 * TARGET  11  u32 offset, u32 length, bytes: a piece of a symlink's target, in order after
 *             INIT (a target of up to 4095 bytes does not fit one entry)
 * DIRSTATE 12 u64 next cookie: written when the cleaner rewrites a directory's log, so cookies
 *             of removed entries are never handed out again
 * </pre>
 */
final class LogEntry {
  private LogEntry() {}

  static final int HEADER = 16;

  static final int PAD = 0;
  static final int INIT = 1;
  static final int SETATTR = 2;
  static final int EXTENT = 3;
  static final int RANGE = 4;
  static final int LINK = 5;
  static final int DENTRY_ADD = 6;
  static final int DENTRY_DEL = 7;
  static final int XATTR_SET = 8;
  static final int XATTR_DEL = 9;
  static final int PARENT = 10;
  static final int TARGET = 11;
  static final int DIRSTATE = 12;
  static final int MAX_TYPE = 12;

  /** SETATTR mask bits. */
  static final int ATTR_MODE = 1;

  static final int ATTR_UID = 2;
  static final int ATTR_GID = 4;
  static final int ATTR_ATIME = 8;
  static final int ATTR_MTIME = 16;
  static final int ATTR_CTIME = 32;
  static final int ATTR_SIZE = 64;

  /** EXTENT flags. */
  static final int EXT_UNWRITTEN = 1;

  /** The extent carries a data checksum per page. */
  static final int EXT_CHECKSUMS = 2;
  /** The entry changes mtime and ctime (a write); otherwise they are left alone. */
  static final int EXT_TIMES = 4;
  /** The entry changes the size to the recorded new size. */
  static final int EXT_SIZE = 8;
  /** The entry marks the pages' blocks stale (their checksums are not to be trusted). */
  static final int EXT_STALE = 16;

  /** RANGE operations. */
  static final int RANGE_TRUNCATE = 1;

  static final int RANGE_PUNCH = 2;
  static final int RANGE_COLLAPSE = 3;
  static final int RANGE_INSERT = 4;

  /** Largest entry: what fits in a log page after its header. */
  static final int MAX_LENGTH = LogPage.CAPACITY;

  /** Starts an entry of {@code type} with {@code payload} bytes after the header. */
  static ByteBuffer start(int type, int payload) {
    int len = align8(HEADER + payload);
    if (len > MAX_LENGTH) {
      throw new IllegalArgumentException("log entry of " + len + " bytes exceeds a log page");
    }
    ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(0, (short) type);
    b.putShort(2, (short) len);
    b.position(HEADER);
    return b;
  }

  /** Fills in the sequence number and checksum of a started entry; returns its bytes. */
  static byte[] seal(ByteBuffer entry, long sequence) {
    entry.putLong(8, sequence);
    byte[] a = entry.array();
    ByteBuffer le = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
    le.putInt(4, crc(a));
    return a;
  }

  /** The checksum an entry should carry (over everything but the checksum field). */
  static int crc(byte[] a) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(a, 0, 4);
    c.update(a, 8, a.length - 8);
    return (int) c.getValue();
  }

  /** The shortest an entry of {@code type} can be: its header and fixed payload. */
  static int minLength(int type) {
    return HEADER + switch (type) {
      case INIT -> 64;
      case SETATTR, EXTENT, RANGE -> 48;
      case DENTRY_ADD -> 32;
      case DENTRY_DEL -> 24;
      case LINK, XATTR_SET, XATTR_DEL, PARENT -> 16;
      case TARGET, DIRSTATE -> 8;
      default -> 0;
    };
  }

  static int align8(int n) {
    return (n + 7) & ~7;
  }

  static String typeName(int type) {
    return switch (type) {
      case PAD -> "pad";
      case INIT -> "init";
      case SETATTR -> "setattr";
      case EXTENT -> "extent";
      case RANGE -> "range";
      case LINK -> "link";
      case DENTRY_ADD -> "dentry-add";
      case DENTRY_DEL -> "dentry-del";
      case XATTR_SET -> "xattr-set";
      case XATTR_DEL -> "xattr-del";
      case PARENT -> "parent";
      case TARGET -> "target";
      case DIRSTATE -> "dirstate";
      default -> "unknown(" + type + ")";
    };
  }
}
