package dev.daxfs.tools.race;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code daxfs dma-race} in process. The protected run must find nothing; the same harness with
 * the layout break switched off must find corrupted blocks for the default seed within 200
 * rounds, which is what proves that the first test can fail.
 */
class DmaRaceCommandTest {

  /** Rounds of the protected run; raise with -Ddaxfs.race.iterations for a longer soak. */
  private static final int ITERATIONS = Integer.getInteger("daxfs.race.iterations", 150);

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  record Run(int status, String out, String err) {
    JsonNode json() throws Exception {
      return JSON.readTree(out);
    }
  }

  static Run daxfs(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void withTheLayoutBreakNothingIsMisdirectedOrCorrupted() throws Exception {
    Run r = daxfs("dma-race", "--iterations", String.valueOf(ITERATIONS), "--json");
    assertEquals(0, r.status(), r.err() + r.out());
    JsonNode j = r.json();
    assertEquals(ITERATIONS, j.get("iterations").asInt());
    assertEquals(0, j.get("misdirected_writes").asLong(), r.out());
    assertEquals(0, j.get("corrupted_blocks").asLong(), r.out());
    assertEquals(0, j.get("dma_tags_lost").asLong(), r.out());
    assertEquals(0, j.get("dma_tags_stray").asLong(), r.out());
    assertEquals(0, j.get("failed_rounds").asLong(), r.out());
    assertEquals(0, j.get("recovery_free_blocks_delta").asLong(), r.out());
    // The race really ran: cuts waited for DMA, and the blocks they freed went to the other
    // file, which is where a misdirected write would have shown.
    assertTrue(j.get("dma_writes").asLong() >= ITERATIONS, r.out());
    assertTrue(j.get("dma_tags_expected").asLong() > 0, r.out());
    assertTrue(j.get("layout_waits").asLong() > ITERATIONS / 2, r.out());
    assertTrue(j.get("pinned_blocks_reused").asLong() > 0, r.out());
    assertTrue(j.get("wait_us_p50").isNumber(), r.out());
    assertTrue(j.get("break_return_latency_us_p50").isNumber(), r.out());
    for (RaceOp op : RaceOp.values()) {
      assertTrue(j.get("ops").get(op.label()).asLong() > 0, op + " never ran: " + r.out());
    }
  }

  @Test
  void withoutTheLayoutBreakTheDefaultSeedFindsCorruptionWithin200Rounds() throws Exception {
    Run r = daxfs("dma-race", "--iterations", "200", "--unsafe-skip-layout-break", "--json");
    assertEquals(0, r.status(), r.err() + r.out());
    JsonNode j = r.json();
    assertTrue(j.get("corrupted_blocks").asLong() > 0, r.out());
    assertTrue(j.get("corrupted_blocks_other_file").asLong() > 0, r.out());
    assertTrue(j.get("misdirected_writes").asLong() > 0, r.out());
    assertTrue(j.get("dma_tags_stray").asLong() > 0, r.out());
    assertEquals(0, j.get("layout_waits").asLong(), "nothing waited without the break");
    assertTrue(j.get("layout_break").asText().contains("demonstration only"));
  }

  @Test
  void withDataChecksumsEveryBlockReadsBackVerifiedAndTheSkippedBreakShowsAsEio()
      throws Exception {
    Run r = daxfs("dma-race", "--iterations", String.valueOf(ITERATIONS / 3),
        "--data-checksums", "--json");
    assertEquals(0, r.status(), r.err() + r.out());
    JsonNode j = r.json();
    assertTrue(j.get("data_checksums").asBoolean());
    assertEquals(0, j.get("unreadable_blocks").asLong(), r.out());
    assertEquals(0, j.get("corrupted_blocks").asLong(), r.out());
    assertTrue(j.get("layout_waits").asLong() > 0, r.out());

    Run unsafe = daxfs("dma-race", "--iterations", "100", "--data-checksums",
        "--unsafe-skip-layout-break", "--json");
    assertEquals(0, unsafe.status(), unsafe.err() + unsafe.out());
    assertTrue(unsafe.json().get("unreadable_blocks").asLong() > 0,
        "the checksums of the other file's blocks catch the device's late writes: "
            + unsafe.out());
  }

  @Test
  void everyKindOfDamageCountsAgainstAProtectedRun() {
    // The verdict is the command's: a report with damage in it fails the protected run.
    RaceReport report = new RaceReport(1, false, false, "test");
    assertFalse(report.foundDamage());
    report.corrupted(3, 0, 1);
    assertTrue(report.foundDamage());
    assertEquals(3, report.firstCorruptedRound);
    RaceReport misdirected = new RaceReport(1, false, false, "test");
    misdirected.misdirectedWrites = 1;
    assertTrue(misdirected.foundDamage());
    RaceReport recovery = new RaceReport(1, false, false, "test");
    recovery.recoveryFreeBlocksDelta = -2;
    assertTrue(recovery.foundDamage());
  }

  @Test
  void theTextReportHasEveryFigure() {
    Run r = daxfs("dma-race", "--iterations", "5");
    assertEquals(0, r.status(), r.err());
    for (String key : List.of("iterations: 5", "dma_writes:", "misdirected_writes: 0",
        "corrupted_blocks: 0", "layout_waits:", "wait_us_p50:", "wait_us_p99:",
        "break_return_latency_us_p50:")) {
      assertTrue(r.out().contains(key), key + " missing from:\n" + r.out());
    }
  }

  @Test
  void helpLabelsTheUnsafeSwitchAsDemonstrationOnly() {
    Run r = daxfs("dma-race", "--help");
    assertEquals(0, r.status());
    assertTrue(r.out().contains("--unsafe-skip-layout-break"), r.out());
    assertTrue(r.out().contains("FOR DEMONSTRATION ONLY"), r.out());
  }

  @Test
  void theUnsafeSwitchIsRefusedOnAnyRegionButTheHarnesssOwn() {
    Path file = tmp.resolve("region");
    Run r = daxfs("dma-race", "--unsafe-skip-layout-break", "--region", file.toString());
    assertEquals(2, r.status(), r.out());
    assertOneSentence(r.err(), "refused with --region");
    assertFalse(Files.exists(file), "nothing was created");
  }

  @Test
  void anExistingRegionFileIsNeverFormatted() throws Exception {
    Path file = tmp.resolve("precious");
    byte[] data = new byte[64 << 10];
    data[100] = 42;
    Files.write(file, data);
    Run r = daxfs("dma-race", "--iterations", "1", "--region", file.toString());
    assertEquals(2, r.status(), r.out());
    assertOneSentence(r.err(), "exists");
    assertArrayEquals(data, Files.readAllBytes(file));
  }

  @Test
  void aNewRegionFileIsKeptAndInspectable() throws Exception {
    Path file = tmp.resolve("race-region");
    Run r = daxfs("dma-race", "--iterations", "3", "--region", file.toString(), "--json");
    assertEquals(0, r.status(), r.err() + r.out());
    assertTrue(r.json().get("region").asText().contains(file.toString()), r.out());
    Run inspect = daxfs("inspect", file.toString(), "--json");
    assertEquals(0, inspect.status(), inspect.err());
  }

  @Test
  void badIterationCountsAreUsageErrors() {
    for (String bad : List.of("0", "-3", "many")) {
      Run r = daxfs("dma-race", "--iterations", bad);
      assertEquals(2, r.status(), bad + ": " + r.out());
      assertOneSentence(r.err(), "--iterations");
    }
  }

  /** One line, naming the problem, no stack trace. */
  static void assertOneSentence(String err, String mentions) {
    assertTrue(err.contains(mentions), err);
    assertEquals(1, err.strip().lines().count(), err);
    assertFalse(err.contains("\tat "), err);
  }
}
