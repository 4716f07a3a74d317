package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;

/**
 * Where the fixed structures live. Everything else (inode-table chunks after the first, log
 * pages, data blocks, the allocator checkpoint) is allocated from the blocks after them.
 *
 * <pre>
 * block 0                 primary superblock
 * block 1                 backup superblock
 * blocks 2 .. 2+LANES-1   journal, one block per lane
 * next CHUNK_BLOCKS       first inode-table chunk (the root directory lives here)
 * the rest                allocatable
 * </pre>
 */
final class Layout {
  private Layout() {}

  static final int BLOCK = PmemRegion.PAGE_SIZE;
  static final int BLOCK_SHIFT = 12;

  static final long JOURNAL_BLOCK = 2;
  static final long FIRST_INODE_CHUNK = JOURNAL_BLOCK + Journal.LANES;
  static final long FIRST_ALLOCATABLE = FIRST_INODE_CHUNK + InodeTable.CHUNK_BLOCKS;

  /** The smallest region mkfs accepts. */
  static final long MIN_REGION = 16L << 20;

  static long offset(long block) {
    return block << BLOCK_SHIFT;
  }
}
