package dev.daxfs.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One operation's changes on their way to media. Entries are appended to the logs of the
 * inodes involved (flushed, not yet visible); {@link #commit} then makes them visible at once:
 * by one tail store when a single inode is involved, or through the journal when several are
 * or when slot words change too. After the commit the same entries are applied to the DRAM
 * inodes, and the blocks they stopped referencing are freed.
 *
 * <p>The caller holds the locks of every inode it appends to, from the first append to the end
 * of commit or abort.
 */
final class Txn implements Inode.Freed {

  /** The filesystem. */
  private final Volume vol;

  /** Whether allocations of this operation may use the reserve (deleting operations). */
  final boolean mayUseReserve;

  /**
   * Whether log pages may come from the reserve even though data blocks may not: set for
   * writes that need no new data block, which must not fail for want of space.
   */
  boolean logMayUseReserve;

  /** Inodes with appended entries, in first-append order: the first {@link #touchedCount}. */
  private Inode[] touched = new Inode[2];

  private int touchedCount;

  /**
   * Appended entries to apply after commit, in order: their inode, bytes and offset; the
   * first {@link #appendedCount} of each.
   */
  private Inode[] appendedInodes = new Inode[2];

  private byte[][] appendedBytes = new byte[2][];

  private long[] appendedOffsets = new long[2];

  private int appendedCount;

  /**
   * Extra words to set in the commit (slot valid and orphan words): region offsets and values,
   * the first {@link #wordCount}; null until the first.
   */
  private long[] wordOffsets;

  private long[] wordValues;

  private int wordCount;

  /** Blocks to free once committed, as runs: starts and lengths, merged when adjacent. */
  private long[] freeStarts = new long[2];

  private long[] freeLengths = new long[2];

  /** Runs in {@link #freeStarts}. */
  private int freeRuns;

  /**
   * Blocks allocated for this operation, returned to the allocator if it aborts: runs as
   * start and length pairs, null until the first.
   */
  private long[] allocated;

  /** Runs in {@link #allocated}. */
  private int allocatedRuns;

  /** Actions to run after a successful commit (DRAM bookkeeping). */
  private List<Runnable> afterCommit = List.of();

  /** Set by commit or abort. */
  private boolean finished;

  Txn(Volume vol, boolean mayUseReserve) {
    this.vol = vol;
    this.mayUseReserve = mayUseReserve;
  }

  /** Appends {@code entry} to {@code in}'s log (flushed, not yet committed). */
  void append(Inode in, ByteBuffer entry) {
    if (!hasAppended(in)) {
      if (touchedCount == touched.length) {
        touched = Arrays.copyOf(touched, touchedCount * 2);
      }
      touched[touchedCount++] = in;
    }
    long at = in.log.append(entry, vol.allocator, mayUseReserve || logMayUseReserve,
        !vol.switches.skipEntryFlush);
    int k = appendedCount;
    if (k == appendedOffsets.length) {
      appendedInodes = Arrays.copyOf(appendedInodes, k * 2);
      appendedBytes = Arrays.copyOf(appendedBytes, k * 2);
      appendedOffsets = Arrays.copyOf(appendedOffsets, k * 2);
    }
    appendedInodes[k] = in;
    appendedBytes[k] = entry.array();
    appendedOffsets[k] = at;
    appendedCount = k + 1;
  }

  /** Sets an 8-byte word (a slot's valid or orphan word) as part of the commit. */
  void word(long offset, long value) {
    // The journal transaction keeps the last value of a word set twice.
    if (wordOffsets == null) {
      wordOffsets = new long[2];
      wordValues = new long[2];
    }
    if (wordCount == wordOffsets.length) {
      wordOffsets = Arrays.copyOf(wordOffsets, wordCount * 2);
      wordValues = Arrays.copyOf(wordValues, wordCount * 2);
    }
    wordOffsets[wordCount] = offset;
    wordValues[wordCount] = value;
    wordCount++;
  }

  /** Frees {@code [start, start+len)} after the commit (blocks no longer referenced). */
  void freeAfterCommit(long start, long len) {
    if (freeRuns > 0 && freeStarts[freeRuns - 1] + freeLengths[freeRuns - 1] == start) {
      freeLengths[freeRuns - 1] += len;
      return;
    }
    if (freeRuns == freeStarts.length) {
      freeStarts = Arrays.copyOf(freeStarts, freeRuns * 2);
      freeLengths = Arrays.copyOf(freeLengths, freeRuns * 2);
    }
    freeStarts[freeRuns] = start;
    freeLengths[freeRuns] = len;
    freeRuns++;
  }

  /** Records blocks allocated for this operation, so that an abort frees them again. */
  void allocated(long start, long len) {
    if (allocated == null) {
      allocated = new long[4];
    } else if (2 * allocatedRuns == allocated.length) {
      allocated = Arrays.copyOf(allocated, allocated.length * 2);
    }
    allocated[2 * allocatedRuns] = start;
    allocated[2 * allocatedRuns + 1] = len;
    allocatedRuns++;
  }

  /** A block an applied entry stopped referencing: freed once the commit is done. */
  @Override
  public void block(long block, long page) {
    freeAfterCommit(block, 1);
  }

  /** Runs {@code r} after a successful commit. */
  void afterCommit(Runnable r) {
    if (afterCommit.isEmpty()) {
      afterCommit = new ArrayList<>(2);
    }
    afterCommit.add(r);
  }

  /** Makes everything appended durable and visible, then updates DRAM. */
  void commit() {
    finish();
    if (touchedCount == 0 && wordCount == 0) {
      runAfter();
      return;
    }
    boolean fence = !vol.switches.skipTailFence;
    if (touchedCount == 1 && wordCount == 0) {
      Inode in = touched[0];
      in.log.commit(vol.inodes.slotOffset(in.ino) + InodeTable.TAIL, fence);
    } else {
      if (fence) {
        vol.region.fence();
      }
      try (Journal.Tx tx = vol.journal.begin()) {
        for (int i = 0; i < touchedCount; i++) {
          Inode in = touched[i];
          if (in.log.hasPending()) {
            tx.set(vol.inodes.slotOffset(in.ino) + InodeTable.TAIL, in.log.pendingTailWord());
          }
        }
        for (int i = 0; i < wordCount; i++) {
          tx.set(wordOffsets[i], wordValues[i]);
        }
        tx.commit();
      }
      for (int i = 0; i < touchedCount; i++) {
        touched[i].log.committed();
      }
    }
    applyAppended();
    freeCollected();
    for (int i = 0; i < touchedCount; i++) {
      vol.cleaner.committed(touched[i]);
    }
    runAfter();
  }

  /** Applies every appended entry to its DRAM inode, in order, collecting freed blocks. */
  private void applyAppended() {
    for (int k = 0; k < appendedCount; k++) {
      ByteBuffer p = ByteBuffer.wrap(appendedBytes[k]).order(ByteOrder.LITTLE_ENDIAN);
      int type = p.getShort(0) & 0xFFFF;
      p.position(LogEntry.HEADER);
      appendedInodes[k].apply(type, p, appendedOffsets[k], vol.blockCount(), this);
    }
  }

  /** Frees the blocks the applied entries released, in coalesced runs. */
  private void freeCollected() {
    if (freeRuns == 0) {
      return;
    }
    boolean sorted = true;
    for (int i = 1; i < freeRuns && sorted; i++) {
      sorted = freeStarts[i - 1] <= freeStarts[i];
    }
    if (!sorted) {
      // Sort the runs by start, as pairs packed into one array of indexes.
      Integer[] order = new Integer[freeRuns];
      for (int i = 0; i < freeRuns; i++) {
        order[i] = i;
      }
      long[] st = freeStarts;
      java.util.Arrays.sort(order, (a, b) -> Long.compare(st[a], st[b]));
      long[] s2 = new long[freeRuns];
      long[] l2 = new long[freeRuns];
      for (int i = 0; i < freeRuns; i++) {
        s2[i] = freeStarts[order[i]];
        l2[i] = freeLengths[order[i]];
      }
      freeStarts = s2;
      freeLengths = l2;
    }
    long runStart = freeStarts[0];
    long runLen = freeLengths[0];
    for (int i = 1; i < freeRuns; i++) {
      if (runStart + runLen == freeStarts[i]) {
        runLen += freeLengths[i];
        continue;
      }
      release(runStart, runLen);
      runStart = freeStarts[i];
      runLen = freeLengths[i];
    }
    release(runStart, runLen);
    freeRuns = 0;
  }

  private void release(long start, long len) {
    vol.layouts.released(start, len);
    vol.allocator.free(start, len);
  }

  private void runAfter() {
    for (Runnable r : afterCommit) {
      r.run();
    }
  }

  /**
   * The deliberate bug behind {@link TestSwitches#lateStaleMark}: the entries are durable, but
   * the single touched inode's tail is stored without a flush, so the change reaches the media
   * only at some later persist; then applies as {@link #commit} does.
   */
  void commitWithoutPersist() {
    if (touchedCount != 1 || wordCount != 0) {
      throw new IllegalStateException("only a single-inode change can be left unpersisted");
    }
    finish();
    Inode in = touched[0];
    vol.region.fence();
    vol.region.storeLong(vol.inodes.slotOffset(in.ino) + InodeTable.TAIL,
        in.log.pendingTailWord());
    in.log.committed();
    applyAppended();
    freeCollected();
    runAfter();
  }

  /** Forgets the appended entries; the logs stay as they were committed. */
  void abort() {
    if (finished) {
      return;
    }
    finished = true;
    for (int i = 0; i < touchedCount; i++) {
      touched[i].log.abort();
    }
    for (int i = 0; i < allocatedRuns; i++) {
      vol.allocator.free(allocated[2 * i], allocated[2 * i + 1]);
    }
  }

  private void finish() {
    if (finished) {
      throw new IllegalStateException("transaction already finished");
    }
    finished = true;
  }

  boolean isEmpty() {
    return touchedCount == 0 && wordCount == 0;
  }

  /** Whether entries were appended to {@code in}'s log (its log has pending bytes). */
  boolean hasAppended(Inode in) {
    for (int i = 0; i < touchedCount; i++) {
      if (touched[i] == in) {
        return true;
      }
    }
    return false;
  }
}
