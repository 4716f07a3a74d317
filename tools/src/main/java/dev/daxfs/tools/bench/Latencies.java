package dev.daxfs.tools.bench;

import java.util.Arrays;

/**
 * Every latency one thread recorded, in nanoseconds, kept whole so that percentiles are exact.
 * Not thread-safe: one recording thread, read after it finished.
 */
final class Latencies {

  /** Recorded values; the first {@link #count} are in use. */
  private long[] nanos = new long[1 << 12];

  /** How many values were recorded. */
  private int count;

  void add(long value) {
    if (count == nanos.length) {
      if (count == Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("more latencies than one array holds");
      }
      nanos = Arrays.copyOf(nanos, (int) Math.min(Integer.MAX_VALUE - 8, 2L * count));
    }
    nanos[count++] = value;
  }

  int count() {
    return count;
  }

  /** The nearest-rank percentile {@code p} (0 < p <= 100) in microseconds; NaN when empty. */
  double percentileMicros(double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("a percentile lies in (0, 100], not " + p);
    }
    if (count == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100 * count);
    return sorted[Math.max(0, rank - 1)] / 1e3;
  }

  /** The mean in microseconds; NaN when empty. */
  double meanMicros() {
    if (count == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = 0; i < count; i++) {
      sum += nanos[i];
    }
    return sum / count / 1e3;
  }
}
