package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Runs {@code daxfs bench pmem} in process, briefly; the figures themselves are not judged. */
class PmemBenchTest {

  /** Exit status, stdout and stderr of one command line. */
  record Run(int status, String out, String err) {}

  static Run daxfs(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(status, out.toString(), err.toString());
  }

  private static List<Path> benchFiles() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
      return files.filter(p -> p.getFileName().toString().startsWith(BenchFiles.prefix())).toList();
    }
  }

  @Test
  void jsonReportsEveryFigureAndTheFlushModel() throws Exception {
    List<Path> before = benchFiles();
    Run run = daxfs("bench", "pmem", "--json", "--seconds", "1", "--size", "4M",
        "--flush-delay-ns", "50");
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    JsonNode json = new ObjectMapper().readTree(run.out());
    for (String field : List.of("raw_write_4k_mops", "region_write_4k_mops", "raw_read_4k_mops",
        "region_read_4k_mops", "region_persist_4k_mops", "write_ratio_vs_raw", "read_ratio_vs_raw")) {
      assertTrue(json.get(field).isNumber(), field + " in " + run.out());
      assertTrue(json.get(field).asDouble() > 0, field + " in " + run.out());
    }
    assertEquals("delayed (emulated, 50 ns per flushed line)", json.get("flush_model").asText());
    assertEquals(4 << 20, json.get("size_bytes").asLong());
    assertTrue(json.get("rounds").asInt() >= 3);
    assertEquals(1, run.out().strip().lines().count(), "one JSON object, nothing else: " + run.out());
    assertEquals(before, benchFiles(), "the region file is removed");
  }

  @Test
  void withoutJsonItPrintsATableNamingTheFlushModel() {
    Run run = daxfs("bench", "pmem", "--seconds", "1", "--size", "2M");
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains(
        "flush model: free (emulated: the mapped file is the persistence domain, no msync)"), run.out());
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("write ")), run.out());
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("read ")), run.out());
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("persist ")), run.out());
  }

  @Test
  void badOptionsAreOneSentenceEach() {
    String[][] cases = {
      {"--size", "3G"},
      {"--size", "1000"},
      {"--size", "lots"},
      {"--size", "1048577"},
      {"--seconds", "0"},
      {"--seconds", "100"},
      {"--flush-delay-ns", "-5"},
    };
    for (String[] c : cases) {
      Run run = daxfs("bench", "pmem", c[0], c[1]);
      assertEquals(1, run.status(), String.join(" ", c) + ": " + run.err());
      assertEquals("", run.out());
      String err = run.err().strip();
      assertFalse(err.contains("\n"), "one line: " + err);
      assertFalse(err.contains("Exception"), "no exception names: " + err);
      assertTrue(err.startsWith("daxfs bench pmem: ") && err.endsWith("."), err);
      assertTrue(err.contains(c[0]), err);
    }
  }

  @Test
  void theMedianIsTheMiddle() {
    assertEquals(2.0, PmemBench.median(new double[] {3, 1, 2}));
    assertEquals(2.5, PmemBench.median(new double[] {4, 1, 3, 2}));
  }
}
