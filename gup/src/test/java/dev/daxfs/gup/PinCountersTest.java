package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PinCountersTest {

  @Test
  void cellsCountPagesFromTheirTransitions() {
    PinCounters counters = new PinCounters();
    Object vector = new Object();
    PinCounters.Cell c = counters.register(vector);
    assertFalse(c.holding());
    PinCounters.pinned(c, 1);
    assertTrue(c.holding());
    PinCounters.unpinned(c, 1);
    PinCounters.pinned(c, 3);
    assertEquals(2, c.pins());
    assertEquals(4, counters.acquired());
    assertEquals(1, counters.released());
    PinCounters.unpinned(c, 3);
    assertFalse(c.holding());
    assertEquals(4, counters.released());
    assertEquals(1, counters.liveCells(), "the vector is still reachable: " + vector);
  }

  @Test
  void threadsCountingInTheirOwnCellsSumExactlyAfterJoin() throws Exception {
    PinCounters counters = new PinCounters();
    Thread[] threads = new Thread[4];
    Object[] vectors = new Object[threads.length];
    for (int t = 0; t < threads.length; t++) {
      vectors[t] = new Object();
      PinCounters.Cell c = counters.register(vectors[t]);
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  PinCounters.pinned(c, 2);
                  PinCounters.unpinned(c, 2);
                }
                PinCounters.pinned(c, 1);
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(4 * 20_001, counters.acquired());
    assertEquals(4 * 20_000, counters.released());
  }

  /** The cells of collected vectors are folded into the totals, so they do not pile up. */
  @Test
  void aCollectedVectorsCountsAreFoldedIn() throws Exception {
    PinCounters counters = new PinCounters();
    countThroughAVectorThatIsThenDropped(counters);
    for (int i = 0; i < 500 && counters.liveCells() > 0; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(0, counters.liveCells(), "the dropped vector's cell was folded");
    assertEquals(5, counters.acquired());
    assertEquals(3, counters.released());
  }

  private static void countThroughAVectorThatIsThenDropped(PinCounters counters) {
    PinCounters.Cell c = counters.register(new Object());
    PinCounters.pinned(c, 3);
    PinCounters.unpinned(c, 3);
    PinCounters.pinned(c, 2);
    assertEquals(1, counters.liveCells());
  }
}
