package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.pmem.HeapRegion;
import org.junit.jupiter.api.Test;

class CountingRegionTest {

  @Test
  void countsTheLinesAFlushCoversAndEveryFence() {
    HeapRegion heap = new HeapRegion(1 << 16);
    CountingRegion c = new CountingRegion(heap);
    c.storePersist(60, new byte[100], 0, 100); // bytes 60..159: lines 0, 1 and 2
    c.flush(128, 64); // exactly line 2
    c.flush(4096, 0); // nothing
    c.fillPersist(8192, 4096, (byte) 7); // 64 lines
    assertEquals(3 + 1 + 64, c.flushedLines);
    assertEquals(2, c.fences);
    assertEquals(100 + 4096, c.storedBytes);
    byte[] back = new byte[4];
    c.load(8192, back, 0, 4);
    assertArrayEquals(new byte[] {7, 7, 7, 7}, back, "every call reaches the region below");
    c.reset();
    assertEquals(0, c.flushedLines + c.fences + c.storedBytes);
  }

  @Test
  void otherThreadsAreCountedApart() throws Exception {
    CountingRegion c = new CountingRegion(new HeapRegion(1 << 16));
    Thread t = new Thread(() -> c.storePersist(0, new byte[64], 0, 64));
    t.start();
    t.join();
    c.storeLong(64, 1);
    assertEquals(8, c.storedBytes);
    assertEquals(0, c.flushedLines);
    assertEquals(0, c.fences);
    assertEquals(64, c.otherStoredBytes.sum());
    assertEquals(1, c.otherFlushedLines.sum());
    assertEquals(1, c.otherFences.sum());
  }
}
