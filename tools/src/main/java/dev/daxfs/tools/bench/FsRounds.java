package dev.daxfs.tools.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How {@code daxfs bench fs} spends its time: a warm-up in which every (operation, subject)
 * cell runs in short turns until compiled, then rounds. In each round every operation runs on
 * each subject that supports it for one turn, back to back, the subjects in an order that
 * rotates from round to round; so a slow moment on a shared machine falls on neighbouring
 * turns of the same operation, and a per-round ratio between two subjects compares turns a
 * few hundred milliseconds apart at most.
 */
final class FsRounds {
  private FsRounds() {}

  /** Longest measured turn. */
  static final long MAX_TURN_NANOS = 100_000_000L;

  /** Shortest measured turn (tiny budgets, tests). */
  static final long MIN_TURN_NANOS = 5_000_000L;

  /** Fewest rounds, whatever the budget. */
  static final int MIN_ROUNDS = 5;

  /** Rounds aimed at when the budget allows them at full turn length. */
  static final int WANTED_ROUNDS = 10;

  /**
   * Operations per second of each turn: {@code [op ordinal][subject index][round]}, NaN where
   * the subject does not support the operation.
   */
  record Samples(int rounds, long turnNanos, long warmupNanos, double[][][] opsPerSecond) {
    double[] of(FsOp op, int subject) {
      return opsPerSecond[op.ordinal()][subject];
    }
  }

  /** Warms up and measures {@code subjects} for about {@code budgetNanos} in all. */
  static Samples measure(List<FsSubject> subjects, long budgetNanos) throws IOException {
    List<int[]> cells = new ArrayList<>();
    for (FsOp op : FsOp.values()) {
      for (int s = 0; s < subjects.size(); s++) {
        if (subjects.get(s).supports(op)) {
          cells.add(new int[] {op.ordinal(), s});
        }
      }
    }
    long warmup = budgetNanos / 5;
    long warmTurn = clamp(warmup / (cells.size() * 4L), 1_000_000L, MAX_TURN_NANOS / 4);
    long warmStart = System.nanoTime();
    while (System.nanoTime() - warmStart < warmup) {
      for (int[] c : cells) {
        turn(subjects.get(c[1]), FsOp.values()[c[0]], warmTurn);
      }
    }
    long warmed = System.nanoTime() - warmStart;
    // Garbage left by set-up and warm-up should not be collected during the first round.
    System.gc();

    long measure = Math.max(0, budgetNanos - warmed);
    long turnNanos = clamp(measure / ((long) cells.size() * WANTED_ROUNDS), MIN_TURN_NANOS,
        MAX_TURN_NANOS);
    int rounds = (int) Math.max(MIN_ROUNDS, measure / (cells.size() * turnNanos));
    double[][][] samples = new double[FsOp.values().length][subjects.size()][rounds];
    for (double[][] perOp : samples) {
      for (double[] perSubject : perOp) {
        Arrays.fill(perSubject, Double.NaN);
      }
    }
    int n = subjects.size();
    for (int r = 0; r < rounds; r++) {
      for (FsOp op : FsOp.values()) {
        for (int k = 0; k < n; k++) {
          int s = (k + r + op.ordinal()) % n;
          FsSubject subject = subjects.get(s);
          if (subject.supports(op)) {
            samples[op.ordinal()][s][r] = turn(subject, op, turnNanos);
          }
        }
      }
    }
    return new Samples(rounds, turnNanos, warmed, samples);
  }

  /** Runs batches of {@code op} for about {@code nanos}; returns operations per second. */
  static double turn(FsSubject subject, FsOp op, long nanos) throws IOException {
    long start = System.nanoTime();
    long end = start + nanos;
    long ops = 0;
    long now;
    do {
      subject.run(op, op.batch);
      ops += op.batch;
      now = System.nanoTime();
    } while (now < end);
    return ops * 1e9 / (now - start);
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  // ---- statistics ----------------------------------------------------------------------

  /** The {@code q}-quantile (0 to 1) of the non-NaN values, interpolating between ranks. */
  static double quantile(double[] values, double q) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    double rank = q * (v.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = (int) Math.ceil(rank);
    return v[lo] + (v[hi] - v[lo]) * (rank - lo);
  }

  static double median(double[] values) {
    return quantile(values, 0.5);
  }

  /** Element-wise {@code a[i] / b[i]}. */
  static double[] ratios(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i] / b[i];
    }
    return r;
  }
}
