package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.Sizes;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one {@code daxfs bench fs} run: medians and interquartile spreads of every
 * (operation, subject) cell, daxfs's ratios against each baseline, the targets, and
 * the mount measurement when it ran. Prints them as a table or as one JSON object.
 */
final class FsReport {

  /** The subject whose ratios the targets judge. */
  static final String DAXFS = "daxfs";

  /** daxfs with data checksums, when measured. */
  static final String DAXFS_CRC = "daxfs_crc";

  /** The baselines, in the order ratios are listed. */
  static final List<String> BASELINES = List.of("raw", "jimfs", "tmpfs");

  /** A ratio the issue sets a floor for. */
  record Target(String figure, double floor) {}

  /** The targets: reads 0.7 of raw, writes 0.5, jimfs everywhere, tmpfs for creates. */
  static final List<Target> TARGETS = List.of(
      new Target("rand_read_4k_ratio_vs_raw", 0.7),
      new Target("seq_read_1m_ratio_vs_raw", 0.7),
      new Target("rand_write_4k_ratio_vs_raw", 0.5),
      new Target("seq_write_1m_ratio_vs_raw", 0.5),
      new Target("rand_write_4k_ratio_vs_jimfs", 1.0),
      new Target("rand_read_4k_ratio_vs_jimfs", 1.0),
      new Target("seq_write_1m_ratio_vs_jimfs", 1.0),
      new Target("seq_read_1m_ratio_vs_jimfs", 1.0),
      new Target("create_ratio_vs_jimfs", 1.0),
      new Target("create_ratio_vs_tmpfs", 1.0));

  /** A median with its 25th and 75th percentiles. */
  record Figure(double median, double p25, double p75) {
    static Figure of(double[] values) {
      return new Figure(FsRounds.median(values), FsRounds.quantile(values, 0.25),
          FsRounds.quantile(values, 0.75));
    }

    Figure scaled(FsOp op) {
      return new Figure(op.scale(median), op.scale(p25), op.scale(p75));
    }
  }

  /** The flush model of every emulated region in the run. */
  private final FlushModel model;

  /** Size of each of a subject's two data files. */
  private final long fileBytes;

  /** Size of daxfs's region. */
  private final long regionBytes;

  /** The time budget asked for. */
  private final int seconds;

  /** /proc/loadavg when the run started and when it ended: how noisy the machine was. */
  private final String loadBefore;

  private final String loadAfter;

  /** Subject name to its description, in measuring order. */
  private final Map<String, String> subjects;

  /** What every turn measured. */
  private final FsRounds.Samples samples;

  /** Persistence work per operation, by subject name. */
  private final Map<String, Map<FsOp, PersistCounts.PerOp>> persistence;

  /** The mount measurement, or null. */
  private final MountBench.Result mount;

  /** Absolute figures by JSON key, in the op's unit. */
  private final Map<String, Figure> figures = new LinkedHashMap<>();

  /** Heap bytes allocated per operation by "subject_op", medians. */
  private final Map<String, Double> allocated = new LinkedHashMap<>();

  /** Ratios by JSON key. */
  private final Map<String, Figure> ratios = new LinkedHashMap<>();

  FsReport(FlushModel model, long fileBytes, long regionBytes, int seconds, String loadBefore,
      String loadAfter, Map<String, String> subjects, FsRounds.Samples samples,
      Map<String, Map<FsOp, PersistCounts.PerOp>> persistence, MountBench.Result mount) {
    this.model = model;
    this.fileBytes = fileBytes;
    this.regionBytes = regionBytes;
    this.seconds = seconds;
    this.loadBefore = loadBefore;
    this.loadAfter = loadAfter;
    this.subjects = subjects;
    this.samples = samples;
    this.persistence = persistence;
    this.mount = mount;
    List<String> names = new ArrayList<>(subjects.keySet());
    for (FsOp op : FsOp.values()) {
      for (int s = 0; s < names.size(); s++) {
        double[] v = samples.of(op, s);
        if (!Double.isNaN(v[0])) {
          figures.put(figureKey(names.get(s), op), Figure.of(v).scaled(op));
          allocated.put(names.get(s) + "_" + op.key, FsRounds.median(samples.allocatedOf(op, s)));
        }
      }
    }
    for (FsOp op : FsOp.values()) {
      addRatios(op, names, DAXFS, op.key + "_ratio_vs_");
    }
    if (names.contains(DAXFS_CRC)) {
      for (FsOp op : FsOp.values()) {
        addRatios(op, names, DAXFS_CRC, op.key + "_crc_ratio_vs_");
        ratios.put(op.key + "_crc_ratio_vs_daxfs", Figure.of(FsRounds.ratios(
            samples.of(op, names.indexOf(DAXFS_CRC)), samples.of(op, names.indexOf(DAXFS)))));
      }
    }
  }

