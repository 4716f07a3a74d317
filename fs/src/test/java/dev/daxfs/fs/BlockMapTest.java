package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BlockMapTest {

  @Test
  void emptyMapIsAllHoles() {
    BlockMap m = new BlockMap(false);
    assertEquals(0, m.get(0));
    assertEquals(0, m.get(Inode.MAX_PAGES - 1));
    assertEquals(-1, m.nextMapped(0));
    assertEquals(-1, m.lastMapped());
    assertEquals(0, m.nextHole(0));
    assertEquals(0, m.mappedPages());
  }

  @Test
  void theLastPagesOfTheLargestFileWork() {
    BlockMap m = new BlockMap(false);
    long last = Inode.MAX_PAGES - 1;
    assertEquals(-1, m.nextMapped(last - 4), "empty map, searched near its end");
    m.set(3, 30, 0);
    assertEquals(-1, m.nextMapped(last - 4), "data only at the start");
    assertEquals(last - 4, m.nextHole(last - 4));
    m.set(last, 77, 0);
    assertEquals(77, m.get(last));
    assertEquals(last, m.nextMapped(4));
    assertEquals(last, m.nextMapped(last - 4));
    assertEquals(last, m.lastMapped());
    m.clear(last, last + 1, null);
    assertEquals(-1, m.nextMapped(last - 4));
  }

  @Test
  void setGetAndFlags() {
    BlockMap m = new BlockMap(false);
    assertEquals(0, m.set(7, 1234, 0));
    assertEquals(1234, m.set(7, 999 | BlockMap.UNWRITTEN, 0));
    long e = m.get(7);
    assertEquals(999, BlockMap.block(e));
    assertTrue(BlockMap.isUnwritten(e));
    assertFalse(BlockMap.isStale(e));
    m.set(8, 5 | BlockMap.STALE, 0);
    assertTrue(BlockMap.isStale(m.get(8)));
    assertEquals(2, m.mappedPages());
    assertEquals(999 | BlockMap.UNWRITTEN, m.set(7, 0, 0));
    assertEquals(1, m.mappedPages());
    assertEquals(0, m.set(1_000_000, 0, 0), "clearing a hole is a no-op");
    assertEquals(1, m.mappedPages());
  }

  @Test
  void holesAndDataAcrossLeaves() {
    BlockMap m = new BlockMap(false);
    long far = 3L * BlockMap.FANOUT + 5;
    for (long p = 0; p < BlockMap.FANOUT + 3; p++) {
      m.set(p, 100 + p, 0);
    }
    m.set(far, 7, 0);
    assertEquals(BlockMap.FANOUT + 3, m.nextHole(0));
    assertEquals(far, m.nextMapped(BlockMap.FANOUT + 3));
    assertEquals(far + 1, m.nextHole(far));
    assertEquals(far, m.lastMapped());
    assertEquals(-1, m.nextMapped(far + 1));
    // The last leaf goes away when emptied; the last mapped page is then in an earlier leaf.
    m.set(far, 0, 0);
    assertEquals(BlockMap.FANOUT + 2, m.lastMapped());
  }

  @Test
  void clearReportsEveryRemovedEntryAndDropsEmptyLeaves() {
    BlockMap m = new BlockMap(false);
    for (long p = 0; p < 2000; p += 3) {
      m.set(p, 10 + p, 0);
    }
    List<long[]> removed = new ArrayList<>();
    m.clear(100, 1500, (p, e) -> removed.add(new long[] {p, e}));
    long expected = 0;
    for (long p = 0; p < 2000; p += 3) {
      if (p >= 100 && p < 1500) {
        expected++;
        assertEquals(0, m.get(p));
      } else {
        assertEquals(10 + p, m.get(p));
      }
    }
    assertEquals(expected, removed.size());
    for (int i = 1; i < removed.size(); i++) {
      assertTrue(removed.get(i)[0] > removed.get(i - 1)[0], "in page order");
    }
    m.clear(0, Long.MAX_VALUE, null);
    assertEquals(0, m.mappedPages());
    assertEquals(-1, m.lastMapped());
  }

  @Test
  void shiftMovesEntriesAndChecksums() {
    BlockMap m = new BlockMap(true);
    m.set(2, 20, 0x22);
    m.set(600, 60, 0x66);
    m.set(601, 61, 0x67);
    m.shift(600, 1000);
    assertEquals(20, m.get(2));
    assertEquals(0, m.get(600));
    assertEquals(60, m.get(1600));
    assertEquals(0x66, m.crc(1600));
    assertEquals(0x67, m.crc(1601));
    m.shift(1600, -1590);
    assertEquals(60, m.get(10));
    assertEquals(61, m.get(11));
    assertEquals(0x67, m.crc(11));
    assertEquals(3, m.mappedPages());
  }

  @Test
  void shiftOntoAMappedPageIsRefused() {
    BlockMap m = new BlockMap(false);
    m.set(5, 1, 0);
    m.set(10, 2, 0);
    assertThrows(IllegalStateException.class, () -> m.shift(10, -5));
  }

  @Test
  void randomOperationsMatchASortedMap() {
    SplittableRandom rnd = new SplittableRandom(11);
    BlockMap m = new BlockMap(false);
    TreeMap<Long, Long> model = new TreeMap<>();
    for (int step = 0; step < 20_000; step++) {
      long p = rnd.nextLong(0, 4 * BlockMap.FANOUT);
      switch (rnd.nextInt(6)) {
        case 0, 1, 2 -> {
          long v = rnd.nextLong(1, 1L << 40);
          long old = m.set(p, v, 0);
          assertEquals(model.getOrDefault(p, 0L), old);
          model.put(p, v);
        }
        case 3 -> {
          long old = m.set(p, 0, 0);
          assertEquals(model.getOrDefault(p, 0L), old);
          model.remove(p);
        }
        case 4 -> {
          long to = p + rnd.nextLong(0, 700);
          List<Long> got = new ArrayList<>();
          m.clear(p, to, (page, e) -> got.add(page));
          Map<Long, Long> sub = model.subMap(p, to);
          assertEquals(new ArrayList<>(sub.keySet()), got);
          sub.clear();
        }
        default -> {
          Long next = model.ceilingKey(p);
          assertEquals(next == null ? -1 : next, m.nextMapped(p));
          long hole = p;
          while (model.containsKey(hole)) {
            hole++;
          }
          assertEquals(hole, m.nextHole(p));
        }
      }
      assertEquals(model.size(), m.mappedPages());
    }
    assertEquals(model.isEmpty() ? -1 : model.lastKey(), m.lastMapped());
    List<long[]> entries = m.entries();
    assertEquals(model.size(), entries.size());
  }
}
