package dev.daxfs.tools.race;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.Inspector;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import dev.daxfs.tools.Json;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs dma-race punch-cost}: what a layout break costs when nothing is pinned. Punches a
 * large written file twice: once never mapped (the break has nothing to do: the baseline, the
 * punch itself) and once with every page faulted into a live mapping (the break unmaps them all
 * and scans for busy pages first). Reports each time against the target, their ratio, and the
 * log records the punch appended, which must not grow with the range.
 */
@Command(
    name = "punch-cost",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Time a hole punch over a large written file with nothing pinned: never "
        + "mapped (the baseline) and with every page mapped (the layout break unmaps them all "
        + "first). Also lists the log records the punch appends, which must not depend on the "
        + "range's size.")
public final class PunchCostCommand implements Callable<Integer> {

  /** Target for punching 1 GiB with nothing pinned, from the design's benchmarks. */
  static final double TARGET_MS = 50;

  private static final int PAGE = 4096;
  private static final int CHUNK = 1 << 20;
  private static final int PUNCH = 0x02 | 0x01;
  private static final Cred ROOT = Cred.root();
  private static final String FILE = "/punched";

  @Option(names = "--size", paramLabel = "SIZE",
      description = "Bytes punched, e.g. 1GiB or 64MiB (default: ${DEFAULT-VALUE}).")
  String size = "1GiB";

  @Option(names = "--repeat", paramLabel = "N",
      description = "Punches of each kind; the median is reported (default: ${DEFAULT-VALUE}).")
  int repeat = 3;