  private void addRatios(FsOp op, List<String> names, String subject, String prefix) {
    double[] mine = samples.of(op, names.indexOf(subject));
    for (String base : BASELINES) {
      int b = names.indexOf(base);
      if (b >= 0 && !Double.isNaN(samples.of(op, b)[0])) {
        ratios.put(prefix + base, Figure.of(FsRounds.ratios(mine, samples.of(op, b))));
      }
    }
  }

  static String figureKey(String subject, FsOp op) {
    return subject + "_" + op.key + "_" + op.unit();
  }

  Figure ratio(String key) {
    return ratios.get(key);
  }

  Figure figure(String key) {
    return figures.get(key);
  }

  private static double round(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    return BigDecimal.valueOf(v).round(new java.math.MathContext(4, RoundingMode.HALF_EVEN))
        .doubleValue();
  }

  // ---- JSON ----------------------------------------------------------------------------

  ObjectNode toJson() {
    ObjectMapper m = new ObjectMapper();
    ObjectNode o = m.createObjectNode();
    o.put("suite", "fs");
    o.put("flush_model", model.toString());
    o.put("flush_delay_ns", model.nanosPerLine());
    o.put("load_average_before", loadBefore);
    o.put("load_average_after", loadAfter);
    o.put("cpus", Runtime.getRuntime().availableProcessors());
    o.put("java", Runtime.version().toString());
    o.put("file_bytes", fileBytes);
    o.put("region_bytes", regionBytes);
    o.put("seconds", seconds);
    o.put("rounds", samples.rounds());
    o.put("turn_ms", round(samples.turnNanos() / 1e6));
    o.put("warmup_ms", round(samples.warmupNanos() / 1e6));
    o.put("measuring_cpu_s", round(samples.measuringCpuNanos() / 1e9));
    o.put("daxfs_background_cpu_s", round(samples.backgroundCpuNanos() / 1e9));
    ObjectNode subj = o.putObject("subjects");
    subjects.forEach(subj::put);
    for (Map.Entry<String, Figure> f : figures.entrySet()) {
      o.put(f.getKey(), round(f.getValue().median()));
    }
    for (Map.Entry<String, Figure> r : ratios.entrySet()) {
      o.put(r.getKey(), round(r.getValue().median()));
    }
    ObjectNode alloc = o.putObject("allocated_bytes_per_op");
    allocated.forEach((k, v) -> alloc.put(k, Math.round(v)));
    ObjectNode persist = o.putObject("persistence_per_op");
    persistence.forEach((subject, perOp) -> perOp.forEach((op, c) -> {
      ObjectNode n = persist.putObject(subject + "_" + op.key);
      n.put("stored_bytes", round(c.storedBytes()));
      n.put("flushed_lines", round(c.flushedLines()));
      n.put("fences", round(c.fences()));
      n.put("background_flushed_lines", round(c.backgroundFlushedLines()));
      n.put("background_fences", round(c.backgroundFences()));
    }));
    ObjectNode spread = o.putObject("spread");
    Map<String, Figure> all = new LinkedHashMap<>(figures);
    all.putAll(ratios);
    all.forEach((k, f) -> spread.putArray(k).add(round(f.p25())).add(round(f.p75())));
    ArrayNode targets = o.putArray("targets");
    int met = 0;
    for (Target t : TARGETS) {
      double v = ratios.get(t.figure()).median();
      boolean ok = v >= t.floor();
      met += ok ? 1 : 0;
      ObjectNode tn = targets.addObject();
      tn.put("figure", t.figure());
      tn.put("value", round(v));
      tn.put("at_least", t.floor());
      tn.put("met", ok);
    }
    o.put("targets_met", met + " of " + TARGETS.size());
    if (mount != null) {
      o.put("mount_files", mount.files());
      o.put("mount_dirs", mount.dirs());
      o.put("mount_region_bytes", mount.regionBytes());
      o.put("mount_populate_files_per_s", round(mount.files() / mount.populateSeconds()));
      o.put("mount_clean_ms", round(mount.cleanMedianMillis()));
      o.put("mount_crash_ms", round(mount.crashMedianMillis()));
      ArrayNode cr = o.putArray("mount_clean_ms_runs");
      for (long n : mount.cleanNanos()) {
        cr.add(round(n / 1e6));
      }
      ArrayNode kr = o.putArray("mount_crash_ms_runs");
      for (long n : mount.crashNanos()) {
        kr.add(round(n / 1e6));
      }
      o.put("mount_clean_reason", mount.clean().reason());
      o.put("mount_crash_reason", mount.crash().reason());
      o.put("mount_crash_inodes_scanned", mount.crash().inodesScanned());
    }
    return o;
  }

