package dev.daxfs.tests;

import dev.daxfs.tools.crash.CheckOptions;
import dev.daxfs.tools.crash.CrashChecker;
import dev.daxfs.tools.crash.Injection;
import dev.daxfs.tools.crash.ReplayCommand;
import dev.daxfs.tools.crash.Summary;
import dev.daxfs.tools.crash.Violation;
import dev.daxfs.tools.crash.Workload;
import dev.daxfs.tools.crash.WorkloadResult;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the crash-consistency suites share: their budgets (system properties), the options they
 * check with, and running a set of workloads.
 */
final class CrashSuite {
  private CrashSuite() {}

  /** Most crash images mounted per crash point. */
  static final String MAX_IMAGES = "daxfs.crash.maxImages";

  /**
   * A bug to re-introduce in every suite (an {@link Injection} name): how to see a suite fail,
   * e.g. {@code -Ddaxfs.crash.inject=unlink-wrong-order}. An injection that needs data
   * checksums turns them on in every suite.
   */
  static final String INJECT = "daxfs.crash.inject";

  static int intProperty(String name, int fallback) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    int n = Integer.parseInt(v.trim());
    if (n < 0) {
      throw new IllegalArgumentException(name + " must not be negative, not " + n);
    }
    return n;
  }

  /** The options every suite checks with. */
  static CheckOptions options() {
    String inject = System.getProperty(INJECT, "");
    Injection injection = inject.isBlank() ? null : Injection.of(inject);
    return CheckOptions.defaults()
        .withMaxImages(Math.max(2, intProperty(MAX_IMAGES, 256)))
        .withInjection(injection)
        .withDataChecksums(injection != null && injection.needsDataChecksums());
  }

  /** Checks {@code workloads} with {@code options}. */
  static Summary run(List<Workload> workloads, CheckOptions options) {
    Summary s = new Summary();
    results(workloads, options, s);
    return s;
  }

  /** Checks {@code workloads} with {@code options}, adding each result to {@code s}. */
  static List<WorkloadResult> results(List<Workload> workloads, CheckOptions options,
      Summary s) {
    try (CrashChecker c = new CrashChecker(options)) {
      return c.checkAll(workloads, s::add);
    }
  }

  /** The workloads whose names match {@code regex}. */
  static List<Workload> matching(List<Workload> workloads, String regex) {
    Pattern p = Pattern.compile(regex);
    return workloads.stream().filter(w -> p.matcher(w.name()).find()).toList();
  }

  /**
   * The violations found, for an assertion message, each with the command line that replays
   * it ({@code set} names the workloads' set for {@code --workload}).
   */
  static String describe(Summary s, String set, CheckOptions options) {
    StringBuilder b = new StringBuilder();
    b.append(s.violations()).append(" violations in ").append(s.failingWorkloads());
    for (Violation v : s.described()) {
      b.append("\n").append(v.describe(ReplayCommand.line(set, options, v)));
    }
    return b.toString();
  }
}
