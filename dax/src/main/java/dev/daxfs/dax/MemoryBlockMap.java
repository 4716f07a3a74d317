package dev.daxfs.dax;

import dev.daxfs.pmem.PmemRegion;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A file whose block map lives in memory: a small, complete {@link IomapOps} for tests,
 * benchmarks and demonstrations that need a mapped file without the filesystem. Blocks come
 * from a {@link BlockAllocator} shared by the files of one region; a block is zeroed when
 * allocated or converted from unwritten, its page owner is set while the file holds it, and its
 * block-map change counts as not durable until {@link #syncMetadata} (so MAP_SYNC is visible).
 *
 * <p>{@link #truncate} shows the whole layout-break protocol on a file with no write path, so
 * the invalidate lock is its only lock.
 *
 * <p>Thread safety: the iomap calls run under the page's entry lock; the block map is a
 * concurrent map and the allocator is synchronized.
 */
public final class MemoryBlockMap implements IomapOps {

  private static final int PAGE_SIZE = PmemRegion.PAGE_SIZE;

  /** Marks a block-map value as an unwritten extent. */
  private static final long UNWRITTEN = Long.MIN_VALUE;

  /**
   * Page frames of a region range, handed out lowest first and reused most-recently-freed
   * first, so a freed block goes straight to the next allocation (which is what makes a
   * use-after-free by DMA visible in tests).
   */
  public static final class BlockAllocator {

    /** One past the last page frame this allocator owns. */
    private final long end;

    /** Next never-allocated page frame. Guarded by this. */
    private long next;

    /** Freed page frames, most recent first. Guarded by this. */
    private final ArrayDeque<Long> freed = new ArrayDeque<>();

    /** Page frames {@code [firstPfn, firstPfn + count)}. */
    public BlockAllocator(long firstPfn, long count) {
      if (firstPfn < 0 || count <= 0) {
        throw new IllegalArgumentException("allocator range must be non-negative and non-empty");
      }
      this.next = firstPfn;
      this.end = firstPfn + count;
    }

    /** A free page frame. */
    public synchronized long allocate() throws ErrnoException {
      if (!freed.isEmpty()) {
        return freed.pop();
      }
      if (next < end) {
        return next++;
      }
      throw new ErrnoException(Errno.ENOSPC, "no free block left among " + end + " page frames");
    }

    /** Returns a page frame. */
    public synchronized void free(long pfn) {
      freed.push(pfn);
    }

    /** Page frames still available. */
    public synchronized long available() {
      return end - next + freed.size();
    }
  }

  /** Descriptors of the region the blocks live on. */
  private final PageDescriptors pages;

  /** The region. */
  private final PmemRegion region;

  /** The file's inode number. */
  private final long inode;

  /** Where blocks come from. */
  private final BlockAllocator allocator;

  /** Page index to page frame, with {@link #UNWRITTEN} set for unwritten extents. */
  private final ConcurrentHashMap<Long, Long> blocks = new ConcurrentHashMap<>();

  /** Page indexes whose block-map change is not yet durable. */
  private final Set<Long> metadataDirty = ConcurrentHashMap.newKeySet();

  /** File size in bytes. */
  private volatile long size;

  /** Calls of mapWrite. */
  private final LongAdder writeMaps = new LongAdder();

  /** Calls of syncMetadata. */
  private final LongAdder metadataSyncs = new LongAdder();

  public MemoryBlockMap(PageDescriptors pages, BlockAllocator allocator, long inode, long size) {
    this.pages = Objects.requireNonNull(pages, "pages");
    this.region = Objects.requireNonNull(pages.region(), "pages must belong to a region");
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    if (inode <= 0 || size < 0) {
      throw new IllegalArgumentException("inode must be positive and size non-negative");
    }
    this.inode = inode;
    this.size = size;
  }

  /** The file's inode number. */
  public long inode() {
    return inode;
  }

  /** File size in bytes. */
  public long size() {
    return size;
  }

  /** Sets the size without touching blocks (growing, or after {@link #truncate}). */
  public void setSize(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must not be negative: " + bytes);
    }
    size = bytes;
  }

  private boolean beyondEof(long index) {
    return index >= (size + PAGE_SIZE - 1) / PAGE_SIZE;
  }

  @Override
  public Iomap mapRead(long index) {
    if (beyondEof(index)) {
      return Iomap.eof();
    }
    Long b = blocks.get(index);
    if (b == null) {
      return Iomap.hole();
    }
    if ((b & UNWRITTEN) != 0) {
      return Iomap.unwritten(b & ~UNWRITTEN);
    }
    return Iomap.mapped(b, !metadataDirty.contains(index));
  }

  @Override
  public Iomap mapWrite(long index) throws ErrnoException {
    writeMaps.increment();
    if (beyondEof(index)) {
      return Iomap.eof();
    }
    Long b = blocks.get(index);
    long pfn;
    if (b == null) {
      pfn = allocator.allocate();
      region.fillPersist(pfn * PAGE_SIZE, PAGE_SIZE, (byte) 0);
      pages.setOwner(pfn, inode, index);
    } else if ((b & UNWRITTEN) != 0) {
      pfn = b & ~UNWRITTEN;
      region.fillPersist(pfn * PAGE_SIZE, PAGE_SIZE, (byte) 0);
    } else {
      return Iomap.mapped(b, !metadataDirty.contains(index));
    }
    metadataDirty.add(index);
    blocks.put(index, pfn);
    return Iomap.mapped(pfn, false);
  }

  @Override
  public void syncMetadata(long index) {
    metadataSyncs.increment();
    metadataDirty.remove(index);
  }

  /** Preallocates an unwritten (reads-as-zero) block at {@code index}, like fallocate. */
  public long allocateUnwritten(long index) throws ErrnoException {
    long pfn = allocator.allocate();
    if (blocks.putIfAbsent(index, pfn | UNWRITTEN) != null) {
      allocator.free(pfn);
      throw new ErrnoException(Errno.EEXIST, "page " + index + " of inode " + inode + " already has a block");
    }
    pages.setOwner(pfn, inode, index);
    return pfn;
  }

  /** The page frame of page {@code index}, or -1 for a hole. */
  public long blockOf(long index) {
    Long b = blocks.get(index);
    return b == null ? -1 : b & ~UNWRITTEN;
  }

  /**
   * Takes the block of page {@code index} out of the file and frees it, clearing its owner. No
   * layout break: the caller has done one (as {@link #truncate} does), or is deliberately
   * breaking the rules to show what a use-after-free looks like.
   *
   * @return the freed page frame, or -1 for a hole
   */
  public long removeBlock(long index) {
    Long b = blocks.remove(index);
    if (b == null) {
      return -1;
    }
    long pfn = b & ~UNWRITTEN;
    metadataDirty.remove(index);
    pages.clearOwner(pfn);
    allocator.free(pfn);
    return pfn;
  }

  /**
   * Truncates the file to {@code newSize} the way a DAX filesystem must: takes the invalidate
   * lock exclusively, breaks the layout of {@code [newSize rounded down to a page, EOF)} (unmap,
   * wait for DMA-busy pages with the lock dropped, rescan), then removes the entries and frees
   * the blocks with the lock still held.
   *
   * @param timeout bound on the wait, or null for none
   * @return false when the timeout passed with a page still busy (nothing was changed)
   * @throws InterruptedException when interrupted while waiting (nothing was changed)
   */
  public boolean truncate(DaxAddressSpace space, long newSize, Duration timeout)
      throws InterruptedException {
    if (space.inode() != inode) {
      throw new IllegalArgumentException("address space of inode " + space.inode() + " is not this file's");
    }
    ReentrantReadWriteLock.WriteLock lock = space.invalidateLock().writeLock();
    lock.lock();
    try {
      long first = newSize / PAGE_SIZE;
      if (!space.breakLayouts(first, Long.MAX_VALUE, timeout)) {
        return false;
      }
      space.removeEntries(first, Long.MAX_VALUE);
      long firstFreed = (newSize + PAGE_SIZE - 1) / PAGE_SIZE;
      for (long index : blocks.keySet()) {
        if (index >= firstFreed) {
          removeBlock(index);
        }
      }
      if (newSize % PAGE_SIZE != 0) {
        long tail = blockOf(first);
        if (tail >= 0) {
          region.fillPersist(tail * PAGE_SIZE + newSize % PAGE_SIZE, PAGE_SIZE - newSize % PAGE_SIZE, (byte) 0);
        }
      }
      size = newSize;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** How many times mapWrite was called. */
  public long writeMaps() {
    return writeMaps.sum();
  }

  /** How many times syncMetadata was called. */
  public long metadataSyncs() {
    return metadataSyncs.sum();
  }
}
