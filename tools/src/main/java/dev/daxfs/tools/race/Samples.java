package dev.daxfs.tools.race;

import java.util.Arrays;

/** Durations collected over a run, in nanoseconds, and their percentiles in microseconds. */
final class Samples {

  /** The samples; the first {@link #n} are used. */
  private long[] values = new long[64];

  /** Samples taken. */
  private int n;

  void add(long nanos) {
    if (n == values.length) {
      values = Arrays.copyOf(values, n * 2);
    }
    values[n++] = nanos;
  }

  int count() {
    return n;
  }

  /**
   * The {@code p}th percentile (nearest rank) in microseconds, rounded to 0.1, or null when
   * there are no samples.
   */
  Double percentileMicros(double p) {
    if (n == 0) {
      return null;
    }
    long[] sorted = Arrays.copyOf(values, n);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * n);
    long v = sorted[Math.max(0, Math.min(n - 1, rank - 1))];
    return Math.round(v / 100.0) / 10.0;
  }

  /** The largest sample in microseconds, or null. */
  Double maxMicros() {
    return percentileMicros(100);
  }
}
