package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state every part of a mounted filesystem shares: the region and the structures on it.
 * Package-private plumbing behind {@link DaxFs}.
 */
final class Volume {

  /** The persistent memory the filesystem lives on. */
  final PmemRegion region;

  /** The superblock as mounted; only mount and unmount change it. */
  final Superblock sb;

  /** Free blocks. */
  final BlockAllocator allocator;

  /** Inode slots. */
  final InodeTable inodes;

  /** Multi-inode commits. */
  final Journal journal;

  /** Loaded inodes. */
  final InodeCache cache;

  /** Deliberate bugs for tests; all off on a real mount. */
  final TestSwitches switches;

  /** Counters for stat and inspect. */
  final FsStats stats = new FsStats();

  /**
   * Serializes renames that move something between directories, so that the ancestor check
   * that prevents cycles sees a stable tree (Linux's s_vfs_rename_mutex). Taken before any
   * inode lock.
   */
  final ReentrantLock renameLock = new ReentrantLock();

  /** Layout breaks and the copy-on-write decision, backed by the DAX layer. */
  final Layouts layouts;

  /** Keeps inode logs short. */
  final LogCleaner cleaner;

  /** One descriptor per page of the region: references, mappings, pins and owners. */
  final dev.daxfs.dax.PageDescriptors pages;

  /** Mount options. */
  final MountOptions options;

  /** Last timestamp handed out, to keep timestamps strictly increasing. */
  private final java.util.concurrent.atomic.AtomicLong lastTime =
      new java.util.concurrent.atomic.AtomicLong();

  Volume(PmemRegion region, Superblock sb, BlockAllocator allocator, InodeTable inodes,
      Journal journal, TestSwitches switches, MountOptions options) {
    this.region = region;
    this.sb = sb;
    this.allocator = allocator;
    this.inodes = inodes;
    this.journal = journal;
    this.switches = switches;
    this.options = options;
    this.cache = new InodeCache(this);
    if (journal != null) {
      // A mounted table: every chunk it links is recorded, so a lost next pointer is caught.
      inodes.onGrow(n -> {
        synchronized (sb) {
          sb.inodeChunks = n;
          sb.store(region);
        }
      });
    }
    this.layouts = new Layouts(this);
    this.pages = new dev.daxfs.dax.PageDescriptors(region);
    this.cleaner = new LogCleaner(this);
  }

  long blockCount() {
    return sb.blockCount;
  }

  boolean dataChecksums() {
    return sb.dataChecksums();
  }

  /** Wall-clock time in ns since the epoch, strictly increasing across calls (lock-free). */
  long now() {
    java.time.Instant i = java.time.Instant.now();
    long t = i.getEpochSecond() * 1_000_000_000L + i.getNano();
    return lastTime.accumulateAndGet(t, (prev, x) -> Math.max(x, prev + 1));
  }
}
