package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class PinCountersTest {

  @Test
  void perThreadCellsSumExactlyAfterJoin() throws Exception {
    PinCounters c = new PinCounters();
    Set<Long> generations = ConcurrentHashMap.newKeySet();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                Set<Long> mine = new HashSet<>();
                for (int i = 0; i < 10_000; i++) {
                  PinCounters.Cell cell = c.cell();
                  mine.add(PinCounters.acquired(cell, 2));
                  PinCounters.released(c.cell(), 1);
                }
                generations.addAll(mine);
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(80_000, c.acquired());
    assertEquals(40_000, c.released());
    assertEquals(40_000, generations.size(), "generations are unique across threads");
  }
}
