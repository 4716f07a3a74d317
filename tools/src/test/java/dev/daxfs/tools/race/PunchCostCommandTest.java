package dev.daxfs.tools.race;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.race.DmaRaceCommandTest.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code daxfs dma-race punch-cost} on a small size: the figures are not judged (no timing in
 * tests), but the punch's log records are, on the kept region, as {@code daxfs inspect} reads
 * them: one RANGE record however many pages, and no block left in the file.
 */
class PunchCostCommandTest {

  @TempDir Path tmp;

  @Test
  void aPunchIsOneRangeRecordWhateverItsSize() throws Exception {
    Path file = tmp.resolve("punch-region");
    Run r = DmaRaceCommandTest.daxfs("dma-race", "punch-cost", "--size", "8MiB", "--repeat",
        "1", "--region", file.toString(), "--json");
    assertEquals(0, r.status(), r.err() + r.out());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(1, j.get("punch_range_records").asLong(), r.out());
    assertEquals("[\"range punch\",\"setattr\"]", j.get("punch_log_records").toString());
    assertTrue(j.get("punch_unmapped_ms").asDouble() > 0, r.out());
    assertTrue(j.get("punch_mapped_no_pins_ms").asDouble() > 0, r.out());

    Run inspect = DmaRaceCommandTest.daxfs("inspect", file.toString(), "--path", "/punched",
        "--json");
    assertEquals(0, inspect.status(), inspect.err());
    JsonNode in = new ObjectMapper().readTree(inspect.out()).get("inode");
    assertEquals(8L << 20, in.get("size").asLong());
    assertEquals(0, in.get("mapped_pages").asLong(), "the punch left no block mapped");
    JsonNode records = in.get("log").get("records");
    JsonNode last = records.get(records.size() - 2);
    assertEquals("range", last.get("type").asText());
    assertEquals("punch", last.get("op").asText());
    assertEquals(2048, last.get("pages").asLong());
  }

  @Test
  void badSizesAreUsageErrors() {
    for (String bad : new String[] {"12345", "0", "lots"}) {
      Run r = DmaRaceCommandTest.daxfs("dma-race", "punch-cost", "--size", bad);
      assertEquals(2, r.status(), bad + ": " + r.out());
      DmaRaceCommandTest.assertOneSentence(r.err(), "--size");
    }
  }
}
