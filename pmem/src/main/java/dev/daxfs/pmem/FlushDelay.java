package dev.daxfs.pmem;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The busy-wait that {@link FlushModel.Kind#DELAYED} adds to a flush: {@code nanosPerLine} for
 * every 64-byte line written back, as a CLWB to real persistent memory costs.
 *
 * <p>A flush spins on the clock until its deadline; the cost of reading the clock once, measured
 * when the delay is created, is taken off so that a short flush is not made longer by the act of
 * timing it. Spinning rather than sleeping keeps the thread on the CPU, as a real write-back does.
 */
final class FlushDelay {

  /** Delay per flushed line, in nanoseconds. */
  private final long nanosPerLine;

  /** The clock spun on: System::nanoTime, or a fake one in tests. */
  private final LongSupplier clock;

  /** What one clock read costs, in nanoseconds; subtracted from every wait. */
  private final long clockCost;

  FlushDelay(long nanosPerLine) {
    this(nanosPerLine, System::nanoTime, measureClockCost());
  }

  FlushDelay(long nanosPerLine, LongSupplier clock, long clockCost) {
    if (nanosPerLine <= 0) {
      throw new IllegalArgumentException("a flush delay must be positive: " + nanosPerLine);
    }
    this.nanosPerLine = nanosPerLine;
    this.clock = clock;
    this.clockCost = clockCost;
  }

  /** Spins for {@code lines} times the per-line delay. */
  void await(long lines) {
    long wait = lines * nanosPerLine - clockCost;
    if (wait <= 0) {
      return;
    }
    long deadline = clock.getAsLong() + wait;
    while (clock.getAsLong() - deadline < 0) {
      Thread.onSpinWait();
    }
  }

  long nanosPerLine() {
    return nanosPerLine;
  }

  long clockCost() {
    return clockCost;
  }

  /** Median cost of one System.nanoTime() call, over a few thousand back-to-back reads. */
  static long measureClockCost() {
    long[] samples = new long[31];
    for (int s = 0; s < samples.length; s++) {
      long start = System.nanoTime();
      long t = start;
      for (int i = 0; i < 100; i++) {
        t = System.nanoTime();
      }
      samples[s] = (t - start) / 100;
    }
    Arrays.sort(samples);
    return samples[samples.length / 2];
  }
}
