package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.bench.PmemBenchTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code daxfs bench fsync} in process, briefly: every figure is there and sane, and stable
 * data held (nothing stale once the device stopped and one fsync ran, every block verifies);
 * the latencies themselves are not judged.
 */
class FsyncBenchTest {

  /** This suite's region files (other suites, perhaps running now, use other names). */
  private static List<Path> benchFiles() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
      return files.filter(p -> p.getFileName().toString().startsWith(BenchFiles.prefix()))
          .toList();
    }
  }

  @Test
  void jsonReportsEveryModeAndStableDataHolds() throws Exception {
    List<Path> before = benchFiles();
    Run run = PmemBenchTest.daxfs("bench", "fsync", "--json", "--seconds", "0.2", "--hold-us",
        "100");
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    JsonNode json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .readTree(run.out()); // one JSON object, nothing else
    String all = run.out();

    assertEquals("fsync", json.get("suite").asText());
    assertTrue(json.get("flush_model").asText().startsWith("free"), all);
    assertTrue(json.get("region").asText().contains("data checksums"), all);
    assertEquals(1 << 20, json.get("range_bytes").asInt());
    assertEquals(256, json.get("range_pages").asInt());
    assertEquals(100, json.get("hold_us").asInt());
    int rounds = json.get("rounds").asInt();
    assertTrue(rounds >= 1, all);
    for (String mode : FsyncBench.MODES) {
      String m = mode + "_";
      for (String figure : List.of("fsync_us_p50", "fsync_us_p99", "fsync_us_mean", "fsyncs",
          "fsyncs_per_s")) {
        assertTrue(json.path(m + figure).isNumber(), m + figure + " in " + all);
        assertTrue(json.get(m + figure).asDouble() > 0, m + figure + " in " + all);
      }
      assertTrue(json.get(m + "fsync_us_p50").asDouble()
          <= json.get(m + "fsync_us_p99").asDouble(), mode + ": p50 <= p99 in " + all);
      assertEquals(rounds, json.get(m + "stale_after_last_fsync_rounds").size(), all);
      long lastStale = json.get(m + "stale_after_last_fsync").asLong();
      assertTrue(lastStale >= 0 && lastStale <= 256, all);
      assertEquals(0, json.get(m + "mismatches_during").asLong(), m + " in " + all);
      assertEquals(0, json.get(m + "stale_after_release").asLong(), m + " in " + all);
      assertEquals(256, json.get(m + "verified_after_release").asLong(), m + " in " + all);
      assertEquals(0, json.get(m + "mismatches_after_release").asLong(), m + " in " + all);
      assertEquals(1 << 20, json.get(m + "bytes_read_after_release").asLong(), m + " in " + all);
      assertEquals(0, json.get(m + "checksum_errors").asLong(), m + " in " + all);
      assertEquals(0, json.get(m + "misdirected_writes").asLong(), m + " in " + all);
      boolean pinned = !mode.equals("baseline");
      assertEquals(pinned, json.has(m + "device_transfers"), all);
      if (pinned) {
        assertTrue(json.get(m + "device_transfers").asLong() > 0, m + " in " + all);
        assertTrue(json.get(m + "device_transfers_per_s").asDouble() > 0, m + " in " + all);
        assertTrue(json.get(m + "device_pin_us_mean").asDouble() > 0, m + " in " + all);
        double share = json.get(m + "device_pinned_fraction").asDouble();
        assertTrue(share > 0 && share <= 1, m + " in " + all);
        double ratio = json.get(m + "fsync_p50_ratio_vs_baseline").asDouble();
        double expected = json.get(m + "fsync_us_p50").asDouble()
            / json.get("baseline_fsync_us_p50").asDouble();
        assertEquals(expected, ratio, 0.01 + expected * 0.01, m + " ratio in " + all);
        assertEquals(rounds, json.get(m + "fsync_p50_ratio_vs_baseline_rounds").size(), all);
        assertTrue(json.get(m + "fsync_p99_ratio_vs_baseline").asDouble() > 0, all);
        assertTrue(json.get(m + "fsync_mean_ratio_vs_baseline").asDouble() > 0, all);
      }
    }
    assertFalse(json.has("baseline_fsync_p50_ratio_vs_baseline"), all);
    assertTrue(json.get("stable_data_verified").asBoolean(), all);
    assertEquals(before, benchFiles(), "every region file is removed");
  }

  @Test
  void theTableNamesEveryModeAndTheFlushModel() {
    Run run = PmemBenchTest.daxfs("bench", "fsync", "--seconds", "0.1");
    assertEquals(0, run.status(), run.err());
    String out = run.out();
    assertTrue(out.contains("flush model: free"), out);
    assertTrue(out.contains("holds them 200 us"), out);
    for (String label : List.of("baseline (no device)", "pinned_fsync=wait",
        "pinned_fsync=proceed")) {
      assertEquals(3, out.lines().filter(l -> l.strip().startsWith(label)).count(),
          label + ": latency, device and verification rows in " + out);
    }
    assertTrue(out.lines().anyMatch(l -> l.equals("stable data: every block verifies")), out);
  }

  @Test
  void badOptionsAreOneSentenceEach() {
    String[][] cases = {
      {"--seconds", "0"},
      {"--seconds", "301"},
      {"--seconds", "NaN"},
      {"--hold-us", "-1"},
      {"--hold-us", "1000001"},
    };
    for (String[] c : cases) {
      Run run = PmemBenchTest.daxfs("bench", "fsync", c[0], c[1]);
      assertEquals(1, run.status(), String.join(" ", c) + ": " + run.err());
      assertEquals("", run.out());
      String err = run.err().strip();
      assertFalse(err.contains("\n"), "one line: " + err);
      assertFalse(err.contains("Exception"), "no exception names: " + err);
      assertTrue(err.startsWith("daxfs bench fsync: ") && err.endsWith("."), err);
      assertTrue(err.contains(c[0]), err);
    }
  }

  /** The bench's own verdict: each way stable data can break is named, and a clean run is not. */
  @Test
  void problemsNameEveryWayStableDataBroke() {
    FsyncSubject.Turn clean = new FsyncSubject.Turn(10, 1_000_000, 5, 256, 0,
        new DeviceLoop.Run(3, 1000, 1000));
    FsyncSubject.Released fine = new FsyncSubject.Released(0, 256, 0, 1 << 20, 0, 0);
    assertEquals(List.of(), FsyncBench.problems("wait", List.of(clean, clean), fine));

    FsyncSubject.Turn torn = new FsyncSubject.Turn(10, 1_000_000, 5, 200, 2,
        new DeviceLoop.Run(3, 1000, 1000));
    assertEquals(List.of("proceed: 2 blocks did not match their checksum while the device ran"),
        FsyncBench.problems("proceed", List.of(clean, torn), fine));
    assertEquals(List.of("wait: 3 blocks stayed stale after the device stopped and one fsync"
        + " ran", "wait: 253 of 256 blocks verified, 0 did not match"),
        FsyncBench.problems("wait", List.of(clean),
            new FsyncSubject.Released(3, 253, 0, 1 << 20, 0, 0)));
    assertEquals(List.of("wait: 256 of 256 blocks verified, 1 did not match",
        "wait: read 4096 of 1048576 bytes with 1 checksum errors",
        "wait: 7 DMA writes were misdirected"),
        FsyncBench.problems("wait", List.of(clean),
            new FsyncSubject.Released(0, 256, 1, 4096, 1, 7)));
  }
}
