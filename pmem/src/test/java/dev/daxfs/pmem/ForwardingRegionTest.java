package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The region contract holds through a forwarding region; composites reach its primitives. */
class ForwardingRegionTest extends RegionContract {

  /** Counts flushes and fences, forwarding everything. */
  private static final class Counting extends ForwardingRegion {
    int flushes;
    int fences;

    Counting(PmemRegion target) {
      super(target);
    }

    @Override
    public void flush(long off, long len) {
      flushes++;
      super.flush(off, len);
    }

    @Override
    public void fence() {
      fences++;
      super.fence();
    }
  }

  @Override
  protected PmemRegion create(long size) {
    return new Counting(new HeapRegion(size));
  }

  @Test
  void persistAndStorePersistRunThroughTheDecoratorsFlushAndFence() {
    Counting r = new Counting(new HeapRegion(1 << 20));
    r.persist(0, 64);
    r.storePersist(4096, new byte[128], 0, 128);
    assertEquals(2, r.flushes);
    assertEquals(2, r.fences);
  }

  @Test
  void poisonIsTheTargets() {
    HeapRegion heap = new HeapRegion(1 << 20);
    Counting r = new Counting(heap);
    r.poison(8192, 64);
    assertTrue(heap.isPoisoned(8192, 1));
    assertTrue(r.isPoisoned(8100, 200));
  }

  @Test
  void needsATarget() {
    assertThrows(IllegalArgumentException.class, () -> new Counting(null));
  }
}
