package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FlushDelayTest {

  /** A clock that advances 10 ns each time it is read, counting the reads. */
  static final class FakeClock implements java.util.function.LongSupplier {
    long now;
    int reads;

    @Override
    public long getAsLong() {
      reads++;
      return now += 10;
    }
  }

  @Test
  void spinsUntilLinesTimesDelayMinusTheClockCostHavePassed() {
    FakeClock clock = new FakeClock();
    FlushDelay d = new FlushDelay(100, clock, 20);
    d.await(10); // 10 lines * 100 ns - 20 ns = 980 ns of fake time
    long deadline = 10 + 980;
    assertTrue(clock.now >= deadline && clock.now < deadline + 10, "stopped at " + clock.now);
    assertEquals(99, clock.reads); // one read to start, then one per 10 ns until the deadline
  }

  @Test
  void aWaitShorterThanReadingTheClockReturnsAtOnce() {
    FakeClock clock = new FakeClock();
    new FlushDelay(10, clock, 25).await(2);
    assertEquals(0, clock.reads);
  }

  @Test
  void theRealClockCostIsMeasuredAndSmall() {
    long cost = FlushDelay.measureClockCost();
    assertTrue(cost >= 0 && cost < 1_000_000, "clock cost " + cost);
    assertThrows(IllegalArgumentException.class, () -> new FlushDelay(0));
  }

  @Test
  void flushModelsNameTheirCost() {
    assertEquals(FlushModel.FREE, FlushModel.emulated(0));
    assertEquals(FlushModel.Kind.DELAYED, FlushModel.emulated(300).kind());
    assertEquals("delayed (emulated, 300 ns per flushed line)", FlushModel.emulated(300).toString());
    assertThrows(IllegalArgumentException.class, () -> FlushModel.emulated(-1));
    assertThrows(IllegalArgumentException.class, () -> new FlushModel(FlushModel.Kind.FREE, 5));
  }
}
