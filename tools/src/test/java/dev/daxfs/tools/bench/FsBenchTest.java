package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.tools.bench.PmemBenchTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Runs {@code daxfs bench fs} in process, briefly; the figures themselves are not judged. */
class FsBenchTest {

  private static List<Path> benchFiles() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
      return files.filter(p -> p.getFileName().toString().startsWith("daxfs-bench-")).toList();
    }
  }

  @Test
  void jsonReportsEveryFigureRatioAndTarget() throws Exception {
    List<Path> before = benchFiles();
    Run run = PmemBenchTest.daxfs("bench", "fs", "--json", "--seconds", "1", "--file-size", "1M",
        "--region-size", "64M", "--data-checksums", "--mount-files", "40");
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    assertEquals(1, run.out().strip().lines().count(), "one JSON object, nothing else: " + run.out());
    JsonNode json = new ObjectMapper().readTree(run.out());

    List<String> positive = new ArrayList<>(List.of(
        "rand_write_4k_ratio_vs_raw", "rand_read_4k_ratio_vs_raw", "rand_write_4k_ratio_vs_jimfs",
        "rand_read_4k_ratio_vs_jimfs", "create_ratio_vs_tmpfs", "seq_write_1m_ratio_vs_raw",
        "seq_read_1m_ratio_vs_raw", "seq_write_1m_ratio_vs_jimfs", "seq_read_1m_ratio_vs_jimfs",
        "create_ratio_vs_jimfs", "seq_read_1m_scattered_ratio_vs_raw",
        "rand_write_4k_crc_ratio_vs_daxfs",
        "rand_read_4k_crc_ratio_vs_daxfs", "create_crc_ratio_vs_daxfs",
        "mount_clean_ms", "mount_crash_ms", "mount_populate_files_per_s"));
    for (String subject : List.of("daxfs", "daxfs_crc", "raw", "jimfs", "tmpfs")) {
      for (String op : List.of("rand_write_4k_kops", "rand_read_4k_kops", "seq_write_1m_mib_s",
          "seq_read_1m_mib_s", "seq_read_1m_scattered_mib_s", "create_kops")) {
        if (!(subject.equals("raw") && op.startsWith("create"))) {
          positive.add(subject + "_" + op);
        }
      }
      assertTrue(json.get("subjects").get(subject).isTextual(), subject + " in " + run.out());
      assertTrue(json.get("allocated_bytes_per_op").get(subject + "_rand_write_4k").isNumber(),
          subject + " in " + run.out());
    }
    for (String key : positive) {
      assertTrue(json.has(key) && json.get(key).isNumber(), key + " in " + run.out());
      assertTrue(json.get(key).asDouble() > 0, key + " in " + run.out());
      if (!key.startsWith("mount_")) {
        assertEquals(2, json.get("spread").path(key).size(), "spread of " + key);
      }
    }
    assertFalse(json.has("raw_create_kops"), "raw memory has no files to create");
    JsonNode write = json.get("persistence_per_op").get("daxfs_rand_write_4k");
    assertTrue(write.get("stored_bytes").asDouble() >= 4096, "the data page at least: " + write);
    assertTrue(write.get("flushed_lines").asDouble() >= 64, "the data page at least: " + write);
    assertTrue(write.get("fences").asDouble() >= 1, "a durable write fences: " + write);
    assertTrue(write.get("background_flushed_lines").isNumber(), write.toString());
    JsonNode read = json.get("persistence_per_op").get("daxfs_crc_rand_read_4k");
    assertEquals(0.0, read.get("flushed_lines").asDouble(), "a read persists nothing: " + read);
    assertTrue(json.get("persistence_per_op").has("daxfs_crc_create"));
    assertEquals("free (emulated: the mapped file is the persistence domain, no msync)",
        json.get("flush_model").asText());
    assertEquals(1 << 20, json.get("file_bytes").asLong());
    assertTrue(json.get("rounds").asInt() >= FsRounds.MIN_ROUNDS);
    assertTrue(json.get("measuring_cpu_s").asDouble() > 0, run.out());
    assertTrue(json.get("daxfs_background_cpu_s").asDouble() >= 0, run.out());
    assertEquals(FsReport.TARGETS.size(), json.get("targets").size());
    assertTrue(json.get("targets_met").asText().endsWith(" of " + FsReport.TARGETS.size()));
    assertTrue(json.get("load_average_before").asText().matches("[0-9. ]+|unknown"));
    assertEquals(40, json.get("mount_files").asInt());
    assertEquals(40, json.get("mount_crash_inodes_scanned").asInt() - 1 - 1,
        "every file, its directory and the root are replayed after the crash");
    assertTrue(json.get("mount_crash_reason").asText().startsWith("not cleanly unmounted"));
    assertTrue(json.get("mount_clean_reason").asText().startsWith("clean unmount"));
    assertEquals(before, benchFiles(), "every region file and directory is removed");
  }

  @Test
  void theTableNamesTheFlushModelTheLoadAndEveryTarget() throws Exception {
    Run run = PmemBenchTest.daxfs("bench", "fs", "--seconds", "1", "--file-size", "1M",
        "--region-size", "32M", "--flush-delay-ns", "20");
    assertEquals(0, run.status(), run.err());
    String out = run.out();
    assertTrue(out.contains("flush model: delayed (emulated, 20 ns per flushed line)"), out);
    assertTrue(out.contains("load average: "), out);
    for (FsOp op : FsOp.values()) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith(op.label + ", ")), op + ": " + out);
    }
    for (FsReport.Target t : FsReport.TARGETS) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith(t.figure() + " ")
          && (l.endsWith(" met") || l.endsWith(" MISSED"))), t.figure() + ": " + out);
    }
  }

  @Test
  void badOptionsAreOneSentenceEach() {
    String[][] cases = {
      {"--file-size", "1500K"},
      {"--file-size", "2G"},
      {"--file-size", "huge"},
      {"--region-size", "8M"},
      {"--region-size", "100G"},
      {"--seconds", "0"},
      {"--seconds", "301"},
      {"--flush-delay-ns", "-1"},
      {"--mount-files", "-3"},
    };
    for (String[] c : cases) {
      Run run = PmemBenchTest.daxfs("bench", "fs", c[0], c[1]);
      assertEquals(1, run.status(), String.join(" ", c) + ": " + run.err());
      assertEquals("", run.out());
      String err = run.err().strip();
      assertFalse(err.contains("\n"), "one line: " + err);
      assertFalse(err.contains("Exception"), "no exception names: " + err);
      assertTrue(err.startsWith("daxfs fs: ") && err.endsWith("."), err);
      assertTrue(err.contains(c[0]), err);
    }
  }

  @Test
  void aRunThatDevShmCannotHoldIsRefusedBeforeItStarts() throws Exception {
    long usable = Files.getFileStore(Path.of("/dev/shm")).getUsableSpace();
    Assumptions.assumeTrue(usable < 60L << 30, "/dev/shm holds the largest run here");
    Run run = PmemBenchTest.daxfs("bench", "fs", "--file-size", "1G", "--region-size", "60G");
    assertEquals(1, run.status(), run.err());
    assertEquals("", run.out());
    assertTrue(run.err().strip().matches("daxfs fs: this run needs 6[0-9.]+ GiB in /dev/shm but"
        + " only [0-9.]+ GiB is free; use a smaller --region-size or --file-size[.]"), run.err());
  }

  /** Ratios are medians of per-round ratios, not ratios of medians; targets judge them. */
  @Test
  void ratiosAreMediansOfPerRoundRatiosAndTargetsJudgeThem() {
    int ops = FsOp.values().length;
    Map<String, String> subjects = new LinkedHashMap<>();
    for (String s : List.of("daxfs", "raw", "jimfs", "tmpfs")) {
      subjects.put(s, s + " backend");
    }
    double[][][] v = new double[ops][4][3];
    for (FsOp op : FsOp.values()) {
      // Round by round the baselines swing, daxfs follows at a fixed fraction of each.
      v[op.ordinal()][1] = new double[] {100, 400, 200};
      v[op.ordinal()][2] = new double[] {100, 400, 200};
      v[op.ordinal()][3] = new double[] {100, 400, 200};
      v[op.ordinal()][0] = new double[] {60, 240, 120};
    }
    v[FsOp.CREATE.ordinal()][1] = new double[] {Double.NaN, Double.NaN, Double.NaN};
    // jimfs rand reads: per-round ratios 1.2, 0.48 and 0.4, median 0.48; the ratio of the
    // medians would be 120 / 300 = 0.4.
    v[FsOp.RAND_READ_4K.ordinal()][2] = new double[] {50, 500, 300};
    FsReport r = new FsReport(FlushModel.FREE, 1 << 20, 32 << 20, 1, "1 1 1", "1 1 1", subjects,
        new FsRounds.Samples(3, 1, 1, v, v, 1, 0), Map.of(), null);
    assertEquals(0.6, r.ratio("rand_write_4k_ratio_vs_raw").median(), 1e-9);
    assertEquals(0.48, r.ratio("rand_read_4k_ratio_vs_jimfs").median(), 1e-9);
    assertEquals(null, r.ratio("create_ratio_vs_raw"));
    assertEquals(200 * 1 / 1e3 * 0.6, r.figure("daxfs_rand_write_4k_kops").median(), 1e-9);
    assertEquals(120.0, r.figure("daxfs_seq_write_1m_mib_s").median(), 1e-9);
    JsonNode targets = r.toJson().get("targets");
    Map<String, Boolean> met = new LinkedHashMap<>();
    targets.forEach(t -> met.put(t.get("figure").asText(), t.get("met").asBoolean()));
    assertEquals(false, met.get("rand_read_4k_ratio_vs_raw"), "0.6 < 0.7");
    assertEquals(true, met.get("rand_write_4k_ratio_vs_raw"), "0.6 >= 0.5");
    assertEquals(false, met.get("rand_read_4k_ratio_vs_jimfs"), "0.48 < 1.0");
    assertEquals(false, met.get("create_ratio_vs_tmpfs"));
    assertEquals("2 of 10", r.toJson().get("targets_met").asText());
  }

  @Test
  void quantilesInterpolateAndSkipMissingValues() {
    assertEquals(2.0, FsRounds.median(new double[] {3, 1, 2}));
    assertEquals(2.5, FsRounds.median(new double[] {4, 1, Double.NaN, 3, 2}));
    assertEquals(1.75, FsRounds.quantile(new double[] {1, 2, 3, 4}, 0.25));
    assertTrue(Double.isNaN(FsRounds.median(new double[] {Double.NaN})));
  }

  @Test
  void theWorkloadStaysInsideTheFileAndWraps() {
    FsWorkload w = new FsWorkload(2 << 20);
    FsWorkload.Cursor c = new FsWorkload.Cursor(w);
    for (int i = 0; i < 100_000; i++) {
      long off = c.nextRandom();
      assertTrue(off >= 0 && off + FsWorkload.PAGE <= w.fileBytes && off % FsWorkload.PAGE == 0);
    }
    assertEquals(0, c.nextSequential());
    assertEquals(1 << 20, c.nextSequential());
    assertEquals(0, c.nextSequential());
  }
}
