package dev.daxfs.fs;

import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The allocator checkpoint a clean unmount leaves, so that the next mount need not scan every
 * log to learn which blocks are free. It is written into blocks that are free themselves (and
 * listed as free in it), its location and CRC32C go into the superblock, and the first mount
 * that reads it forgets it (the superblock says MOUNTED from then on).
 *
 * <pre>
 * offset size field
 *   0     8   magic          "DXCKPT\0\1"
 *   8     4   version        1
 *  12     4   reserved
 *  16     8   extent count
 *  24     8   mount count    the superblock's mount count when it was written
 *  32    32   reserved, zero
 *  64   16*n  free extents:  u64 first block, u64 length, in block order
 * </pre>
 * The CRC32C in the superblock covers every byte of every checkpoint block.
 */
final class Checkpoint {
  private Checkpoint() {}

  static final long MAGIC = 0x0100_54504b435844L; // "DXCKPT\0\1"
  static final int VERSION = 1;
  static final int HEADER = 64;

  /** Blocks needed for {@code extents} free extents. */
  static long blocksFor(int extents) {
    return (HEADER + 16L * extents + Layout.BLOCK - 1) / Layout.BLOCK;
  }

  /**
   * Writes the free extents into {@code [block, block+blocks)} and returns the CRC32C to put in
   * the superblock.
   */
  static int write(PmemRegion region, long block, long blocks, List<long[]> free,
      long mountCount) {
    byte[] image = new byte[(int) (blocks * Layout.BLOCK)];
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, MAGIC).putInt(8, VERSION).putLong(16, free.size()).putLong(24, mountCount);
    b.position(HEADER);
    for (long[] e : free) {
      b.putLong(e[0]).putLong(e[1]);
    }
    region.storePersist(Layout.offset(block), image, 0, image.length);
    return Crc.crc32c(image, 0, image.length);
  }

  /**
   * Reads the checkpoint the superblock names, or returns null (with the reason in {@code
   * why[0]}) when it is absent or fails a check; the caller then scans instead.
   */
  static List<long[]> read(PmemRegion region, Superblock sb, String[] why) {
    if (sb.checkpointBlock == 0 || sb.checkpointBlocks == 0) {
      why[0] = "no allocator checkpoint";
      return null;
    }
    if (sb.checkpointBlocks > Integer.MAX_VALUE / Layout.BLOCK) {
      why[0] = "allocator checkpoint too large";
      return null;
    }
    byte[] image = new byte[(int) (sb.checkpointBlocks * Layout.BLOCK)];
    try {
      region.load(Layout.offset(sb.checkpointBlock), image, 0, image.length);
    } catch (MediaErrorException e) {
      why[0] = "media error in the allocator checkpoint";
      return null;
    }
    if (Crc.crc32c(image, 0, image.length) != sb.checkpointCrc) {
      why[0] = "allocator checkpoint fails its checksum";
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong(16);
    if (b.getLong(0) != MAGIC || b.getInt(8) != VERSION || n < 0
        || HEADER + 16 * n > image.length || b.getLong(24) != sb.mountCount) {
      why[0] = "allocator checkpoint header is inconsistent";
      return null;
    }
    List<long[]> free = new ArrayList<>((int) n);
    long prevEnd = Layout.FIRST_ALLOCATABLE;
    b.position(HEADER);
    for (long i = 0; i < n; i++) {
      long s = b.getLong();
      long len = b.getLong();
      if (s < prevEnd || len <= 0 || s + len > sb.blockCount) {
        why[0] = "allocator checkpoint extent " + i + " is out of order or range";
        return null;
      }
      free.add(new long[] {s, len});
      prevEnd = s + len;
    }
    return free;
  }
}
