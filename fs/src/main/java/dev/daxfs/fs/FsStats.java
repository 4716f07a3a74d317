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
  /** Truncates and punches refused with ETXTBSY because a layout lease covered them. */
  public final LongAdder leaseRefusals = new LongAdder();
  /** Writes that went in place because the page was mapped or DMA-busy. */
  public final LongAdder inPlaceWrites = new LongAdder();
  /** Writes that went in place because copy-on-write found no free block. */
  public final LongAdder inPlaceForSpace = new LongAdder();
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
