package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HeapRegionTest extends RegionContract {

  @Override
  protected PmemRegion create(long size) {
    return new HeapRegion(size);
  }

  @Test
  void copyOfTakesEveryByte() throws Exception {
    PmemRegion r = region();
    byte[] data = random(MiB, 9);
    r.store(0, data, 0, MiB);
    HeapRegion copy = HeapRegion.copyOf(r);
    r.storeLong(0, 1);
    assertArrayEquals(data, read(copy, 0, MiB));
    assertEquals(FlushModel.HEAP, copy.flushModel());
  }

  @Test
  void refusesSizesAnArrayCannotHold() {
    assertThrows(IllegalArgumentException.class, () -> new HeapRegion(0));
    assertThrows(IllegalArgumentException.class, () -> new HeapRegion(3L << 30));
  }
}
