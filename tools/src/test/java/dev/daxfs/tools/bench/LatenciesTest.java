package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatenciesTest {

  @Test
  void percentilesAreNearestRankOverEveryValue() {
    Latencies l = new Latencies();
    // 1..10000 us, recorded backwards and past the first array's capacity.
    for (int i = 10_000; i >= 1; i--) {
      l.add(i * 1000L);
    }
    assertEquals(10_000, l.count());
    assertEquals(5000.0, l.percentileMicros(50));
    assertEquals(9900.0, l.percentileMicros(99));
    assertEquals(10_000.0, l.percentileMicros(100));
    assertEquals(1.0, l.percentileMicros(0.001));
    assertEquals(5000.5, l.meanMicros(), 1e-9);
  }

  @Test
  void aSingleValueIsEveryPercentile() {
    Latencies l = new Latencies();
    l.add(2500);
    assertEquals(2.5, l.percentileMicros(50));
    assertEquals(2.5, l.percentileMicros(99));
    assertEquals(2.5, l.meanMicros());
  }

  @Test
  void emptyHasNoFiguresAndBadPercentilesAreRefused() {
    Latencies l = new Latencies();
    assertTrue(Double.isNaN(l.percentileMicros(50)));
    assertTrue(Double.isNaN(l.meanMicros()));
    assertThrows(IllegalArgumentException.class, () -> l.percentileMicros(0));
    assertThrows(IllegalArgumentException.class, () -> l.percentileMicros(101));
    assertThrows(IllegalArgumentException.class, () -> l.percentileMicros(Double.NaN));
  }
}
