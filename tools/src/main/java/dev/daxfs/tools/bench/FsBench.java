package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code daxfs bench fs}: 4 KiB random writes and reads, 1 MiB sequential writes and reads,
 * and create+close+unlink, on daxfs through its Java API, on jimfs, on the kernel's tmpfs
 * through a FileChannel, and raw on a region (the limit), all in one run; figures are
 * medians over interleaved rounds ({@link FsRounds}) and ratios are medians of per-round
 * ratios. Optionally it also measures daxfs with data checksums, and mount time of a
 * filesystem holding many files after a clean unmount and after a crash ({@link MountBench}).
 */
@Command(
    name = "fs",
    mixinStandardHelpOptions = true,
    description = {
      "4 KiB random writes and reads, 1 MiB sequential writes and reads, and"
          + " create+close+unlink on daxfs (Java API), jimfs, tmpfs (/dev/shm) and raw on a region.",
      "Prints the flush model it ran with; figures are medians over interleaved rounds, ratios"
          + " medians of per-round ratios, with their interquartile spread."
    })
public final class FsBench implements Callable<Integer>, BenchSuite {

  /** The mount measurement's file count that the issue names. */
  static final int MOUNT_100K = 100_000;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Option(
      names = "--seconds",
      defaultValue = "30",
      description = "Time spent warming up and measuring, 1 to 300 (default ${DEFAULT-VALUE}); "
          + "set-up adds a few seconds.")
  int seconds;

  @Option(
      names = "--file-size",
      defaultValue = "64M",
      description = "Size of each of a subject's two data files (one for random, one for "
          + "sequential operations), whole MiB from 1M to 1G (default "
          + "${DEFAULT-VALUE}).")
  String fileSize;

  @Option(
      names = "--region-size",
      defaultValue = "512M",
      description = "Size of daxfs's region, at least 4 times --file-size (default "
          + "${DEFAULT-VALUE}).")
  String regionSize;

  @Option(
      names = "--flush-delay-ns",
      defaultValue = "0",
      description = "Busy-wait per flushed 64-byte line on the emulated regions, modelling real"
          + " pmem (default 0: free flushes).")
  long flushDelayNs;

  @Option(
      names = "--data-checksums",
      description = "Also measure daxfs formatted with data checksums (figures daxfs_crc_*).")
  boolean dataChecksums;

  @Option(
      names = "--mount-100k",
      description = "Also measure mount time of a filesystem holding 100000 files, after a "
          + "clean unmount and after a crash (adds about a minute).")
  boolean mount100k;

  @Option(
      names = "--mount-files",
      defaultValue = "0",
      description = "Also measure mount time with this many files (--mount-100k is 100000).")
  int mountFiles;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    FsReport report = run();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(report.toJson()));
    } else {
      report.printTable(out);
    }
    out.flush();
    return 0;
  }

  @Override
  public JsonNode report() throws IOException {
    return run().toJson();
  }

  /** Checks the options and measures. */
  private FsReport run() throws IOException {
    long file = size("--file-size", fileSize);
    if (file < Sizes.MiB || file > Sizes.GiB || file % Sizes.MiB != 0) {
      throw usage("--file-size must be a whole number of MiB from 1 MiB to 1 GiB, not "
          + Sizes.format(file));
    }
    long region = size("--region-size", regionSize);
    if (region < 4 * file || region < 16 * Sizes.MiB || region % 4096 != 0
        || region > 64 * Sizes.GiB) {
      throw usage("--region-size must be a multiple of 4 KiB, at least 16 MiB and 4 times "
          + "--file-size (" + Sizes.format(4 * file) + "), and at most 64 GiB, not "
          + Sizes.format(region));
    }
    if (seconds < 1 || seconds > 300) {
      throw usage("--seconds must be between 1 and 300, not " + seconds);
    }
    if (flushDelayNs < 0 || flushDelayNs > 1_000_000) {
      throw usage("--flush-delay-ns must be between 0 and 1000000, not " + flushDelayNs);
    }
    if (mountFiles < 0 || mountFiles > 10_000_000) {
      throw usage("--mount-files must be between 0 and 10000000, not " + mountFiles);
    }
    int mount = mount100k ? MOUNT_100K : mountFiles;
    FlushModel model = FlushModel.emulated(flushDelayNs);
    // daxfs regions, the raw region, tmpfs's two files.
    long needed = (dataChecksums ? 2 : 1) * region + 3 * file
        + Math.max(PersistCounts.REGION_BYTES, mount > 0 ? MountBench.regionBytesFor(mount) : 0);
    checkSpace(needed);

    String loadBefore = loadAverage();
    FsWorkload w = new FsWorkload(file);
    List<FsSubject> subjects = new ArrayList<>();
    FsRounds.Samples samples;
    Map<String, String> described = new LinkedHashMap<>();
    try {
      subjects.add(DaxfsSubject.open(w, region, model, false, false));
      if (dataChecksums) {
        subjects.add(DaxfsSubject.open(w, region, model, true, false));
      }
      subjects.add(RawSubject.open(w, model));
      subjects.add(ChannelSubject.jimfs(w));
      subjects.add(ChannelSubject.tmpfs(w));
      for (FsSubject s : subjects) {
        described.put(s.name(), s.describe());
      }
      samples = FsRounds.measure(subjects, seconds * 1_000_000_000L);
    } finally {
      BenchFiles.closeAll(subjects);
    }
    Map<String, Map<FsOp, PersistCounts.PerOp>> persistence = new LinkedHashMap<>();
    persistence.put(FsReport.DAXFS, PersistCounts.measure(false));
    if (dataChecksums) {
      persistence.put(FsReport.DAXFS_CRC, PersistCounts.measure(true));
    }
    MountBench.Result mounted = mount > 0 ? MountBench.measure(mount, model, dataChecksums)
        : null;
    return new FsReport(model, file, region, seconds, loadBefore, loadAverage(),
        described, samples, persistence, mounted);
  }

  /**
   * Refuses to start when /dev/shm cannot hold the run's files: the regions are sparse, and a
   * page that finds no room would fail with a bus error in the middle of the run.
   */
  private static void checkSpace(long needed) throws IOException {
    long usable = Files.getFileStore(Regions.DEFAULT_DIRECTORY).getUsableSpace();
    if (usable < needed) {
      throw new IOException(String.format(Locale.ROOT, "this run needs %.1f GiB in %s but only "
          + "%.1f GiB is free; ", needed / (double) Sizes.GiB, Regions.DEFAULT_DIRECTORY,
          usable / (double) Sizes.GiB)
          + "use a smaller --region-size or --file-size");
    }
  }

  private static long size(String option, String value) {
    try {
      return Sizes.parse(value);
    } catch (IllegalArgumentException e) {
      throw usage(option + ": " + e.getMessage());
    }
  }

  /** The three load averages from /proc/loadavg, or "unknown". */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * A bad option value, reported by the command line's failure handler as one sentence (a
   * ParameterException would bring the whole usage text with it).
   */
  private static IllegalArgumentException usage(String message) {
    return new IllegalArgumentException(message);
  }
}
