package dev.daxfs.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Builders for each log entry type; the layouts are documented in {@link LogEntry}. Each
 * returns a started entry for {@link InodeLog#append}.
 */
final class Entries {
  private Entries() {}

  /** @param targetLength a symlink's target length (its bytes follow in TARGET entries) */
  static ByteBuffer init(int mode, int uid, int gid, int nlink, long rdev, long atime,
      long mtime, long ctime, long parent, int targetLength) {
    ByteBuffer b = LogEntry.start(LogEntry.INIT, 64);
    b.putInt(mode).putInt(uid).putInt(gid).putInt(nlink).putLong(rdev)
        .putLong(atime).putLong(mtime).putLong(ctime).putLong(parent).putInt(targetLength)
        .putInt(0);
    return b;
  }

  /** Most target bytes one TARGET entry carries. */
  static final int TARGET_PIECE = 2048;

  /** A piece {@code [off, off+len)} of a symlink target. */
  static ByteBuffer target(byte[] target, int off, int len) {
    ByteBuffer b = LogEntry.start(LogEntry.TARGET, 8 + len);
    b.putInt(off).putInt(len).put(target, off, len);
    return b;
  }

  static ByteBuffer setattr(int mask, int mode, int uid, int gid, long atime, long mtime,
      long ctime, long size) {
    ByteBuffer b = LogEntry.start(LogEntry.SETATTR, 48);
    b.putInt(mask).putInt(mode).putInt(uid).putInt(gid).putLong(atime).putLong(mtime)
        .putLong(ctime).putLong(size);
    return b;
  }

  /**
   * Maps {@code count} pages from {@code firstPage} to blocks from {@code firstBlock}.
   *
   * @param crcs per-page data checksums (flag EXT_CHECKSUMS), or null
   */
  static ByteBuffer extent(long firstPage, long firstBlock, int count, int flags, long newSize,
      long mtime, long ctime, int[] crcs) {
    int f = crcs == null ? flags & ~LogEntry.EXT_CHECKSUMS : flags | LogEntry.EXT_CHECKSUMS;
    ByteBuffer b = LogEntry.start(LogEntry.EXTENT, 48 + (crcs == null ? 0 : 4 * count));
    b.putLong(firstPage).putLong(firstBlock).putInt(count).putInt(f).putLong(newSize)
        .putLong(mtime).putLong(ctime);
    if (crcs != null) {
      for (int i = 0; i < count; i++) {
        b.putInt(crcs[i]);
      }
    }
    return b;
  }

  /** Most pages one EXTENT entry may carry with checksums (it must fit a log page). */
  static final int MAX_EXTENT_PAGES_WITH_CRCS = (LogEntry.MAX_LENGTH - LogEntry.HEADER - 48) / 4;

  static ByteBuffer range(int op, long firstPage, long pageCount, long newSize, long mtime,
      long ctime) {
    ByteBuffer b = LogEntry.start(LogEntry.RANGE, 48);
    b.putInt(op).putInt(0).putLong(firstPage).putLong(pageCount).putLong(newSize)
        .putLong(mtime).putLong(ctime);
    return b;
  }

  static ByteBuffer link(int nlink, long ctime) {
    ByteBuffer b = LogEntry.start(LogEntry.LINK, 16);
    b.putInt(nlink).putInt(0).putLong(ctime);
    return b;
  }

  static ByteBuffer dentryAdd(Name name, long child, int childMode, long cookie, long time) {
    byte[] n = name.rawBytes();
    ByteBuffer b = LogEntry.start(LogEntry.DENTRY_ADD, 32 + n.length);
    b.putLong(child).putLong(cookie).putInt(childMode).putShort((short) n.length)
        .putShort((short) 0).putLong(time).put(n);
    return b;
  }

  static ByteBuffer dentryDel(Name name, long cookie, long time) {
    byte[] n = name.rawBytes();
    ByteBuffer b = LogEntry.start(LogEntry.DENTRY_DEL, 24 + n.length);
    b.putLong(cookie).putLong(time).putShort((short) n.length).putShort((short) 0).putInt(0)
        .put(n);
    return b;
  }

  static ByteBuffer xattrSet(String name, byte[] value, long ctime) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = LogEntry.start(LogEntry.XATTR_SET, 16 + n.length + value.length);
    b.putShort((short) n.length).putShort((short) 0).putInt(value.length).putLong(ctime)
        .put(n).put(value);
    return b;
  }

  static ByteBuffer xattrDel(String name, long ctime) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = LogEntry.start(LogEntry.XATTR_DEL, 16 + n.length);
    b.putShort((short) n.length).putShort((short) 0).putInt(0).putLong(ctime).put(n);
    return b;
  }

  static ByteBuffer dirstate(long nextCookie) {
    ByteBuffer b = LogEntry.start(LogEntry.DIRSTATE, 8);
    b.putLong(nextCookie);
    return b;
  }

  static ByteBuffer parent(long parent, long ctime) {
    ByteBuffer b = LogEntry.start(LogEntry.PARENT, 16);
    b.putLong(parent).putLong(ctime);
    return b;
  }
}