  @Option(names = "--region", paramLabel = "FILE",
      description = "Create the region at FILE (a bare name is a file in /dev/shm) and keep it "
          + "for 'daxfs inspect FILE --path " + FILE + "'; FILE must not exist. By default a "
          + "temporary region in /dev/shm is used and removed.")
  String regionFile;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    long bytes = parseSize();
    if (repeat < 1 || repeat > 100) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--repeat must be between 1 and 100, not " + repeat);
    }
    boolean keep = regionFile != null;
    Path file = keep ? Regions.resolve(regionFile)
        : Regions.DEFAULT_DIRECTORY.resolve("daxfs-punch-cost-" + ProcessHandle.current().pid()
            + "-" + System.nanoTime());
    if (Files.exists(file)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "region " + file
          + " exists; punch-cost formats its region, so it only creates a new one");
    }
    // Room for the file, its logs, the reserve and the inode table.
    long regionBytes = bytes + bytes / 16 + (64L << 20);
    Map<String, Object> report = new LinkedHashMap<>();
    try (PmemRegion region = Regions.open(file, RegionOptions.create(regionBytes)
        .withExclusiveLock())) {
      report.put("region", region.describe());
      report.put("flush_model", region.flushModel().toString());
      report.put("punched_bytes", bytes);
      report.put("repeat", repeat);
      measure(region, bytes, report);
    } finally {
      if (!keep) {
        Files.deleteIfExists(file);
      }
    }
    if (keep) {
      report.put("kept_region", file.toString());
    }
    print(report);
    return 0;
  }

  private long parseSize() {
    long bytes;
    try {
      bytes = Sizes.parse(size);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--size: " + e.getMessage());
    }
    if (bytes < PAGE || bytes % PAGE != 0 || bytes > (64L << 30)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--size must be a multiple "
          + "of 4 KiB between 4 KiB and 64 GiB, not " + size);
    }
    return bytes;
  }

  private void measure(PmemRegion region, long bytes, Map<String, Object> report) {
    DaxFs.mkfs(region, MkfsOptions.defaults());
    double[] unmapped = new double[repeat];
    double[] mapped = new double[repeat];
    long ino;
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    try {
      FileHandle h = fs.open(ROOT, FILE, FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
      ino = h.ino();
      for (int r = 0; r < repeat; r++) {
        fill(fs, h, bytes);
        unmapped[r] = punch(fs, h, bytes);
        fill(fs, h, bytes);
        CpuMapping m = fs.mmap(ROOT, h, 0, bytes, CpuMapping.PROT_READ, 0);
        try {
          for (long off = 0; off < bytes; off += PAGE) {
            m.loadByte(off);
          }
          mapped[r] = punch(fs, h, bytes);
        } finally {
          m.close();
        }
      }
      fill(fs, h, bytes);
      fs.release(h);
    } finally {
      fs.unmount();
    }
    // The records of one more punch, read from the media as 'daxfs inspect' shows them.
    int before = records(region, ino).size();
    fs = DaxFs.mount(region, MountOptions.defaults());
    try {
      FileHandle h = fs.open(ROOT, FILE, FileHandle.O_RDWR, 0);
      punch(fs, h, bytes);
      fs.release(h);
    } finally {
      fs.unmount();
    }
    List<Map<String, Object>> all = records(region, ino);
    List<Object> appended = new ArrayList<>();
    long rangeRecords = 0;
    for (Map<String, Object> rec : all.subList(before, all.size())) {
      appended.add(rec.get("type") + (rec.containsKey("op") ? " " + rec.get("op") : ""));
      if ("range".equals(rec.get("type"))) {
        rangeRecords++;
      }
    }
    double unmappedMs = median(unmapped);
    double mappedMs = median(mapped);
    long pages = bytes / PAGE;
    double scale = (double) (1L << 30) / bytes;
    report.put("punch_unmapped_ms", round(unmappedMs));
    report.put("punch_mapped_no_pins_ms", round(mappedMs));
    // The fastest of the runs: what the code costs when the shared machine lets it run.
    report.put("punch_unmapped_ms_min", round(Arrays.stream(unmapped).min().getAsDouble()));
    report.put("punch_mapped_no_pins_ms_min", round(Arrays.stream(mapped).min().getAsDouble()));
    report.put("punch_unmapped_ns_per_page", round(unmappedMs * 1e6 / pages));
    report.put("punch_mapped_no_pins_ns_per_page", round(mappedMs * 1e6 / pages));
    report.put("break_cost_ratio_mapped_vs_unmapped", round(mappedMs / unmappedMs));
    report.put("target_ms_per_gib", TARGET_MS);
    report.put("unmapped_met", unmappedMs * scale <= TARGET_MS);
    report.put("mapped_no_pins_met", mappedMs * scale <= TARGET_MS);
    report.put("punch_log_records", appended);
    report.put("punch_range_records", rangeRecords);
  }

  /** Writes {@code bytes} of data over the whole file, so that every page has a block. */
  private static void fill(DaxFs fs, FileHandle h, long bytes) {
    byte[] chunk = new byte[CHUNK];
    Arrays.fill(chunk, (byte) 0x5A);
    for (long off = 0; off < bytes; off += CHUNK) {
      int n = (int) Math.min(CHUNK, bytes - off);
      fs.write(ROOT, h, off, ByteBuffer.wrap(chunk, 0, n));
    }
  }

  /** Punches the whole file; returns milliseconds. */
  private static double punch(DaxFs fs, FileHandle h, long bytes) {
    long t0 = System.nanoTime();
    fs.fallocate(ROOT, h, PUNCH, 0, bytes);
    return (System.nanoTime() - t0) / 1e6;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> records(PmemRegion region, long ino) {
    Map<String, Object> inode = Inspector.open(region).inode(ino);
    Map<String, Object> log = (Map<String, Object>) inode.get("log");
    return (List<Map<String, Object>>) log.get("records");
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private void print(Map<String, Object> report) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(report));
    } else {
      out.println("dma-race punch-cost: hole punch of " + Sizes.format((Long) report.get(
          "punched_bytes")) + " with nothing pinned (median of " + repeat + ")");
      for (Map.Entry<String, Object> e : report.entrySet()) {
        out.println("  " + e.getKey() + ": " + e.getValue());
      }
    }
    out.flush();
  }
}
