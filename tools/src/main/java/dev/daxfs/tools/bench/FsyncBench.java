package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.fs.MountOptions.PinnedFsync;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import dev.daxfs.tools.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs bench fsync}: what fsync of a 1 MiB range costs while a device keeps pinning it
 * short-term, under pinned_fsync=wait and pinned_fsync=proceed, against the baseline of the
 * same range with no device, all in one run. Each mode has its own filesystem with data
 * checksums; the modes take turns round by round so that each sees the same machine. After the
 * last turn the device stops, one fsync runs, and every block must verify again.
 */
@Command(
    name = "fsync",
    mixinStandardHelpOptions = true,
    description = {
      "fsync of a 1 MiB range a device keeps pinning, pinned_fsync=wait and proceed.",
      "The device pins all 256 pages for write, holds them, writes them and unpins them, again"
          + " and again; each mode has its own filesystem with data checksums, and the baseline"
          + " is fsync of the same range with no device.",
      "Reports fsync p50, p99 and mean, fsyncs per second, the blocks left stale, the ratios"
          + " to the baseline, and that every block verifies once the device stopped."
    })
public final class FsyncBench implements Callable<Integer>, BenchSuite {

  /** The measuring time is cut into turns of about this long, in seconds. */
  static final double TURN_SECONDS = 0.5;

  /** The modes, in the order of the report; the first is the baseline. */
  static final List<String> MODES = List.of("baseline", "wait", "proceed");

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Option(
      names = "--seconds",
      defaultValue = "2",
      description = "Measuring time per mode, 0.05 to 300 (default ${DEFAULT-VALUE}); warm-up"
          + " and set-up add a little.")
  double seconds;

