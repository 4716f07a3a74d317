package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code daxfs bench fuse} end to end with tiny sizes: it mounts, measures every target, reports
 * the figures and ratios the issue names, and leaves no mount or region behind. (The figures
 * themselves are not judged here: speed lives in the benchmark, not in tests.)
 */
class FuseBenchTest {
  @TempDir Path tmp;

  @Test
  void reportsEveryFigureAndCleansUp() throws Exception {
    boolean bindfs = Run.sh(tmp, "command -v bindfs", 10).exit() == 0;
    boolean fio = Run.sh(tmp, "command -v fio", 10).exit() == 0;
    List<String> args = new ArrayList<>(List.of("bench", "fuse", "--json", "--runs", "1",
        "--size", "8M", "--creates", "100", "--fio-seconds", "1"));
    if (!bindfs) {
      args.add("--no-peer");
    }
    Run.Result r = Run.daxfs(tmp, 300, args.toArray(String[]::new));
    assertEquals(0, r.exit(), r.all());
    JsonNode j = new ObjectMapper().readTree(r.out());
    List<String> figures = new ArrayList<>(List.of("seq_write_mb_s", "seq_read_mb_s",
        "create_per_s"));
    if (fio) {
      figures.addAll(List.of("rand_read_4k_iops", "rand_write_4k_iops"));
    }
    for (String f : figures) {
      for (String t : bindfs ? List.of("shm", "bindfs", "daxfs") : List.of("shm", "daxfs")) {
        assertTrue(j.path("figures").path(f).path(t).path("median").asDouble() > 0,
            f + " on " + t + ": " + j.path("figures"));
      }
      String base = f.replaceAll("_(mb_s|iops|per_s)$", "");
      assertTrue(j.path(base + "_ratio_vs_shm").asDouble() > 0, base + " ratio in " + j);
      if (bindfs) {
        assertTrue(j.path(base + "_ratio_vs_bindfs").asDouble() > 0, base + " ratio in " + j);
      }
    }
    assertTrue(j.path("mount_options").path("daxfs").asText().startsWith("fuse.daxfs"), r.out());
    String backend = j.path("daxfs_region").asText();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(/dev/shm/daxfs-bench-\\d+)\\.region").matcher(backend);
    assertTrue(m.find(), "the region is named in the report: " + backend);
    for (String left : List.of(".region", "-shm", "-bindfs")) {
      assertFalse(Files.exists(Path.of(m.group(1) + left)), m.group(1) + left + " is left");
    }
    String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
    assertFalse(mounts.contains("daxfs-bench-"), "no mount left");
  }
}
