package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * The superblock: what a mount needs before anything else. Two copies, the primary in block 0
 * and the backup in block 1; both are rewritten (primary first, each persisted) whenever the
 * superblock changes: at mkfs, mount and unmount, and when the inode table links a new chunk.
 * A mount reads the primary and falls back to the backup when the primary fails its checks.
 *
 * <pre>
 * offset size field
 *   0     8   magic               "DAXFS\0SB"
 *   8     4   version             FORMAT_VERSION; any other value is refused
 *  12     4   header length       HEADER_LENGTH (bytes covered by the checksum, plus 4)
 *  16     8   region size         bytes; must equal the region's size
 *  24     8   block count         region size / 4096
 *  32     4   block size          4096
 *  36     4   features            bit 0: data checksums
 *  40    16   uuid
 *  56     8   created             ns since the epoch
 *  64     8   inode table         block of the first inode-table chunk
 *  72     4   inode slot size     InodeTable.SLOT_SIZE
 *  76     4   chunk blocks        InodeTable.CHUNK_BLOCKS
 *  80     8   journal             first block of the journal
 *  88     4   journal lanes       Journal.LANES (one block each)
 *  92     4   reserved
 *  96     8   state               STATE_CLEAN or STATE_MOUNTED
 * 104     8   mount count
 * 112     8   last mount          ns since the epoch
 * 120     8   last unmount        ns since the epoch
 * 128     8   checkpoint block    first block of the allocator checkpoint, 0 if none
 * 136     8   checkpoint blocks   its length in blocks
 * 144     4   checkpoint crc      CRC32C of the whole checkpoint
 * 148     4   reserved
 * 152     8   reserve blocks      blocks kept back for unlink/rmdir/truncate on a full fs
 * 160     8   inode chunks        inode-table chunks linked so far: the chain may not be
 *                                 shorter (a lost next pointer would silently drop inodes)
 * 168    84   reserved, zero
 * 252     4   crc                 CRC32C of bytes [0, 252)
 * </pre>
 */
final class Superblock {

  static final long MAGIC = 0x42530053_4658_4144L; // "DAXFS\0SB" little-endian
  static final int FORMAT_VERSION = 1;
  static final int HEADER_LENGTH = 256;
  static final int CRC_OFFSET = 252;

  static final long PRIMARY_BLOCK = 0;
  static final long BACKUP_BLOCK = 1;

  static final long STATE_CLEAN = 1;
  static final long STATE_MOUNTED = 2;

  static final int FEATURE_DATA_CHECKSUMS = 1;

  /** Region size in bytes. */
  long regionSize;
  /** Number of 4 KiB blocks in the region. */
  long blockCount;
  /** Feature bits (FEATURE_*). */
  int features;
  /** Identity of this filesystem. */
  UUID uuid;
  /** Creation time, ns since the epoch. */
  long created;
  /** First block of the inode table's first chunk. */
  long inodeTableBlock;
  /** First block of the journal lanes. */
  long journalBlock;
  /** Number of journal lanes. */
  int journalLanes;
  /** STATE_CLEAN after a clean unmount, STATE_MOUNTED while mounted or after a crash. */
  long state;
  /** Number of mounts since mkfs. */
  long mountCount;
  /** Time of the last mount, ns since the epoch. */
  long lastMount;
  /** Time of the last clean unmount, ns since the epoch. */
  long lastUnmount;
  /** First block of the allocator checkpoint written at clean unmount, 0 if none. */
  long checkpointBlock;
  /** Length of the allocator checkpoint in blocks. */
  long checkpointBlocks;
  /** CRC32C of the allocator checkpoint's blocks. */
  int checkpointCrc;
  /** Blocks kept back so that deletes and truncates work on a full filesystem. */
  long reserveBlocks;

  /** Inode-table chunks linked when the superblock was last written (a lower bound). */
  long inodeChunks;

  boolean dataChecksums() {
    return (features & FEATURE_DATA_CHECKSUMS) != 0;
  }

