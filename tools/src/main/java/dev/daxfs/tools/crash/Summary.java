package dev.daxfs.tools.crash;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Totals over the workloads of a run. Thread-safe: results are added under its monitor. */
public final class Summary {

  /** Violations kept for reports (all are counted). */
  private static final int KEPT = 100;

  private long workloads;
  private long operations;
  private long fences;
  private long points;
  private long crashStates;
  private BigInteger covered = BigInteger.ZERO;
  private long sampledPoints;
  private long violations;
  private long cpuNanos;

  /** The first violations found, described. */
  private final List<Violation> described = new ArrayList<>();

  /** Names of the workloads with violations, in the order reported. */
  private final List<String> failing = new ArrayList<>();

  public synchronized void add(WorkloadResult r) {
    workloads++;
    operations += r.operations();
    fences += r.fences();
    points += r.points();
    crashStates += r.crashStates();
    covered = covered.add(r.covered());
    sampledPoints += r.sampledPoints();
    violations += r.violationCount();
    cpuNanos += r.cpuNanos();
    if (r.violationCount() > 0) {
      failing.add(r.workload());
      for (Violation v : r.violations()) {
        if (described.size() < KEPT) {
          described.add(v);
        }
      }
    }
  }

  public synchronized long workloads() {
    return workloads;
  }

  public synchronized long crashStates() {
    return crashStates;
  }

  public synchronized long violations() {
    return violations;
  }

  public synchronized long fences() {
    return fences;
  }

  public synchronized List<Violation> described() {
    return List.copyOf(described);
  }

  /** Workloads with at least one violation. */
  public synchronized List<String> failingWorkloads() {
    return List.copyOf(failing);
  }

  /** The totals as the command prints them, in order. */
  public synchronized Map<String, Object> toMap(double seconds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("workloads", workloads);
    m.put("operations", operations);
    m.put("fences", fences);
    m.put("crash_points", points);
    m.put("crash_states", crashStates);
    m.put("crash_states_covered", CrashChecker.fmt(covered));
    m.put("sampled_points", sampledPoints);
    m.put("violations", violations);
    m.put("seconds", Math.round(seconds * 10) / 10.0);
    m.put("cpu_seconds", Math.round(cpuNanos / 1e8) / 10.0);
    m.put("crash_states_per_second", seconds <= 0 ? 0 : Math.round(crashStates / seconds));
    return m;
  }
}
