package dev.daxfs.tools.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
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
   * What the turns measured, {@code [op ordinal][subject index][round]}, NaN where the subject
   * does not support the operation: operations per second, and heap bytes the measuring
   * thread allocated per operation.
   */
  record Samples(int rounds, long turnNanos, long warmupNanos, double[][][] opsPerSecond,
      double[][][] allocatedPerOp, long measuringCpuNanos, long backgroundCpuNanos) {
    double[] of(FsOp op, int subject) {
      return opsPerSecond[op.ordinal()][subject];
    }

    double[] allocatedOf(FsOp op, int subject) {
      return allocatedPerOp[op.ordinal()][subject];
    }
  }

  /** One turn's result. */
  record Turn(double opsPerSecond, double allocatedPerOp) {}

  /** Counts the heap bytes the current thread allocates. */
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /**
   * Warms up and measures {@code subjects} for about {@code budgetNanos} in all, never much
   * longer: rounds stop at the deadline once {@link #MIN_ROUNDS} are done.
   *
   * <p>The warm-up takes a fifth of the budget, longer (up to two fifths) while the JIT
   * compilers are still busy: on a shared 2-core machine a compiler thread competing for a core
   * would slow down the first rounds of whatever runs then.
   */
  static Samples measure(List<FsSubject> subjects, long budgetNanos) throws IOException {
    long start = System.nanoTime();
    List<int[]> cells = new ArrayList<>();
    for (FsOp op : FsOp.values()) {
      for (int s = 0; s < subjects.size(); s++) {
        if (subjects.get(s).supports(op)) {
          cells.add(new int[] {op.ordinal(), s});
        }
      }
    }
    long minWarmup = budgetNanos / 5;
    long maxWarmup = 2 * budgetNanos / 5;
    long warmTurn = clamp(minWarmup / (cells.size() * 4L), 1_000_000L, MAX_TURN_NANOS / 4);
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
    while (true) {
      long cycleStart = System.nanoTime();
      long compiledBefore = jitTimed ? jit.getTotalCompilationTime() : 0;
      for (int[] c : cells) {
        turn(subjects.get(c[1]), FsOp.values()[c[0]], warmTurn);
      }
      long now = System.nanoTime();
      long compiling = jitTimed ? (jit.getTotalCompilationTime() - compiledBefore) * 1_000_000L
          : 0;
      boolean settled = compiling * 50 < now - cycleStart;
      if (now - start >= maxWarmup || (now - start >= minWarmup && settled)) {
        break;
      }
    }
    long warmed = System.nanoTime() - start;
    // Garbage left by set-up and warm-up should not be collected during the first round.
    System.gc();

    long measure = Math.max(0, budgetNanos - (System.nanoTime() - start));
    long turnNanos = clamp(measure / ((long) cells.size() * WANTED_ROUNDS), MIN_TURN_NANOS,
        MAX_TURN_NANOS);
    int planned = (int) Math.max(MIN_ROUNDS, measure / (cells.size() * turnNanos));
    double[][][] ops = nans(subjects.size(), planned);
    double[][][] alloc = nans(subjects.size(), planned);
    int n = subjects.size();
    int rounds = 0;
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    long background0 = backgroundCpuNanos();
    while (rounds < planned
        && (rounds < MIN_ROUNDS || System.nanoTime() - start < budgetNanos)) {
      int r = rounds++;
      for (FsOp op : FsOp.values()) {
        for (int k = 0; k < n; k++) {
          int s = (k + r + op.ordinal()) % n;
          FsSubject subject = subjects.get(s);
          if (subject.supports(op)) {
            Turn t = turn(subject, op, turnNanos);
            ops[op.ordinal()][s][r] = t.opsPerSecond();
            alloc[op.ordinal()][s][r] = t.allocatedPerOp();
          }
        }
      }
    }
    return new Samples(rounds, turnNanos, warmed, trim(ops, rounds), trim(alloc, rounds),
        THREADS.getCurrentThreadCpuTime() - cpu0, backgroundCpuNanos() - background0);
  }

  /**
   * CPU time used so far by the filesystem's own threads (named "daxfs-...": the log cleaner,
   * the orphan reaper), which work beside the measuring thread and are not in its figures.
   */
  static long backgroundCpuNanos() {
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("daxfs-")) {
        long ns = THREADS.getThreadCpuTime(t.getId());
        sum += Math.max(0, ns);
      }
    }
    return sum;
  }

  private static double[][][] nans(int subjects, int rounds) {
    double[][][] v = new double[FsOp.values().length][subjects][rounds];
    for (double[][] perOp : v) {
      for (double[] perSubject : perOp) {
        Arrays.fill(perSubject, Double.NaN);
      }
    }
    return v;
  }

  private static double[][][] trim(double[][][] v, int rounds) {
    for (double[][] perOp : v) {
      for (int s = 0; s < perOp.length; s++) {
        perOp[s] = Arrays.copyOf(perOp[s], rounds);
      }
    }
    return v;
  }

  /** Runs batches of {@code op} for about {@code nanos}. */
  static Turn turn(FsSubject subject, FsOp op, long nanos) throws IOException {
    long allocated = THREADS.getCurrentThreadAllocatedBytes();
    long start = System.nanoTime();
    long end = start + nanos;
    long ops = 0;
    long now;
    do {
      subject.run(op, op.batch);
      ops += op.batch;
      now = System.nanoTime();
    } while (now < end);
    double perOp = (double) (THREADS.getCurrentThreadAllocatedBytes() - allocated) / ops;
    return new Turn(ops * 1e9 / (now - start), perOp);
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