  // ---- table ---------------------------------------------------------------------------

  void printTable(PrintWriter out) {
    out.println("daxfs bench fs: two " + Sizes.format(fileBytes) + " data files per subject (random,"
        + " sequential), daxfs region " + Sizes.format(regionBytes));
    out.println("flush model: " + model);
    out.printf(Locale.ROOT, "load average: %s before, %s after (%d CPUs); %d rounds of %.0f ms"
        + " turns after %.1f s of warm-up%n", loadBefore, loadAfter,
        Runtime.getRuntime().availableProcessors(), samples.rounds(),
        samples.turnNanos() / 1e6, samples.warmupNanos() / 1e9);
    out.printf(Locale.ROOT, "CPU during the rounds: %.1f s measuring, %.1f s in daxfs's background"
        + " threads (log cleaner, reaper), which no figure includes%n",
        samples.measuringCpuNanos() / 1e9, samples.backgroundCpuNanos() / 1e9);
    subjects.forEach((k, v) -> out.printf(Locale.ROOT, "  %-10s %s%n", k, v));
    out.println();
    List<String> names = new ArrayList<>(subjects.keySet());
    out.printf(Locale.ROOT, "%-46s", "median (p25..p75)");
    for (String n : names) {
      out.printf(Locale.ROOT, " %22s", n);
    }
    out.println();
    for (FsOp op : FsOp.values()) {
      out.printf(Locale.ROOT, "%-46s", op.label + (op.inMibPerSecond() ? ", MiB/s" : ", kops/s"));
      for (String n : names) {
        Figure f = figures.get(figureKey(n, op));
        out.printf(Locale.ROOT, " %22s", f == null ? "-" : cell(f));
      }
      out.println();
    }
    out.printf(Locale.ROOT, "%-46s", "heap bytes allocated per op");
    for (String n : names) {
      StringBuilder b = new StringBuilder();
      for (FsOp op : FsOp.values()) {
        Double a = allocated.get(n + "_" + op.key);
        b.append(b.length() == 0 ? "" : "/").append(a == null ? "-" : Long.toString(Math.round(a)));
      }
      out.printf(Locale.ROOT, " %22s", b);
    }
    out.println();
    out.println("  (in the order of the rows above)");
    out.println();
    out.printf(Locale.ROOT, "%-40s %8s %18s  %s%n", "ratio", "median", "p25..p75", "target");
    for (Map.Entry<String, Figure> r : ratios.entrySet()) {
      String target = "";
      for (Target t : TARGETS) {
        if (t.figure().equals(r.getKey())) {
          target = String.format(Locale.ROOT, ">= %.1f %s", t.floor(),
              r.getValue().median() >= t.floor() ? "met" : "MISSED");
        }
      }
      out.printf(Locale.ROOT, "%-40s %8.3f %18s  %s%n", r.getKey(), r.getValue().median(),
          String.format(Locale.ROOT, "%.3f..%.3f", r.getValue().p25(), r.getValue().p75()),
          target);
    }
    if (!persistence.isEmpty()) {
      out.println();
      out.println("persistence per operation (counted in an untimed run; a raw 4 KiB store+persist"
          + " is 4096 bytes, 64 lines, 1 fence):");
      out.printf(Locale.ROOT, "  %-34s %14s %14s %10s %26s%n", "", "stored bytes",
          "flushed lines", "fences", "background lines/fences");
      persistence.forEach((subject, perOp) -> perOp.forEach((op, c) ->
          out.printf(Locale.ROOT, "  %-34s %14.0f %14.1f %10.1f %26s%n", subject + " " + op.key,
              c.storedBytes(), c.flushedLines(), c.fences(),
              num(c.backgroundFlushedLines()) + " / " + num(c.backgroundFences()))));
    }
    if (mount != null) {
      out.println();
      out.printf(Locale.ROOT, "mount with %d files in %d directories (%s region; populated at"
          + " %.0f files/s):%n", mount.files(), mount.dirs(), Sizes.format(mount.regionBytes()),
          mount.files() / mount.populateSeconds());
      out.printf(Locale.ROOT, "  after a clean unmount  %10.1f ms  (%s)%n",
          mount.cleanMedianMillis(), mount.clean().reason());
      out.printf(Locale.ROOT, "  after a crash          %10.1f ms  (%s)%n",
          mount.crashMedianMillis(), mount.crash().reason());
    }
  }

  private static String cell(Figure f) {
    return num(f.median()) + " (" + num(f.p25()) + ".." + num(f.p75()) + ")";
  }

  /** Three significant digits or more, never an exponent. */
  static String num(double v) {
    double a = Math.abs(v);
    String fmt = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f";
    return String.format(Locale.ROOT, fmt, v);
  }
}
