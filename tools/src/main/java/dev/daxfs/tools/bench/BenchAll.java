package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.Json;
import dev.daxfs.tools.mount.RuntimeDir;
import java.awt.AWTError;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs bench all}: every suite in turn, in process, each with a share of one time
 * budget; one combined report (the suites' own reports keyed by name, with the date and the
 * machine) printed as a table or as JSON, and optionally a chart of every ratio against its
 * target as a PNG.
 *
 * <p>A suite that cannot run here (fuse without root, /dev/fuse or bindfs) is skipped with the
 * reason, unless {@code --suites} names it. A suite that fails is reported as failed, the others
 * still run, and the exit status is 1.
 */
@Command(
    name = "all",
    mixinStandardHelpOptions = true,
    description = {
      "Run every suite in turn (pmem, gup, fs, fsync, fuse) and print one combined report with"
          + " the date and the machine; --plot draws every ratio against its target as a PNG.",
      "fuse needs root, /dev/fuse and bindfs: without them it is skipped, saying why, unless"
          + " --suites names it."
    })
public final class BenchAll implements Callable<Integer> {

  /** The suites, in the order they run. */
  static final List<String> SUITES = List.of("pmem", "gup", "fs", "fsync", "fuse");

  /** Measuring seconds per suite by default: the whole run stays within about five minutes. */
  static final int DEFAULT_SECONDS = 30;

  /** Measuring seconds per suite with --quick, unless --seconds says. */
  static final int QUICK_SECONDS = 1;

  /** The most --seconds takes. */
  static final int MAX_SECONDS = 300;

  /** Longest a pmem run may measure (its own limit). */
  private static final int PMEM_MAX_SECONDS = 45;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Option(
      names = "--plot",
      paramLabel = "FILE.png",
      description = "Also draw every ratio of every suite against its target into this PNG.")
  Path plot;

  @Option(
      names = "--seconds",
      paramLabel = "N",
      description = "Measuring time per suite, 1 to " + MAX_SECONDS + " (default "
          + DEFAULT_SECONDS + ", or " + QUICK_SECONDS + " with --quick); set-up adds a few"
          + " seconds per suite, fuse two to three times this, gup a fixed few seconds.")
  Integer seconds;

  @Option(
      names = "--quick",
      description = "A smoke run: small files and regions, few iterations, " + QUICK_SECONDS
          + " s per suite (its figures are not a measurement).")
  boolean quick;

  @Option(
      names = "--suites",
      split = ",",
      paramLabel = "NAME",
      description = "Run only these suites, in the usual order (default: all of them; fuse is"
          + " then skipped where it cannot run, while naming it here makes it required).")
  List<String> suites;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Why the fuse suite cannot run on this machine, or null when it can. */
  private final Supplier<String> fuseCheck;

  public BenchAll() {
    this(() -> fuseMissing(RuntimeDir.uid(), Files.exists(Path.of("/dev/fuse")),
        FuseBench.onPath("bindfs")));
  }

  /** A command that asks {@code fuseCheck} whether fuse can run (tests stand in for root). */
  BenchAll(Supplier<String> fuseCheck) {
    this.fuseCheck = fuseCheck;
  }

