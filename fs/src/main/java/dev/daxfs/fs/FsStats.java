package dev.daxfs.fs;

import java.util.concurrent.atomic.LongAdder;

/** Counters a mounted filesystem keeps for {@code daxfs stat} and {@code inspect}. */
public final class FsStats {
  /** Layout breaks started (truncate, punch, zero, collapse, insert, eviction). */
  public final LongAdder layoutBreaks = new LongAdder();
  /** Layout breaks that had to wait for a DMA-busy page. */
  public final LongAdder layoutWaits = new LongAdder();
  /** Total time spent waiting in layout breaks, ns. */
  public final LongAdder layoutWaitNanos = new LongAdder();
  /** Longest single wait, ns. */
  public final java.util.concurrent.atomic.AtomicLong layoutWaitMaxNanos =
      new java.util.concurrent.atomic.AtomicLong();
  /** Layout breaks waiting for a DMA-busy page right now. */
  public final java.util.concurrent.atomic.AtomicLong layoutWaitsInProgress =
      new java.util.concurrent.atomic.AtomicLong();
  /** Layout-break waits that ended in EINTR (the caller was interrupted). */
  public final LongAdder layoutWaitsInterrupted = new LongAdder();
  /** Layout-break waits that ended in ETIMEDOUT (the mount's bound passed). */
  public final LongAdder layoutWaitsTimedOut = new LongAdder();
  /** Truncates and punches refused with ETXTBSY because a layout lease covered them. */
  public final LongAdder leaseRefusals = new LongAdder();
  /** Writes that went in place because the page was mapped or DMA-busy. */
  public final LongAdder inPlaceWrites = new LongAdder();
  /** Writes that went in place because copy-on-write found no free block. */
  public final LongAdder inPlaceForSpace = new LongAdder();
  /**
   * Reads that took the inode's locks: a writer was active, or the lock-free read met
   * something it leaves to the locked path (data checksums, a media error). Lock-free reads are
   * not counted: a shared counter would cost them the atomic they exist to avoid.
   */
  public final LongAdder lockedReads = new LongAdder();
  /** Data checksum mismatches found by reads. */
  public final LongAdder checksumErrors = new LongAdder();
  /** Media errors met by reads. */
  public final LongAdder mediaErrors = new LongAdder();
  /** Log cleanings that freed pages. */
  public final LongAdder logCleanings = new LongAdder();
  /** Log pages freed by cleaning. */
  public final LongAdder logPagesFreed = new LongAdder();
  /** Blocks found used by two inodes as they loaded, and kept out of the free space. */
  public final LongAdder crossLinkedBlocks = new LongAdder();
  /** Inodes freed by the orphan reaper. */
  public final LongAdder orphansReaped = new LongAdder();

  void recordWait(long nanos) {
    layoutWaits.increment();
    layoutWaitNanos.add(nanos);
    layoutWaitMaxNanos.accumulateAndGet(nanos, Math::max);
  }
}
