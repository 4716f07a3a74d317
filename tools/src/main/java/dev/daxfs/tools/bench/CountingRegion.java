package dev.daxfs.tools.bench;

import dev.daxfs.pmem.ForwardingRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;

/**
 * A region that counts what passes through it on the way to another: bytes stored, cache
 * lines flushed, fences. On real pmem a flushed line and a fence cost far more than a store, so
 * these counts say what a filesystem operation will cost there whatever the emulation's flush
 * model.
 *
 * <p>Work done by the thread that created the region (the benchmark's) is counted apart from
 * work done by any other thread (the filesystem's background log cleaner), so that an
 * operation's own cost is not blurred by cleaning that happens to run beside it.
 */
final class CountingRegion extends ForwardingRegion {

  /** The thread whose work the plain counters count. */
  private final Thread owner = Thread.currentThread();

  /** Bytes the owner wrote by stores, fills, copies and compare-and-swaps. */
  long storedBytes;

  /** Cache lines the owner wrote back: each flush counts the lines its range covers. */
  long flushedLines;

  /** Fences of the owner, including those of persist and storePersist. */
  long fences;

  /** The same three for every other thread, which may run concurrently. */
  final LongAdder otherStoredBytes = new LongAdder();

  final LongAdder otherFlushedLines = new LongAdder();
  final LongAdder otherFences = new LongAdder();

  CountingRegion(PmemRegion target) {
    super(target);
  }

  /** Sets every counter back to zero. */
  void reset() {
    storedBytes = 0;
    flushedLines = 0;
    fences = 0;
    otherStoredBytes.reset();
    otherFlushedLines.reset();
    otherFences.reset();
  }

  private void stored(long bytes) {
    if (Thread.currentThread() == owner) {
      storedBytes += bytes;
    } else {
      otherStoredBytes.add(bytes);
    }
  }

  @Override
  public void storeByte(long off, byte value) {
    target.storeByte(off, value);
    stored(1);
  }

  @Override
  public void storeInt(long off, int value) {
    target.storeInt(off, value);
    stored(4);
  }

  @Override
  public void storeLong(long off, long value) {
    target.storeLong(off, value);
    stored(8);
  }

  @Override
  public void store(long off, byte[] src, int srcOff, int len) {
    target.store(off, src, srcOff, len);
    stored(len);
  }

  @Override
  public void store(long off, ByteBuffer src) {
    int len = src.remaining();
    target.store(off, src);
    stored(len);
  }

  @Override
  public void copy(long srcOff, long dstOff, long len) {
    target.copy(srcOff, dstOff, len);
    stored(len);
  }

  @Override
  public void fill(long off, long len, byte value) {
    target.fill(off, len, value);
    stored(len);
  }

  @Override
  public boolean compareAndSwapLong(long off, long expected, long update) {
    stored(8);
    return target.compareAndSwapLong(off, expected, update);
  }

  @Override
  public void flush(long off, long len) {
    target.flush(off, len);
    if (len > 0) {
      long lines = (off + len - 1) / CACHE_LINE - off / CACHE_LINE + 1;
      if (Thread.currentThread() == owner) {
        flushedLines += lines;
      } else {
        otherFlushedLines.add(lines);
      }
    }
  }

  @Override
  public void fence() {
    target.fence();
    if (Thread.currentThread() == owner) {
      fences++;
    } else {
      otherFences.increment();
    }
  }
}
