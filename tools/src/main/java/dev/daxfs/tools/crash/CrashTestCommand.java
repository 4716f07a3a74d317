package dev.daxfs.tools.crash;

import dev.daxfs.tools.Json;
import dev.daxfs.tools.ProgressBar;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs crashtest}: checks crash consistency at every fence of every workload of a set
 * (docs/WORKLOADS.md describes the language and the sets).
 *
 * <p>Exit status: 0 when no violation was found; 1 when one was. With {@code --inject} the
 * other way round: 0 when the injected bug was caught (violations > 0), 1 when it went
 * unnoticed. 2 for a usage error.
 */
@Command(
    name = "crashtest",
    mixinStandardHelpOptions = true,
    description = "Run workloads on daxfs over a crash-recording region and check every crash "
        + "image of every fence: recovery mounts, fsck is clean, the tree is the state before "
        + "or after the operation that was running (every completed one durable), and the "
        + "filesystem stays usable. Prints workloads, operations, fences, crash_states, "
        + "violations, seconds. Exit status 0 when nothing was found (with --inject: when the "
        + "bug was caught), 1 otherwise, 2 for a usage error. See docs/WORKLOADS.md.")
public final class CrashTestCommand implements Callable<Integer> {

  @Option(names = {"--workload", "--workload-file"}, paramLabel = "SET|FILE|DIR",
      description = "seq1 (default), seq2, random, a workload file, or a directory of them "
          + "(--workload-file is the same option).")
  String workload = "seq1";

  @Option(names = "--seed", paramLabel = "S",
      description = "Seed of seq2's sample, of random workloads and of sampled images "
          + "(default 0).")
  long seed;

  @Option(names = "--count", paramLabel = "N",
      description = "Workloads drawn for seq2 (default 300) and random (default 100).")
  Integer count;

  @Option(names = "--all", description = "seq2: every pair of operations, not a sample.")
  boolean all;

  @Option(names = "--max-images", paramLabel = "N",
      description = "Most crash images mounted per crash point (default 256); images beyond "
          + "are sampled.")
  int maxImages = CheckOptions.defaults().maxImages();

  @Option(names = "--inject", paramLabel = "NAME",
      description = "Re-introduce a known bug in daxfs ('list' prints their names).")
  String inject;

  @Option(names = "--only", paramLabel = "REGEX",
      description = "Check only the workloads whose names match (a Java regular expression, "
          + "found anywhere in the name).")
  String only;

  @Option(names = "--replay", paramLabel = "ID",
      description = "Check one workload (NAME), one crash point (NAME@FENCE or NAME@end) or "
          + "one crash image (NAME@FENCE:IMAGE) alone and print every detail, with the same "
          + "--workload, --seed, --inject, --data-checksums and --torn as the run that "
          + "reported it (each violation's report ends with that whole command line).")
  String replay;

  @Option(names = "--list", description = "Print the names of the set's workloads and stop.")
  boolean list;

  @Option(names = "--torn",
      description = "Tear in-flight lines into 8-byte words (only aligned 8-byte stores are "
          + "failure-atomic): more crash states per point.")
  boolean torn;

  @Option(names = "--data-checksums", description = "Format with per-block data checksums.")
  boolean dataChecksums;

