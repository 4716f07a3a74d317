package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.bench.PmemBenchTest.Run;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code daxfs bench all} in process with --quick and one second per suite: the combined
 * report holds every suite's report under its name with the figures its issue names, the date
 * and the machine; the chart is a PNG of the expected size in the expected colours; fuse is
 * skipped with its reason where it cannot run (a stand-in check says so, since this machine may
 * well be able to) and required when named; bad options fail before anything is measured. The
 * figures themselves are not judged.
 */
class BenchAllTest {

  /** What the stand-in check reports, as the real one would without bindfs. */
  private static final String NO_BINDFS =
      "bindfs, the FUSE peer, is not installed (Debian package bindfs)";

  /** Figures each suite's issue names, which the combined report must carry. */
  private static final List<List<String>> NAMED = List.of(
      List.of("pmem", "raw_write_4k_mops", "region_write_4k_mops", "raw_read_4k_mops",
          "region_read_4k_mops", "region_persist_4k_mops", "write_ratio_vs_raw",
          "read_ratio_vs_raw", "ratio_target"),
      List.of("gup", "pin_unpin_ns", "atomic_pair_ns", "pin_ratio_vs_atomic",
          "pin_batch_512_ns_per_page", "wake_latency_us_p50", "descriptor_bytes_per_page",
          "pin_ratio_target"),
      List.of("fs", "rand_write_4k_ratio_vs_raw", "rand_read_4k_ratio_vs_raw",
          "seq_write_1m_ratio_vs_raw", "seq_read_1m_ratio_vs_raw", "create_ratio_vs_tmpfs",
          "rand_write_4k_crc_ratio_vs_daxfs", "rand_read_4k_crc_ratio_vs_daxfs", "targets"),
      List.of("fsync", "wait_fsync_p50_ratio_vs_baseline", "proceed_fsync_p50_ratio_vs_baseline",
          "wait_fsync_p99_ratio_vs_baseline", "baseline_fsync_us_p50", "stable_data_verified"));

  @TempDir Path tmp;

