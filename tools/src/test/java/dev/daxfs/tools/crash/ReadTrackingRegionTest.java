package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.pmem.HeapRegion;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class ReadTrackingRegionTest {

  private final ReadTrackingRegion r = new ReadTrackingRegion(new HeapRegion(64 * 64));

  private static BitSet lines(int... ls) {
    BitSet b = new BitSet();
    for (int l : ls) {
      b.set(l);
    }
    return b;
  }

  @Test
  void loadsCrcsCopiesAndCasMarkTheLinesTheyRead() {
    r.loadLong(8);
    r.load(130, new byte[70], 0, 70);
    r.crc32c(64 * 5, 64);
    r.copy(64 * 7, 64 * 20, 10);
    r.compareAndSwapLong(64 * 9, 0, 1);
    assertEquals(lines(0, 2, 3, 5, 7, 9), r.linesRead());
  }

  @Test
  void aLineStoredWholeBeforeItWasReadHoldsNothingOriginal() {
    r.store(64, new byte[128], 0, 128);
    r.fill(64 * 4, 64, (byte) 1);
    r.load(64, new byte[64 * 4], 0, 64 * 4);
    assertEquals(lines(3), r.linesRead(), "lines 1, 2 and 4 were replaced before they were read");
  }

  @Test
  void aLineStoredInPartOrAfterAReadStillCounts() {
    r.storeLong(64 * 6, 5);
    r.loadLong(64 * 6 + 8);
    r.loadByte(64 * 8);
    r.store(64 * 8, new byte[64], 0, 64);
    r.loadByte(64 * 8);
    assertEquals(lines(6, 8), r.linesRead());
  }
}
