package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A 4 KiB page of an inode's log: a header, then entries.
 *
 * <pre>
 * offset size field
 *   0     4   magic      "DXLG"
 *   4     2   version    1
 *   6     2   reserved
 *   8     8   ino        the inode whose log this is
 *  16     8   sequence   0 for the head page, larger for each next page (the cleaner may unlink
 *                        pages, leaving gaps; a chain whose sequences do not rise is damaged)
 *  24     4   reserved
 *  28     4   crc32c of bytes [0, 28)
 *  32     8   next       tagged word (salt LOG_NEXT, ino and sequence): next page's block
 *  40    24   reserved, zero
 *  64   4032  entries
 * </pre>
 *
 * Pages after the one holding the tail may exist (appended by an operation that then failed,
 * or by one a crash cut short); they stay in the chain as spare pages the next append uses.
 */
final class LogPage {
  private LogPage() {}

  static final int MAGIC = 0x474c5844; // "DXLG"
  static final short VERSION = 1;
  static final int HEADER = 64;
  static final int CAPACITY = Layout.BLOCK - HEADER;
  static final int NEXT = 32;

  /**
   * Writes an empty page's header (null next pointer, reserved bytes zero), persisted. The
   * entry area is left as it was: replay reads a page only up to the tail or to the padding
   * an append leaves before moving on, so nothing after what was appended is ever read.
   */
  static void format(PmemRegion region, long block, long ino, long sequence) {
    long off = Layout.offset(block);
    if (region.isPoisoned(off, Layout.BLOCK)) {
      // Entries are stored piecemeal, none covering a whole line: clear the media error first.
      region.fill(off, Layout.BLOCK, (byte) 0);
    }
    byte[] h = new byte[HEADER];
    ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, MAGIC).putShort(4, VERSION).putLong(8, ino).putLong(16, sequence);
    b.putInt(28, Crc.crc32c(h, 0, 28));
    region.storePersist(off, h, 0, HEADER);
  }

  static long nextSalt(long ino, long sequence) {
    return TaggedWord.salt(TaggedWord.SALT_LOG_NEXT, ino * 0x100000001B3L + sequence);
  }

  /** Links {@code next} after the page at {@code block} (one failure-atomic store). */
  static void link(PmemRegion region, long block, long ino, long sequence, long next) {
    long off = Layout.offset(block) + NEXT;
    region.storeLong(off, TaggedWord.encode(next, nextSalt(ino, sequence)));
    region.persist(off, 8);
  }

  /**
   * Checks a page's header; returns {@code {sequence, next}} (next 0 if last).
   *
   * @param after the previous page's sequence (-1 for the head, whose sequence must be 0)
   * @throws CorruptionException naming the page when the header fails its checks
   */
  static long[] check(PmemRegion region, long block, long ino, long after) {
    long off = Layout.offset(block);
    String name = "log page at block " + block + " of inode " + ino;
    byte[] h = new byte[40];
    try {
      region.load(off, h, 0, 40);
    } catch (dev.daxfs.pmem.MediaErrorException e) {
      throw new CorruptionException(name, off, "media error");
    }
    ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt(0) != MAGIC) {
      throw new CorruptionException(name, off, "bad magic");
    }
    if (b.getInt(28) != Crc.crc32c(h, 0, 28)) {
      throw new CorruptionException(name, off, "bad checksum");
    }
    if (b.getShort(4) != VERSION) {
      throw new CorruptionException(name, off, "unknown version " + b.getShort(4));
    }
    if (b.getLong(8) != ino) {
      throw new CorruptionException(name, off, "belongs to inode " + b.getLong(8));
    }
    long sequence = b.getLong(16);
    if (after < 0 ? sequence != 0 : sequence <= after) {
      throw new CorruptionException(name, off, "has sequence " + sequence + " after "
          + after + " (the chain loops or is crossed)");
    }
    long next = TaggedWord.decode(b.getLong(NEXT), nextSalt(ino, sequence));
    if (next < 0) {
      throw new CorruptionException(name, off + NEXT, "next pointer fails its check");
    }
    return new long[] {sequence, next};
  }
}