  /** Encodes the superblock into a {@link #HEADER_LENGTH}-byte little-endian image. */
  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, MAGIC);
    b.putInt(8, FORMAT_VERSION);
    b.putInt(12, HEADER_LENGTH);
    b.putLong(16, regionSize);
    b.putLong(24, blockCount);
    b.putInt(32, PmemRegion.PAGE_SIZE);
    b.putInt(36, features);
    b.putLong(40, uuid.getMostSignificantBits());
    b.putLong(48, uuid.getLeastSignificantBits());
    b.putLong(56, created);
    b.putLong(64, inodeTableBlock);
    b.putInt(72, InodeTable.SLOT_SIZE);
    b.putInt(76, InodeTable.CHUNK_BLOCKS);
    b.putLong(80, journalBlock);
    b.putInt(88, journalLanes);
    b.putLong(96, state);
    b.putLong(104, mountCount);
    b.putLong(112, lastMount);
    b.putLong(120, lastUnmount);
    b.putLong(128, checkpointBlock);
    b.putLong(136, checkpointBlocks);
    b.putInt(144, checkpointCrc);
    b.putLong(152, reserveBlocks);
    b.putLong(160, inodeChunks);
    byte[] out = b.array();
    b.putInt(CRC_OFFSET, Crc.crc32c(out, 0, CRC_OFFSET));
    return out;
  }

  /** Writes both copies, primary first, each made durable before the next. */
  void store(PmemRegion region) {
    byte[] image = encode();
    for (long block : new long[] {PRIMARY_BLOCK, BACKUP_BLOCK}) {
      region.storePersist(block * PmemRegion.PAGE_SIZE, image, 0, image.length);
    }
  }

  /**
   * Reads the primary superblock, or the backup when the primary is damaged. Both damaged: the
   * primary's problem is reported.
   */
  static Superblock load(PmemRegion region) {
    if (region.size() < 2L * PmemRegion.PAGE_SIZE) {
      throw new CorruptionException("region", 0, "too small to hold a daxfs superblock");
    }
    CorruptionException primaryProblem;
    try {
      return decode(region, PRIMARY_BLOCK, "primary superblock");
    } catch (CorruptionException e) {
      primaryProblem = e;
    }
    try {
      Superblock backup = decode(region, BACKUP_BLOCK, "backup superblock");
      backup.fromBackup = true;
      return backup;
    } catch (CorruptionException e) {
      throw primaryProblem;
    }
  }

  /** True when {@link #load} had to use the backup copy. */
  boolean fromBackup;

  static Superblock decode(PmemRegion region, long block, String name) {
    long off = block * PmemRegion.PAGE_SIZE;
    byte[] raw = new byte[HEADER_LENGTH];
    try {
      region.load(off, raw, 0, raw.length);
    } catch (dev.daxfs.pmem.MediaErrorException e) {
      throw new CorruptionException(name, off, "media error while reading it");
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getLong(0) != MAGIC) {
      throw new CorruptionException(name, off, "bad magic (this region is not a daxfs image)");
    }
    int version = b.getInt(8);
    if (version != FORMAT_VERSION) {
      throw new CorruptionException(
          name, off, "unknown format version " + version + " (this daxfs reads version "
              + FORMAT_VERSION + ")");
    }
    int stored = b.getInt(CRC_OFFSET);
    int actual = Crc.crc32c(raw, 0, CRC_OFFSET);
    if (stored != actual) {
      throw new CorruptionException(name, off, String.format(
          "bad checksum (stored %08x, computed %08x)", stored, actual));
    }
    Superblock sb = new Superblock();
    sb.regionSize = b.getLong(16);
    sb.blockCount = b.getLong(24);
    int blockSize = b.getInt(32);
    sb.features = b.getInt(36);
    sb.uuid = new UUID(b.getLong(40), b.getLong(48));
    sb.created = b.getLong(56);
    sb.inodeTableBlock = b.getLong(64);
    int slotSize = b.getInt(72);
    int chunkBlocks = b.getInt(76);
    sb.journalBlock = b.getLong(80);
    sb.journalLanes = b.getInt(88);
    sb.state = b.getLong(96);
    sb.mountCount = b.getLong(104);
    sb.lastMount = b.getLong(112);
    sb.lastUnmount = b.getLong(120);
    sb.checkpointBlock = b.getLong(128);
    sb.checkpointBlocks = b.getLong(136);
    sb.checkpointCrc = b.getInt(144);
    sb.reserveBlocks = b.getLong(152);
    sb.inodeChunks = b.getLong(160);

    if (blockSize != PmemRegion.PAGE_SIZE) {
      throw new CorruptionException(name, off, "block size " + blockSize + " is not 4096");
    }
    if (slotSize != InodeTable.SLOT_SIZE || chunkBlocks != InodeTable.CHUNK_BLOCKS) {
      throw new CorruptionException(name, off, "inode table geometry " + slotSize + "/"
          + chunkBlocks + " differs from this version's");
    }
    if (sb.regionSize != region.size()) {
      throw new CorruptionException(name, off, "records a region of " + sb.regionSize
          + " bytes but the region holds " + region.size());
    }
    if (sb.blockCount != sb.regionSize / PmemRegion.PAGE_SIZE) {
      throw new CorruptionException(name, off, "block count " + sb.blockCount
          + " does not match the region size");
    }
    if (sb.journalLanes != Journal.LANES || sb.journalBlock != Layout.JOURNAL_BLOCK) {
      throw new CorruptionException(name, off, "journal geometry differs from this version's");
    }
    if (sb.inodeTableBlock != Layout.FIRST_INODE_CHUNK) {
      throw new CorruptionException(name, off, "inode table block " + sb.inodeTableBlock
          + " is not where this version puts it");
    }
    if (sb.state != STATE_CLEAN && sb.state != STATE_MOUNTED) {
      throw new CorruptionException(name, off, "unknown state " + sb.state);
    }
    if (sb.checkpointBlock < 0 || sb.checkpointBlocks < 0
        || sb.checkpointBlock + sb.checkpointBlocks > sb.blockCount) {
      throw new CorruptionException(name, off, "allocator checkpoint lies outside the region");
    }
    if (sb.inodeChunks < 0 || sb.inodeChunks > sb.blockCount) {
      throw new CorruptionException(name, off, "records " + sb.inodeChunks
          + " inode-table chunks, more than the region holds");
    }
    if (sb.reserveBlocks < 0 || sb.reserveBlocks > sb.blockCount) {
      throw new CorruptionException(name, off, "reserve of " + sb.reserveBlocks
          + " blocks exceeds the region");
    }
    return sb;
  }
}