  /** bench all with {@code fuseCheck} standing in for the machine's, through picocli. */
  private static Run benchAll(Supplier<String> fuseCheck, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new BenchAll(fuseCheck));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int status = cl.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void combinedReportHoldsEverySuiteAndTheChartIsDrawn() throws Exception {
    Path png = tmp.resolve("bench.png");
    Run run = benchAll(() -> NO_BINDFS, "--quick", "--json", "--plot", png.toString());
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    JsonNode all = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .readTree(run.out()); // one JSON object, nothing else
    String text = run.out();

    Instant.parse(all.get("date").asText());
    JsonNode machine = all.get("machine");
    assertEquals(Runtime.getRuntime().availableProcessors(), machine.get("cores").asInt(), text);
    assertTrue(machine.get("memory_bytes").asLong() > 0, text);
    for (String field : List.of("kernel", "jdk", "cpu_model")) {
      assertFalse(machine.get(field).asText().isBlank(), field + " in " + text);
    }
    assertEquals("daxfs bench all --quick --json --plot " + png, all.get("command").asText());
    assertTrue(all.get("quick").asBoolean(), text);
    assertEquals(1, all.get("seconds_per_suite").asInt(), text);

    // Every suite ran, under its name, except fuse, skipped with the reason.
    assertEquals(List.of("pmem", "gup", "fs", "fsync"), names(all.get("suites")), text);
    assertEquals(NO_BINDFS, all.get("skipped").get("fuse").asText(), text);
    assertEquals(0, all.get("failed").size(), text);
    for (List<String> named : NAMED) {
      JsonNode suite = all.get("suites").get(named.get(0));
      assertEquals(named.get(0), suite.get("suite").asText(), text);
      for (String figure : named.subList(1, named.size())) {
        assertTrue(suite.has(figure), named.get(0) + " lacks " + figure + " in " + text);
      }
    }
    assertTrue(all.get("suites").get("fsync").get("stable_data_verified").asBoolean(), text);

    // The ratio list covers each suite's ratios, with the targets the suites set.
    List<String> listed = new ArrayList<>();
    for (JsonNode r : all.get("ratios")) {
      listed.add(r.get("suite").asText() + "/" + r.get("figure").asText());
    }
    assertTrue(listed.contains("pmem/write_ratio_vs_raw"), listed.toString());
    assertTrue(listed.contains("gup/pin_ratio_vs_atomic"), listed.toString());
    assertTrue(listed.contains("fs/create_ratio_vs_tmpfs"), listed.toString());
    assertTrue(listed.contains("fsync/wait_fsync_p99_ratio_vs_baseline"), listed.toString());
    long bounded = 0;
    long met = 0;
    for (JsonNode r : all.get("ratios")) {
      if (r.has("met")) {
        bounded++;
        met += r.get("met").asBoolean() ? 1 : 0;
      }
    }
    // pmem 2, gup 1, fs 10.
    assertEquals(13, bounded, text);
    assertEquals(met + " of " + bounded, all.get("targets_met").asText(), text);

    // The chart: a PNG of the promised size, with a bar in the colour of each kind of ratio.
    assertEquals(png.toString(), all.get("plot").asText());
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(BenchChart.WIDTH, image.getWidth());
    assertEquals(BenchChart.HEIGHT, image.getHeight());
    assertTrue(BenchChartTest.pixels(image, BenchChart.NO_TARGET) > 100, "no-target bars");
    if (met > 0) {
      assertTrue(BenchChartTest.pixels(image, BenchChart.MET) > 100, "bars that meet targets");
    }
    if (met < bounded) {
      assertTrue(BenchChartTest.pixels(image, BenchChart.MISSED) > 100, "bars that miss");
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(png), files.toList(), "no temporary file is left beside the chart");
    }
  }

  @Test
  void tableNamesTheDateTheMachineAndEachRatioWithItsTarget() {
    Run run = benchAll(() -> NO_BINDFS, "--quick", "--suites", "gup");
    assertEquals(0, run.status(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).startsWith("daxfs bench all: "), run.out());
    Instant.parse(lines.get(0).split(" ")[3]);
    assertTrue(lines.get(1).startsWith("machine: " + Runtime.getRuntime().availableProcessors()
        + " cores"), run.out());
    assertTrue(lines.stream().anyMatch(l -> l.matches(
        "gup +pin vs atomic +\\d+\\.\\d\\d +<= 2\\.0 +(met|MISSED)")), run.out());
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("fuse")),
        "fuse was not asked for, so it is not reported skipped: " + run.out());
  }

  @Test
  void fuseNamedInSuitesIsRequired() throws Exception {
    BenchAll all = new BenchAll(() -> NO_BINDFS);
    new CommandLine(all).parseArgs("--quick", "--suites", "fuse");
    IllegalStateException e = assertThrows(IllegalStateException.class, all::call);
    assertEquals("the fuse suite cannot run here: " + NO_BINDFS, e.getMessage());
  }

  @Test
  void fuseMissingNamesEveryReason() {
    assertEquals(null, BenchAll.fuseMissing(0, true, true));
    String all = BenchAll.fuseMissing(1000, false, false);
    assertTrue(all.contains("root"), all);
    assertTrue(all.contains("/dev/fuse"), all);
    assertTrue(all.contains("bindfs"), all);
    assertEquals(NO_BINDFS, BenchAll.fuseMissing(0, true, false));
  }

  @Test
  void budgetsFollowSecondsAndStayInEachSuitesRange() {
    assertEquals(List.of("--seconds", "45"), BenchAll.suiteArgs("pmem", 300, false));
    assertEquals(List.of("--seconds", "30", "--data-checksums"),
        BenchAll.suiteArgs("fs", 30, false));
    assertEquals(List.of("--seconds", "10.00"), BenchAll.suiteArgs("fsync", 30, false));
    assertEquals(List.of("--seconds", "0.33"), BenchAll.suiteArgs("fsync", 1, true));
    assertEquals(List.of("--quick"), BenchAll.suiteArgs("gup", 1, true));
    // Every suite's own parser takes what bench all gives it, at both ends of the range.
    for (String suite : BenchAll.SUITES) {
      for (int seconds : new int[] {1, BenchAll.DEFAULT_SECONDS, BenchAll.MAX_SECONDS}) {
        for (boolean quick : new boolean[] {false, true}) {
          List<String> args = BenchAll.suiteArgs(suite, seconds, quick);
          Object command = switch (suite) {
            case "pmem" -> new PmemBench();
            case "gup" -> new GupBench();
            case "fs" -> new FsBench();
            case "fsync" -> new FsyncBench();
            default -> new FuseBench();
          };
          new CommandLine(command).parseArgs(args.toArray(String[]::new));
        }
      }
    }
  }

  @Test
  void badOptionsAreOneSentenceAndMeasureNothing() throws Exception {
    Files.createDirectory(tmp.resolve("dir.png"));
    String[][] cases = {
      {"--plot", tmp.resolve("missing/bench.png").toString(), "does not exist"},
      {"--plot", tmp.resolve("dir.png").toString(), "is a directory"},
      {"--plot", tmp.resolve("bench.jpg").toString(), "must name a .png file"},
      {"--seconds", "-5", "--seconds must be between 1 and 300, not -5"},
      {"--seconds", "0", "--seconds must be between 1 and 300, not 0"},
      {"--seconds", "301", "--seconds must be between 1 and 300, not 301"},
      {"--suites", "pmem,disk", "there is no suite 'disk'"},
    };
    for (String[] c : cases) {
      Run run = PmemBenchTest.daxfs("bench", "all", "--quick", c[0], c[1]);
      String what = String.join(" ", c[0], c[1]) + ": " + run.err();
      assertNotEquals(0, run.status(), what);
      assertEquals("", run.out(), "nothing was measured: " + what);
      assertEquals(1, run.err().strip().lines().count(), "one sentence: " + what);
      assertTrue(run.err().startsWith("daxfs bench all: "), what);
      assertTrue(run.err().contains(c[2]), what);
      assertTrue(run.err().strip().endsWith("."), what);
    }
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }
}