  @Option(
      names = "--hold-us",
      defaultValue = "200",
      description = "How long each transfer holds the pages pinned before it writes and unpins,"
          + " microseconds, 0 to 1000000 (default ${DEFAULT-VALUE}).")
  long holdMicros;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> report = run();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(report));
    } else {
      print(out, report);
    }
    out.flush();
    List<?> failures = (List<?>) report.get("stable_data_problems");
    if (!failures.isEmpty()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("daxfs fsync: stable data did not verify: " + joinedProblems(failures) + ".");
      err.flush();
      return 1;
    }
    return 0;
  }

  @Override
  public JsonNode report() throws Exception {
    return Json.mapper().valueToTree(run());
  }

  /** What {@code stable_data_problems} lists, as one clause. */
  static String joinedProblems(List<?> problems) {
    StringBuilder b = new StringBuilder();
    for (Object p : problems) {
      b.append(b.length() == 0 ? "" : "; ").append(p);
    }
    return b.toString();
  }

  /** Checks the options, measures, and returns the report, figures by name. */
  private Map<String, Object> run() throws Exception {
    if (!(seconds >= 0.05 && seconds <= 300)) {
      throw new IllegalArgumentException("--seconds must be between 0.05 and 300, not "
          + seconds);
    }
    if (holdMicros < 0 || holdMicros > 1_000_000) {
      throw new IllegalArgumentException("--hold-us must be between 0 and 1000000, not "
          + holdMicros);
    }
    checkSpace(MODES.size() * FsyncSubject.REGION_BYTES);
    int rounds = (int) Math.max(1, Math.round(seconds / TURN_SECONDS));
    long turnNanos = (long) (seconds * 1e9 / rounds);
    long warmupNanos = Math.min(turnNanos, (long) (TURN_SECONDS * 1e9 / 2));
    String loadBefore = FsBench.loadAverage();
    Duration hold = Duration.ofNanos(holdMicros * 1000);

    Map<String, FsyncSubject.Released> released = new LinkedHashMap<>();
    List<FsyncSubject> subjects = new ArrayList<>();
    Gup gup = new Gup();
    String described;
    FlushModel model;
    try (DmaEmulator dma = new DmaEmulator(gup, 1)) {
      try {
        subjects.add(FsyncSubject.open(MODES.get(0), PinnedFsync.WAIT, null, hold));
        subjects.add(FsyncSubject.open(MODES.get(1), PinnedFsync.WAIT, dma, hold));
        subjects.add(FsyncSubject.open(MODES.get(2), PinnedFsync.PROCEED, dma, hold));
        described = subjects.get(0).describe();
        model = subjects.get(0).flushModel();
        for (FsyncSubject s : subjects) {
          s.turn(warmupNanos, false);
        }
        // Round r starts with mode r mod 3, so no mode always follows the same one.
        for (int r = 0; r < rounds; r++) {
          for (int k = 0; k < subjects.size(); k++) {
            subjects.get((r + k) % subjects.size()).turn(turnNanos, true);
          }
        }
        for (FsyncSubject s : subjects) {
          released.put(s.name, s.release());
        }
      } finally {
        BenchFiles.closeAll(subjects);
      }
    }
    if (gup.stats().outstanding() != 0) {
      throw new IllegalStateException("the devices left pins behind: " + gup.stats());
    }

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("suite", "fsync");
    report.put("region", described);
    report.put("flush_model", model.toString());
    report.put("range_bytes", FsyncSubject.RANGE);
    report.put("range_pages", FsyncSubject.PAGES);
    report.put("write_bytes", FsyncSubject.WRITE_BYTES);
    report.put("hold_us", holdMicros);
    report.put("seconds", seconds);
    report.put("rounds", rounds);
    report.put("turn_ms", round(turnNanos / 1e6));
    report.put("warmup_ms", round(warmupNanos / 1e6));
    report.put("cpus", Runtime.getRuntime().availableProcessors());
    report.put("load_average_before", loadBefore);
    report.put("load_average_after", FsBench.loadAverage());
    List<String> failures = new ArrayList<>();
    for (FsyncSubject s : subjects) {
      putMode(report, s, released.get(s.name), failures);
    }
    FsyncSubject base = subjects.get(0);
    for (FsyncSubject s : subjects.subList(1, subjects.size())) {
      report.put(s.name + "_fsync_p50_ratio_vs_baseline",
          round(s.fsyncs.percentileMicros(50) / base.fsyncs.percentileMicros(50)));
      List<Double> perRound = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        perRound.add(round(s.turns.get(r).p50Micros() / base.turns.get(r).p50Micros()));
      }
      report.put(s.name + "_fsync_p50_ratio_vs_baseline_rounds", perRound);
      // The median hides the fsyncs that wait for a device; these two show them.
      report.put(s.name + "_fsync_p99_ratio_vs_baseline",
          round(s.fsyncs.percentileMicros(99) / base.fsyncs.percentileMicros(99)));
      report.put(s.name + "_fsync_mean_ratio_vs_baseline",
          round(s.fsyncs.meanMicros() / base.fsyncs.meanMicros()));
    }
    report.put("ratio_statistic", "a statistic of every recorded fsync of the mode / the same of"
        + " the baseline; _rounds: the p50 ratio within each round");
    report.put("stable_data_verified", failures.isEmpty());
    report.put("stable_data_problems", failures);
    return report;
  }

  /** One mode's figures, and what they show broken into {@code failures}. */
  private static void putMode(Map<String, Object> report, FsyncSubject s,
      FsyncSubject.Released after, List<String> failures) {
    String m = s.name + "_";
    long fsyncs = 0;
    long nanos = 0;
    long transfers = 0;
    long pinning = 0;
    long pinned = 0;
    long mismatchesDuring = 0;
    List<Long> stale = new ArrayList<>();
    for (FsyncSubject.Turn t : s.turns) {
      fsyncs += t.fsyncs();
      nanos += t.nanos();
      transfers += t.device().transfers();
      pinning += t.device().pinningNanos();
      pinned += t.device().pinnedNanos();
      mismatchesDuring += t.mismatches();
      stale.add(t.staleAfterLastFsync());
    }
    report.put(m + "fsync_us_p50", round(s.fsyncs.percentileMicros(50)));
    report.put(m + "fsync_us_p99", round(s.fsyncs.percentileMicros(99)));
    report.put(m + "fsync_us_mean", round(s.fsyncs.meanMicros()));
    report.put(m + "fsyncs", fsyncs);
    report.put(m + "fsyncs_per_s", round(fsyncs / (nanos / 1e9)));
    if (s.pinned()) {
      report.put(m + "device_transfers", transfers);
      report.put(m + "device_transfers_per_s", round(transfers / (nanos / 1e9)));
      report.put(m + "device_pin_us_mean", round(pinning / 1e3 / Math.max(1, transfers)));
      report.put(m + "device_pinned_fraction", round((double) pinned / nanos));
    }
    report.put(m + "stale_after_last_fsync", stale.get(stale.size() - 1));
    report.put(m + "stale_after_last_fsync_rounds", stale);
    report.put(m + "mismatches_during", mismatchesDuring);
    report.put(m + "stale_after_release", after.stale());
    report.put(m + "verified_after_release", after.verified());
    report.put(m + "mismatches_after_release", after.mismatches());
    report.put(m + "bytes_read_after_release", after.bytesRead());
    report.put(m + "checksum_errors", after.checksumErrors());
    report.put(m + "misdirected_writes", after.misdirectedWrites());
    failures.addAll(problems(s.name, s.turns, after));
  }

  /**
   * What a mode's figures show broken, one clause each: a block that did not match its
   * checksum while the device ran, or, once it stopped and one fsync ran, a block still stale,
   * one that does not verify, a read that fell short, a checksum error, a misdirected DMA
   * write. Empty when stable data held.
   */
  static List<String> problems(String mode, List<FsyncSubject.Turn> turns,
      FsyncSubject.Released after) {
    List<String> found = new ArrayList<>();
    String where = mode + ": ";
    long mismatchesDuring = 0;
    for (FsyncSubject.Turn t : turns) {
      mismatchesDuring += t.mismatches();
    }
    if (mismatchesDuring != 0) {
      found.add(where + mismatchesDuring + " blocks did not match their checksum while the"
          + " device ran");
    }
    if (after.stale() != 0) {
      found.add(where + after.stale() + " blocks stayed stale after the device stopped and"
          + " one fsync ran");
    }
    if (after.verified() != FsyncSubject.PAGES || after.mismatches() != 0) {
      found.add(where + after.verified() + " of " + FsyncSubject.PAGES + " blocks verified, "
          + after.mismatches() + " did not match");
    }
    if (after.bytesRead() != FsyncSubject.RANGE || after.checksumErrors() != 0) {
      found.add(where + "read " + after.bytesRead() + " of " + FsyncSubject.RANGE
          + " bytes with " + after.checksumErrors() + " checksum errors");
    }
    if (after.misdirectedWrites() != 0) {
      found.add(where + after.misdirectedWrites() + " DMA writes were misdirected");
    }
    return found;
  }

  // ---- output -----------------------------------------------------------------------------

  private static void print(PrintWriter out, Map<String, Object> r) {
    out.printf(Locale.ROOT, "daxfs bench fsync: fsync after an %d-byte write() into a %s range"
        + " (%d pages) that a device keeps pinning short-term%n", r.get("write_bytes"),
        Sizes.format(FsyncSubject.RANGE), r.get("range_pages"));
    out.println("region: " + r.get("region") + ", one per mode");
    out.println("flush model: " + r.get("flush_model"));
    out.printf(Locale.ROOT, "device: pins every page for write, holds them %d us, writes the"
        + " range, unpins dirty, and starts again at once%n", r.get("hold_us"));
    out.printf(Locale.ROOT, "load average: %s before, %s after (%d CPUs); %d rounds of %.0f ms"
        + " turns per mode after %.0f ms of warm-up%n", r.get("load_average_before"),
        r.get("load_average_after"), r.get("cpus"), r.get("rounds"), r.get("turn_ms"),
        r.get("warmup_ms"));
    out.println();
    out.printf(Locale.ROOT, "%-22s %10s %10s %10s %11s   %s%n", "fsync latency, us", "p50", "p99",
        "mean", "fsyncs/s", "vs baseline: p50 / p99 / mean");
    for (String mode : MODES) {
      String m = mode + "_";
      String ratios = "-";
      if (r.containsKey(m + "fsync_p50_ratio_vs_baseline")) {
        ratios = FsReport.num((Double) r.get(m + "fsync_p50_ratio_vs_baseline")) + " / "
            + FsReport.num((Double) r.get(m + "fsync_p99_ratio_vs_baseline")) + " / "
            + FsReport.num((Double) r.get(m + "fsync_mean_ratio_vs_baseline"));
      }
      out.printf(Locale.ROOT, "%-22s %10s %10s %10s %11s   %s%n", label(mode),
          FsReport.num((Double) r.get(m + "fsync_us_p50")),
          FsReport.num((Double) r.get(m + "fsync_us_p99")),
          FsReport.num((Double) r.get(m + "fsync_us_mean")),
          FsReport.num((Double) r.get(m + "fsyncs_per_s")), ratios);
    }
    out.println();
    out.printf(Locale.ROOT, "%-22s %12s %12s %8s   %s%n", "device", "transfers/s", "pin 256, us",
        "pinned", "stale blocks right after each turn's last fsync");
    for (String mode : MODES) {
      String m = mode + "_";
      boolean pinned = r.containsKey(m + "device_transfers");
      out.printf(Locale.ROOT, "%-22s %12s %12s %8s   %s%n", label(mode),
          pinned ? FsReport.num((Double) r.get(m + "device_transfers_per_s")) : "-",
          pinned ? FsReport.num((Double) r.get(m + "device_pin_us_mean")) : "-",
          pinned ? String.format(Locale.ROOT, "%.0f%%",
              100 * (Double) r.get(m + "device_pinned_fraction")) : "-",
          joined(r.get(m + "stale_after_last_fsync_rounds")));
    }
    out.println("  (pin 256: mean time to pin the range for write, write faults included; pinned:"
        + " share of the turns with every page pinned)");
    out.println();
    out.println("after the device stopped and one fsync ran:");
    for (String mode : MODES) {
      String m = mode + "_";
      out.printf(Locale.ROOT, "  %-20s %d stale, %d of %d blocks verify, %d mismatches,"
          + " read %d bytes, %d checksum errors, %d misdirected DMA writes%n", label(mode),
          r.get(m + "stale_after_release"), r.get(m + "verified_after_release"),
          FsyncSubject.PAGES, r.get(m + "mismatches_after_release"),
          r.get(m + "bytes_read_after_release"), r.get(m + "checksum_errors"),
          r.get(m + "misdirected_writes"));
    }
    out.println("stable data: " + (Boolean.TRUE.equals(r.get("stable_data_verified"))
        ? "every block verifies" : "FAILED (see below)"));
  }

  private static String label(String mode) {
    return mode.equals(MODES.get(0)) ? "baseline (no device)" : "pinned_fsync=" + mode;
  }

  private static String joined(Object values) {
    StringBuilder b = new StringBuilder();
    for (Object v : (List<?>) values) {
      b.append(b.length() == 0 ? "" : " ").append(v);
    }
    return b.toString();
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** Refuses to start when /dev/shm cannot hold the regions, which are written in full. */
  private static void checkSpace(long needed) throws IOException {
    long usable = Files.getFileStore(Regions.DEFAULT_DIRECTORY).getUsableSpace();
    if (usable < needed) {
      throw new IOException(String.format(Locale.ROOT, "this run needs %d MiB in %s but only %d"
          + " MiB is free", needed / Sizes.MiB, Regions.DEFAULT_DIRECTORY, usable / Sizes.MiB));
    }
  }

}
