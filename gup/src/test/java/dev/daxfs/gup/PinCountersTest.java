package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PinCountersTest {

  @Test
  void perThreadCellsSumExactlyAfterJoin() throws Exception {
    PinCounters c = new PinCounters();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  PinCounters.acquired(c.cell(), 2);
                  PinCounters.released(c.cell(), 1);
                }
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(80_000, c.acquired());
    assertEquals(40_000, c.released());
  }
}
