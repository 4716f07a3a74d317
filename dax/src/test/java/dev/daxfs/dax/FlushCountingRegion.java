package dev.daxfs.dax;

import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.Range;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A heap region that remembers which pages were flushed and how many fences ran. */
final class FlushCountingRegion implements PmemRegion {

  /** The bytes. */
  private final HeapRegion heap;

  /** Page frames touched by a flush since the last {@link #reset}. */
  final Set<Long> flushedPages = ConcurrentHashMap.newKeySet();

  /** Fences since the last {@link #reset}. */
  final AtomicInteger fences = new AtomicInteger();

  FlushCountingRegion(long size) {
    heap = new HeapRegion(size);
  }

  void reset() {
    flushedPages.clear();
    fences.set(0);
  }

  @Override
  public void flush(long off, long len) {
    heap.flush(off, len);
    for (long p = off / PAGE_SIZE; p * PAGE_SIZE < off + len; p++) {
      flushedPages.add(p);
    }
  }

  @Override
  public void fence() {
    heap.fence();
    fences.incrementAndGet();
  }

  @Override public long size() { return heap.size(); }
  @Override public byte loadByte(long off) { return heap.loadByte(off); }
  @Override public int loadInt(long off) { return heap.loadInt(off); }
  @Override public long loadLong(long off) { return heap.loadLong(off); }
  @Override public void load(long off, byte[] dst, int dstOff, int len) { heap.load(off, dst, dstOff, len); }
  @Override public void load(long off, ByteBuffer dst) { heap.load(off, dst); }
  @Override public void storeByte(long off, byte value) { heap.storeByte(off, value); }
  @Override public void storeInt(long off, int value) { heap.storeInt(off, value); }
  @Override public void storeLong(long off, long value) { heap.storeLong(off, value); }
  @Override public void store(long off, byte[] src, int srcOff, int len) { heap.store(off, src, srcOff, len); }
  @Override public void store(long off, ByteBuffer src) { heap.store(off, src); }
  @Override public void copy(long srcOff, long dstOff, long len) { heap.copy(srcOff, dstOff, len); }
  @Override public void fill(long off, long len, byte value) { heap.fill(off, len, value); }
  @Override public boolean compareAndSwapLong(long off, long e, long u) { return heap.compareAndSwapLong(off, e, u); }
  @Override public int crc32c(long off, long len) { return heap.crc32c(off, len); }
  @Override public void poison(long off, long len) { heap.poison(off, len); }
  @Override public List<Range> poisoned() { return heap.poisoned(); }
  @Override public FlushModel flushModel() { return heap.flushModel(); }
  @Override public String describe() { return "flush-counting " + heap.describe(); }
  @Override public void close() { heap.close(); }
}
