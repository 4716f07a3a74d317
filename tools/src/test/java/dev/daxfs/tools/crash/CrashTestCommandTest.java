package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.Json;
import dev.daxfs.tools.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashTestCommandTest {

  private String out;
  private String err;

  private int run(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code = Main.run(args, new PrintWriter(o, true), new PrintWriter(e, true));
    out = o.toString();
    err = e.toString();
    return code;
  }

  @Test
  void injectListPrintsOneNamePerLine() {
    assertEquals(0, run("crashtest", "--inject", "list"));
    assertEquals(String.join("\n", "skip-entry-flush", "skip-tail-fence", "rename-in-place",
        "rename-without-journal", "unlink-wrong-order", "recovery-ignores-journal",
        "in-place-write-before-stale-mark", "late-stale-mark") + "\n",
        out.replace("\r", ""));
  }

  @Test
  void aWorkloadFileIsCheckedAndTheTotalsPrinted(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("w.wl");
    Files.writeString(f, "mkdir A\ncreat A/f\nwrite A/f 0 100\n");
    assertEquals(0, run("crashtest", "--workload", f.toString()), err);
    for (String key : new String[] {"workloads", "operations", "fences", "crash_states",
        "violations", "seconds"}) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith(key + " ")), key + " in:\n" + out);
    }
    assertTrue(out.contains("violations               0"), out);
  }

  @Test
  void workloadFileIsTheSameOptionAsWorkload(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("w.wl");
    Files.writeString(f, "mkdir A\ncreat A/f\n");
    assertEquals(0, run("crashtest", "--workload-file", f.toString(), "--list"), err);
    assertEquals(f + "\n", out.replace("\r", ""));
    assertEquals(0, run("crashtest", "--workload-file", dir.toString()), err);
    assertTrue(out.contains("workloads                1"), out);
    assertEquals(1, run("crashtest", "--workload-file", dir.resolve("none").toString()));
    assertTrue(err.contains("is none of those"), err);
  }

  /** The words of a shell line: blanks separate, single quotes quote ('\'' for a quote). */
  private static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean inWord = false;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '\'') {
          quoted = false;
        } else {
          w.append(c);
        }
      } else if (c == '\'') {
        quoted = true;
        inWord = true;
      } else if (c == '\\' && i + 1 < line.length()) {
        w.append(line.charAt(++i));
        inWord = true;
      } else if (c == ' ') {
        if (inWord) {
          words.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
      } else {
        w.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(w.toString());
    }
    return words;
  }

  @Test
  void theReplayLineReproducesTheViolationAlone() {
    String synced = "^write\\.in-place-synced\\.d1$";
    assertEquals(0, run("crashtest", "--data-checksums", "--seed", "3", "--max-images", "100",
        "--only", synced, "--inject", "in-place-write-before-stale-mark"), out + err);
    String line = out.lines().filter(l -> l.trim().startsWith("replay: ")).findFirst()
        .orElseThrow().trim().substring("replay: ".length());
    List<String> words = shellWords(line);
    assertEquals("tools/daxfs", words.get(0), line);
    for (String needed : new String[] {"crashtest", "--workload", "seq1", "--seed", "3",
        "--inject", "in-place-write-before-stale-mark", "--data-checksums", "--max-images",
        "100", "--replay"}) {
      assertTrue(words.contains(needed), needed + " in " + line);
    }
    String[] args = words.subList(1, words.size()).toArray(new String[0]);
    assertEquals(1, run(args), "the replay finds the violation again\n" + out + err);
    assertTrue(out.contains("data checksum mismatch"), out);
    assertTrue(out.contains("1 violation"), out);
  }

  @Test
  void aMalformedWorkloadIsRejectedWithItsLineNumber(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.wl");
    Files.writeString(f, "mkdir A\nwrite A 0\n");
    assertEquals(1, run("crashtest", "--workload", f.toString()));
    assertTrue(err.contains("bad.wl line 2: write takes 3 arguments"), err);
    assertTrue(!err.contains("Exception"), err);
  }

  @Test
  void anInjectedBugIsCaughtAndItsViolationReplays(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("u.wl");
    Files.writeString(f, "creat f\nlink f g\nunlink g\n");
    assertEquals(0, run("crashtest", "--workload", f.toString(), "--inject",
        "unlink-wrong-order"), "exit 0: the injected bug was caught\n" + out + err);
    assertTrue(out.contains("state violation at op 3 (unlink g)"), out);
    List<String> words = shellWords(out.lines().filter(l -> l.contains("replay: "))
        .findFirst().orElseThrow().trim());
    String id = words.get(words.indexOf("--replay") + 1);
    assertEquals(1, run("crashtest", "--workload", f.toString(), "--inject",
        "unlink-wrong-order", "--replay", id), out + err);
    assertTrue(out.contains("op 3: unlink g"), out);
    assertTrue(out.contains("link count 1, expected 2"), out);
    assertEquals(1, run("crashtest", "--workload", f.toString(), "--inject",
        "skip-entry-flush", "--only", "nothing-matches"));
    assertTrue(err.contains("no workload"), err);
  }

  @Test
  void jsonCarriesTheCoverageMatrixOfSeq1() throws Exception {
    assertEquals(0, run("crashtest", "--only", "^mkdir\\.new\\.", "--json"), err);
    JsonNode j = Json.mapper().readTree(out);
    assertEquals(4, j.get("workloads").asInt());
    assertEquals(0, j.get("violations").asInt());
    assertTrue(j.get("crash_states").asInt() > 4);
    JsonNode cells = j.get("coverage").get("cells");
    assertEquals(1, cells.get("mkdir").get("new").get("d2").get("fsync").asInt());
    assertEquals(0, cells.get("rename").get("file-data").get("d1").get("fsync").asInt());
    assertTrue(j.get("coverage").get("gaps").size() > 0);
  }

  @Test
  void theWorkloadsThatFoundFixedBugsPass() {
    assertEquals(0, run("crashtest", "--only", "^truncate\\.mapped\\.d1\\.fsync$"),
        out + err);
    String synced = "^write\\.in-place-synced\\.d1$";
    assertEquals(0, run("crashtest", "--data-checksums", "--only", synced), out + err);
    assertEquals(0, run("crashtest", "--data-checksums", "--only", synced, "--inject",
        "in-place-write-before-stale-mark"), "exit 0: the injected bug was caught\n" + out
        + err);
    assertTrue(out.contains("data checksum mismatch"), out);
  }

  @Test
  void badUsageExitsWithTwo() {
    assertEquals(2, run("crashtest", "--max-images", "1"));
    assertEquals(2, run("crashtest", "--inject", "nonsense"));
    assertTrue(err.contains("unknown injection 'nonsense'"), err);
    assertEquals(2, run("crashtest", "--replay", "x@y:z"));
    assertEquals(2, run("crashtest", "--inject", "in-place-write-before-stale-mark"));
    assertTrue(err.contains("needs --data-checksums"), err);
  }

  @Test
  void listNamesTheWorkloadsOfASet() {
    assertEquals(0, run("crashtest", "--workload", "random", "--count", "3", "--seed", "4",
        "--list"));
    assertEquals("random-4-0\nrandom-4-1\nrandom-4-2\n", out.replace("\r", ""));
  }
}