  @Option(names = "--threads", paramLabel = "N",
      description = "Workloads checked at once (default: one per core).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Violations a text report describes. */
  private static final int SHOWN = 10;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if ("list".equals(inject)) {
      for (Injection i : Injection.values()) {
        out.println(i.cliName());
      }
      return 0;
    }
    Injection injection = null;
    if (inject != null) {
      try {
        injection = Injection.of(inject);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      if (injection.needsDataChecksums() && !dataChecksums) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--inject "
            + injection.cliName() + " needs --data-checksums: without them the bug does no "
            + "harm");
      }
    }
    if (maxImages < 2 || threads < 1 || (count != null && count < 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--max-images must be at least 2, --threads at least 1 and --count not negative");
    }
    CheckOptions options = CheckOptions.defaults().withSeed(seed).withMaxImages(maxImages)
        .withTorn(torn).withInjection(injection).withDataChecksums(dataChecksums)
        .withThreads(threads);
    if (replay != null) {
      return replay(options, out);
    }
    List<Workload> workloads = select(WorkloadSets.resolve(workload, seed, drawn()));
    if (list) {
      for (Workload w : workloads) {
        out.println(w.name());
      }
      return 0;
    }
    Summary summary = new Summary();
    long t0 = System.nanoTime();
    try (CrashChecker checker = new CrashChecker(options);
        ProgressBar bar = ProgressBar.onTerminal()) {
      int total = workloads.size();
      checker.checkAll(workloads, r -> {
        summary.add(r);
        synchronized (bar) {
          bar.update("crashtest " + workload + (summary.violations() > 0 ? " ("
              + summary.violations() + " violations)" : ""), summary.workloads(), total);
        }
      });
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    report(out, workloads, summary, seconds, options);
    boolean found = summary.violations() > 0;
    if (injection != null && !found) {
      spec.commandLine().getErr().println("daxfs crashtest: the injected bug "
          + injection.cliName() + " went unnoticed.");
    }
    return injection == null ? (found ? 1 : 0) : (found ? 0 : 1);
  }

  /** How many workloads a drawn set gets: --count, else 300 pairs or 100 random ones. */
  private int drawn() {
    if (workload.equals("seq2") && all) {
      return -1;
    }
    if (count != null) {
      return count;
    }
    return workload.equals("random") ? 100 : 300;
  }

  private List<Workload> select(List<Workload> workloads) {
    if (only == null) {
      return workloads;
    }
    Pattern p;
    try {
      p = Pattern.compile(only);
    } catch (PatternSyntaxException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--only '" + only
          + "' is not a regular expression: " + e.getDescription());
    }
    List<Workload> out = new ArrayList<>();
    for (Workload w : workloads) {
      if (p.matcher(w.name()).find()) {
        out.add(w);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no workload of " + workload + " matches --only '"
          + only + "'");
    }
    return out;
  }

  private int replay(CheckOptions options, PrintWriter out) {
    int at = replay.indexOf('@');
    String name = at < 0 ? replay : replay.substring(0, at);
    String target = at < 0 ? "" : replay.substring(at + 1);
    if (!target.isEmpty() && !target.matches("(end|[0-9]+)(:[0-9a-f]+)?")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--replay takes NAME, "
          + "NAME@FENCE, NAME@end or NAME@FENCE:IMAGE (IMAGE in hexadecimal), not '" + replay
          + "'");
    }
    Workload w = WorkloadSets.named(workload, name, seed);
    out.println("workload " + w.name() + ":");
    int k = 0;
    if (!w.setup().isEmpty()) {
      out.println("  (after the setup of " + w.setup().size() + " operations)");
    }
    for (Op op : w.ops()) {
      out.println("  op " + (++k) + ": " + op);
    }
    WorkloadResult r;
    try (CrashChecker checker = new CrashChecker(options.withThreads(1))) {
      r = checker.replay(w, target, out);
    }
    out.println(r.violationCount() == 0 ? "no violation" : r.violationCount()
        + " violation" + (r.violationCount() == 1 ? "" : "s"));
    return r.violationCount() == 0 ? 0 : 1;
  }

  private void report(PrintWriter out, List<Workload> workloads, Summary summary,
      double seconds, CheckOptions options) {
    Injection injection = options.injection();
    Map<String, Object> totals = summary.toMap(seconds);
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("workload_set", workload);
      m.put("seed", seed);
      m.put("injection", injection == null ? null : injection.cliName());
      m.putAll(totals);
      m.put("failing_workloads", summary.failingWorkloads());
      m.put("violation_details", summary.described().stream().map(v -> {
        Map<String, Object> d = v.toMap();
        d.put("replay_command", ReplayCommand.line(workload, options, v));
        return d;
      }).toList());
      if (workloads.stream().anyMatch(w -> w.cell() != null)) {
        m.put("coverage", Seq1.coverage(workloads));
      }
      out.println(Json.write(m));
      return;
    }
    List<Violation> shown = summary.described();
    for (int i = 0; i < Math.min(SHOWN, shown.size()); i++) {
      Violation v = shown.get(i);
      out.println(v.describe(ReplayCommand.line(workload, options, v)));
    }
    if (shown.size() > SHOWN) {
      out.println("(" + (summary.violations() - SHOWN) + " more violations; --json lists "
          + shown.size() + ")");
    }
    if (injection != null) {
      out.println("injection    " + injection.cliName() + ": " + injection.description());
    }
    for (Map.Entry<String, Object> e : totals.entrySet()) {
      out.printf("%-24s %s%n", e.getKey(), e.getValue());
    }
  }
}
