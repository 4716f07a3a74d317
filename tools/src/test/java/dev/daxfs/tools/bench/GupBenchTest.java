package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs {@code daxfs bench gup --quick} in process: it must report every figure, in JSON too. */
class GupBenchTest {

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {String.valueOf(status), out.toString(), err.toString()};
  }

  @Test
  void theJsonReportHasEveryFigure() throws Exception {
    String[] r = run("bench", "gup", "--json", "--quick");
    assertEquals("0", r[0], r[2]);
    JsonNode report = new ObjectMapper().readTree(r[1]);
    for (String key :
        List.of(
            "pin_unpin_ns",
            "atomic_pair_ns",
            "pin_ratio_vs_atomic",
            "pin_batch_512_ns_per_page",
            "wake_latency_us_p50",
            "descriptor_bytes_per_page")) {
      assertTrue(report.path(key).isNumber(), key + " missing in " + r[1]);
      assertTrue(report.get(key).asDouble() > 0, key + " is not positive in " + r[1]);
    }
    assertEquals("gup", report.get("suite").asText());
    assertTrue(report.get("flush_model").asText().length() > 0);
    assertEquals(
        report.get("pin_ratio_vs_atomic").asDouble() <= 2.0, report.get("pin_ratio_met").asBoolean());
    assertEquals(
        report.get("wake_latency_us_p50").asDouble() <= 100, report.get("wake_latency_met").asBoolean());
    // Memory is not a timing: the table's own accounting stays within 32 bytes a page plus
    // array headers and the directory.
    assertTrue(report.get("descriptor_bytes_per_page_accounted").asDouble() <= 32.1, r[1]);
    assertTrue(report.get("descriptor_table_bytes_1tib_unused").asLong() < 2L << 20, r[1]);
  }

  @Test
  void theTextReportNamesTheFlushModelAndTargets() {
    String[] r = run("bench", "gup", "--quick");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("flush model"), r[1]);
    assertTrue(r[1].contains("target <= 2.0"), r[1]);
    assertTrue(r[1].contains("quick run"), r[1]);
  }
}