  @Override
  public Integer call() throws Exception {
    int budget = seconds != null ? seconds : quick ? QUICK_SECONDS : DEFAULT_SECONDS;
    if (budget < 1 || budget > MAX_SECONDS) {
      throw new IllegalArgumentException("--seconds must be between 1 and " + MAX_SECONDS
          + ", not " + budget);
    }
    List<String> chosen = chosen();
    if (plot != null) {
      checkPlot(plot);
    }
    Map<String, String> skipped = new LinkedHashMap<>();
    String fuseMissing = chosen.contains("fuse") ? fuseCheck.get() : null;
    if (fuseMissing != null) {
      if (suites != null) {
        throw new IllegalStateException("the fuse suite cannot run here: " + fuseMissing);
      }
      chosen.remove("fuse");
      skipped.put("fuse", fuseMissing);
    }

    Machine machine = Machine.probe();
    Instant date = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String loadBefore = FsBench.loadAverage();
    long start = System.nanoTime();
    Map<String, JsonNode> reports = new LinkedHashMap<>();
    Map<String, String> failed = new LinkedHashMap<>();
    Map<String, Double> elapsed = new LinkedHashMap<>();
    for (int i = 0; i < chosen.size(); i++) {
      String name = chosen.get(i);
      progress(name + " (" + (i + 1) + " of " + chosen.size() + ")");
      long t0 = System.nanoTime();
      try {
        reports.put(name, run(name, suiteArgs(name, budget, quick)));
      } catch (Exception e) {
        failed.put(name, sentence(e));
      }
      elapsed.put(name, round1((System.nanoTime() - t0) / 1e9));
    }
    progress(null);

    List<RatioFigure> figures = new ArrayList<>();
    reports.forEach((name, report) -> figures.addAll(RatioFigure.of(name, report)));
    Map<String, Object> combined = new LinkedHashMap<>();
    combined.put("date", date.toString());
    combined.put("machine", machine.toMap());
    combined.put("command", command());
    combined.put("quick", quick);
    combined.put("seconds_per_suite", budget);
    combined.put("load_average_before", loadBefore);
    combined.put("load_average_after", FsBench.loadAverage());
    combined.put("elapsed_s", round1((System.nanoTime() - start) / 1e9));
    combined.put("suite_elapsed_s", elapsed);
    combined.put("suites", reports);
    combined.put("skipped", skipped);
    combined.put("failed", failed);
    combined.put("ratios", ratios(figures));
    combined.put("targets_met", targetsMet(figures));
    String plotFailure = null;
    if (plot != null) {
      List<BenchChart.Panel> panels = new ArrayList<>();
      for (String name : SUITES) {
        if (reports.containsKey(name)) {
          panels.add(new BenchChart.Panel(name, figuresOf(figures, name), null));
        } else if (skipped.containsKey(name)) {
          panels.add(new BenchChart.Panel(name, List.of(), "skipped: " + skipped.get(name)));
        } else if (failed.containsKey(name)) {
          panels.add(new BenchChart.Panel(name, List.of(), "failed: " + failed.get(name)));
        }
      }
      // The figures are printed even when the chart cannot be drawn.
      try {
        BenchChart.write(plot, "daxfs bench all" + (quick ? " --quick (not a measurement)" : ""),
            date + "   " + machine.describe() + "   " + budget + " s per suite", panels);
        combined.put("plot", plot.toString());
      } catch (IOException | RuntimeException | AWTError | LinkageError | InternalError e) {
        // AWT without fonts fails with an Error, not an exception.
        plotFailure = "the chart could not be drawn into " + plot + ": "
            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      }
    }

    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(combined));
    } else {
      printTable(out, combined, machine, figures, skipped, failed);
    }
    out.flush();

    List<String> problems = new ArrayList<>();
    if (plotFailure != null) {
      problems.add(plotFailure);
    }
    failed.forEach((name, why) -> problems.add(name + " failed: " + strip(why)));
    JsonNode fsync = reports.get("fsync");
    if (fsync != null && !fsync.path("stable_data_verified").asBoolean(true)) {
      List<Object> list = new ArrayList<>();
      fsync.path("stable_data_problems").forEach(p -> list.add(p.asText()));
      problems.add("fsync: stable data did not verify: " + FsyncBench.joinedProblems(list));
    }
    if (!problems.isEmpty()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(spec.qualifiedName() + ": " + String.join("; ", problems) + ".");
      err.flush();
      return 1;
    }
    return 0;
  }

  /** The suites to run, in the usual order, from --suites. */
  private List<String> chosen() {
    if (suites == null) {
      return new ArrayList<>(SUITES);
    }
    LinkedHashSet<String> named = new LinkedHashSet<>();
    for (String s : suites) {
      String name = s.strip().toLowerCase(Locale.ROOT);
      if (!SUITES.contains(name)) {
        throw new IllegalArgumentException("--suites: there is no suite '" + s + "'; the suites"
            + " are " + String.join(", ", SUITES));
      }
      named.add(name);
    }
    List<String> ordered = new ArrayList<>(SUITES);
    ordered.retainAll(named);
    return ordered;
  }

  /** Refuses a chart file that could not be written, before anything is measured. */
  static void checkPlot(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString();
    if (!name.toLowerCase(Locale.ROOT).endsWith(".png") || name.length() <= 4) {
      throw new IllegalArgumentException("--plot: " + file + " must name a .png file");
    }
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("--plot: " + file + " is a directory, not a file");
    }
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--plot: the directory " + dir + " does not exist");
    }
    if (!Files.isWritable(dir) || (Files.exists(file) && !Files.isWritable(file))) {
      throw new IllegalArgumentException("--plot: " + file + " cannot be written");
    }
  }

  /**
   * Why the fuse suite cannot run, or null when it can: it mounts daxfs and bindfs through
   * /dev/fuse, and it runs as root so that each sequential read starts with an empty page cache.
   */
  static String fuseMissing(long uid, boolean devFuse, boolean bindfs) {
    List<String> why = new ArrayList<>();
    if (uid != 0) {
      why.add("it runs as root only (it drops the page cache before each sequential read)");
    }
    if (!devFuse) {
      why.add("/dev/fuse is missing (load the fuse module)");
    }
    if (!bindfs) {
      why.add("bindfs, the FUSE peer, is not installed (Debian package bindfs)");
    }
    return why.isEmpty() ? null : String.join("; ", why);
  }

  /** The options each suite runs with for a budget of {@code seconds} measuring seconds. */
  static List<String> suiteArgs(String suite, int seconds, boolean quick) {
    List<String> a = new ArrayList<>();
    switch (suite) {
      case "pmem" -> {
        a.addAll(List.of("--seconds", Integer.toString(Math.min(seconds, PMEM_MAX_SECONDS))));
        if (quick) {
          a.addAll(List.of("--size", "16M"));
        }
      }
      case "gup" -> {
        // Fixed counts: a full run takes a few seconds whatever the budget.
        if (quick) {
          a.add("--quick");
        }
      }
      case "fs" -> {
        a.addAll(List.of("--seconds", Integer.toString(seconds), "--data-checksums"));
        if (quick) {
          a.addAll(List.of("--file-size", "1M", "--region-size", "16M"));
        }
      }
      // The three modes take turns, so each measures a third of the budget.
      case "fsync" -> a.addAll(List.of("--seconds",
          String.format(Locale.ROOT, "%.2f", Math.max(0.05, seconds / 3.0))));
      case "fuse" -> {
        if (quick) {
          a.addAll(List.of("--runs", "1", "--size", "8M", "--creates", "100",
              "--fio-seconds", "1"));
        } else {
          // A run measures every figure on the three targets, fio's two jobs taking most of it:
          // about 20 s at the default budget, plus an untimed warm-up run.
          int fio = seconds >= DEFAULT_SECONDS ? 2 : 1;
          int runs = Math.max(1, Math.min(5, seconds / 10));
          a.addAll(List.of("--runs", Integer.toString(runs), "--size", "128M",
              "--creates", "2000", "--fio-seconds", Integer.toString(fio)));
        }
      }
      default -> throw new IllegalArgumentException("no suite " + suite);
    }
    return a;
  }

  /** Runs one suite in process with {@code args} and returns its report. */
  private JsonNode run(String name, List<String> args) throws Exception {
    BenchSuite suite = switch (name) {
      case "pmem" -> new PmemBench();
      case "gup" -> new GupBench();
      case "fs" -> new FsBench();
      case "fsync" -> new FsyncBench();
      case "fuse" -> new FuseBench();
      default -> throw new IllegalArgumentException("no suite " + name);
    };
    CommandLine cl = new CommandLine(suite);
    cl.setOut(spec.commandLine().getOut());
    cl.setErr(spec.commandLine().getErr());
    cl.parseArgs(args.toArray(String[]::new));
    return suite.report();
  }

  private static List<Map<String, Object>> ratios(List<RatioFigure> figures) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (RatioFigure f : figures) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("suite", f.suite());
      m.put("figure", f.key());
      m.put("value", f.value());
      if (f.bound() != RatioFigure.Bound.NONE) {
        m.put(f.bound() == RatioFigure.Bound.AT_LEAST ? "at_least" : "at_most", f.target());
        m.put("met", f.met());
      }
      list.add(m);
    }
    return list;
  }

  private static String targetsMet(List<RatioFigure> figures) {
    long targets = figures.stream().filter(f -> f.bound() != RatioFigure.Bound.NONE).count();
    long met = figures.stream()
        .filter(f -> f.bound() != RatioFigure.Bound.NONE && f.met()).count();
    return met + " of " + targets;
  }

  private static List<RatioFigure> figuresOf(List<RatioFigure> figures, String suite) {
    return figures.stream().filter(f -> f.suite().equals(suite)).toList();
  }

  private void printTable(PrintWriter out, Map<String, Object> c, Machine machine,
      List<RatioFigure> figures, Map<String, String> skipped, Map<String, String> failed) {
    out.println("daxfs bench all: " + c.get("date")
        + (quick ? " (quick run: not a measurement)" : ""));
    out.println("machine: " + machine.describe());
    out.printf(Locale.ROOT, "budget: %d s of measuring per suite; load average %s before, %s"
        + " after; %.0f s in all%n", c.get("seconds_per_suite"), c.get("load_average_before"),
        c.get("load_average_after"), (Double) c.get("elapsed_s"));
    out.println();
    out.printf(Locale.ROOT, "%-6s %-38s %8s  %-8s %s%n", "suite", "ratio", "value", "target", "");
    for (String name : SUITES) {
      for (RatioFigure f : figuresOf(figures, name)) {
        boolean target = f.bound() != RatioFigure.Bound.NONE;
        out.printf(Locale.ROOT, "%-6s %-38s %8.2f  %-8s %s%n", name, f.label(), f.value(),
            f.targetText(), target ? (f.met() ? "met" : "MISSED") : "");
      }
      if (skipped.containsKey(name)) {
        out.printf(Locale.ROOT, "%-6s skipped: %s%n", name, skipped.get(name));
      }
      if (failed.containsKey(name)) {
        out.printf(Locale.ROOT, "%-6s FAILED: %s%n", name, failed.get(name));
      }
    }
    out.println();
    out.println("targets met: " + c.get("targets_met")
        + "; every figure of every suite: --json");
    if (c.containsKey("plot")) {
      out.println("chart: " + c.get("plot"));
    }
  }

  /** "daxfs bench all" and the options as given. */
  private String command() {
    // The original arguments are the whole command line's: this command's follow its name.
    List<String> args = spec.commandLine().getParseResult().originalArgs();
    int at = args.indexOf(spec.name());
    List<String> words = new ArrayList<>(List.of("daxfs", "bench", "all"));
    words.addAll(at >= 0 ? args.subList(at + 1, args.size()) : args);
    return String.join(" ", words);
  }

  private void progress(String what) {
    if (System.console() == null) {
      return;
    }
    PrintWriter err = spec.commandLine().getErr();
    err.print("\r" + " ".repeat(60) + "\r" + (what == null ? "" : "bench all: " + what + " "));
    err.flush();
  }

  /** An exception as one sentence. */
  private static String sentence(Exception e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      m = "unexpected " + e.getClass().getSimpleName();
    }
    m = m.strip();
    return m.endsWith(".") ? m : m + ".";
  }

  private static String strip(String sentence) {
    return sentence.endsWith(".") ? sentence.substring(0, sentence.length() - 1) : sentence;
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
