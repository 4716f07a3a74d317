package dev.daxfs.tools.race;

import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.tools.Json;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs dma-race}: runs the DMA-versus-truncate/punch race in process and reports what
 * it found. Exits 0 when the run shows what its mode promises: no damage with the layout break,
 * corrupted blocks without it; otherwise prints the report and fails with one sentence.
 */
@Command(
    name = "dma-race",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    subcommands = {PunchCostCommand.class},
    description = {
      "Race DMA against truncate, punch, zero range and collapse range, in process.",
      "",
      "Each round, emulated devices write tagged data into random ranges of a file while a "
          + "random operation cuts into them; a second file then takes the freed blocks and "
          + "fills them with a known pattern. When all DMA is done, both files are checked and "
          + "every DMA write's tag is accounted for. With the layout break (the default) the "
          + "cut waits for the DMA, and nothing is misdirected or corrupted.",
      ""
    },
    footer = {
      "",
      "Exit status: 0 when the run shows what its mode promises (no damage with the layout "
          + "break; corrupted blocks without it), 1 otherwise (the report is printed first), "
          + "2 for a usage error."
    })
public final class DmaRaceCommand implements Callable<Integer> {

  /** Rounds unless told otherwise: well under a minute on a small shared machine. */
  static final int DEFAULT_ITERATIONS = 1000;

  /** The seed unless told otherwise; the skip-break demonstration is checked with it. */
  static final long DEFAULT_SEED = 1;

  /** Most rounds one run accepts. */
  static final int MAX_ITERATIONS = 10_000_000;

  @Option(names = "--iterations", paramLabel = "N",
      description = "Rounds to run (default: ${DEFAULT-VALUE}).")
  int iterations = DEFAULT_ITERATIONS;

  @Option(names = "--seed", paramLabel = "S",
      description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
  long seed = DEFAULT_SEED;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Option(names = "--data-checksums",
      description = "Format with per-block data checksums: the devices then write into pages "
          + "the filesystem marked stale, and every block read back is verified.")
  boolean dataChecksums;

  @Option(names = "--region", paramLabel = "FILE",
      description = "Run on a new emulated region created at FILE (a bare name is a file in "
          + "/dev/shm) and keep it for 'daxfs inspect'; FILE must not exist. By default the "
          + "harness uses its own 16 MiB in-memory region.")
  String regionFile;

  @Option(names = "--unsafe-skip-layout-break",
      description = "FOR DEMONSTRATION ONLY: skip the layout break, so that truncate and punch "
          + "free blocks that devices are still writing and another file's data is corrupted. "
          + "It proves that the harness catches the bug; it runs only on the harness's own "
          + "in-memory region and is refused with --region.")
  boolean unsafeSkipLayoutBreak;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--iterations must be between 1 and " + MAX_ITERATIONS + ", not " + iterations);
    }
    if (unsafeSkipLayoutBreak && regionFile != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--unsafe-skip-layout-break runs only on the harness's own in-memory region and is "
              + "refused with --region");
    }
    RaceReport report;
    try (PmemRegion region = openRegion();
        DmaRace race = new DmaRace(region, seed, unsafeSkipLayoutBreak, dataChecksums)) {
      report = race.run(iterations);
    }
    print(report.toMap());
    if (!unsafeSkipLayoutBreak && report.foundDamage()) {
      throw new IllegalStateException("with the layout break on, the race found "
          + report.corruptedBlocks() + " corrupted blocks, " + report.misdirectedWrites
          + " misdirected writes and " + (report.tagsLost + report.tagsStray)
          + " misplaced DMA tags (seed " + seed + ")");
    }
    if (unsafeSkipLayoutBreak && report.corruptedBlocks() == 0) {
      throw new IllegalStateException("without the layout break the race found no corrupted "
          + "block in " + iterations + " iterations (seed " + seed + "); run more iterations");
    }
    return 0;
  }

  private PmemRegion openRegion() throws Exception {
    if (regionFile == null) {
      return new HeapRegion(DmaRace.REGION_BYTES);
    }
    Path file = Regions.resolve(regionFile);
    if (Files.exists(file)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "region " + file
          + " exists; dma-race formats its region, so it only creates a new one");
    }
    return Regions.open(file, RegionOptions.create(DmaRace.REGION_BYTES).withExclusiveLock());
  }

  private void print(Map<String, Object> report) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(report));
    } else {
      out.println("dma-race: " + report.get("iterations") + " rounds, layout break "
          + report.get("layout_break"));
      printText(out, report, "  ");
    }
    out.flush();
  }

  @SuppressWarnings("unchecked")
  private static void printText(PrintWriter out, Map<String, Object> map, String indent) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      Object v = e.getValue();
      if (v instanceof Map<?, ?> sub) {
        out.println(indent + e.getKey() + ":");
        printText(out, (Map<String, Object>) sub, indent + "  ");
      } else if (v instanceof List<?> list) {
        out.println(indent + e.getKey() + ": " + list);
      } else {
        out.println(indent + e.getKey() + ": " + (v == null ? "n/a" : v));
      }
    }
  }
}
