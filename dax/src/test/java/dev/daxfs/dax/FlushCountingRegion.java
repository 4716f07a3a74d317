package dev.daxfs.dax;

import dev.daxfs.pmem.ForwardingRegion;
import dev.daxfs.pmem.HeapRegion;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A heap region that remembers which pages were flushed and how many fences ran. */
final class FlushCountingRegion extends ForwardingRegion {

  /** Page frames touched by a flush since the last {@link #reset}. */
  final Set<Long> flushedPages = ConcurrentHashMap.newKeySet();

  /** Fences since the last {@link #reset}. */
  final AtomicInteger fences = new AtomicInteger();

  FlushCountingRegion(long size) {
    super(new HeapRegion(size));
  }

  void reset() {
    flushedPages.clear();
    fences.set(0);
  }

  @Override
  public void flush(long off, long len) {
    target.flush(off, len);
    for (long p = off / PAGE_SIZE; p * PAGE_SIZE < off + len; p++) {
      flushedPages.add(p);
    }
  }

  @Override
  public void fence() {
    target.fence();
    fences.incrementAndGet();
  }

  @Override
  public String describe() {
    return "flush-counting " + target.describe();
  }
}
