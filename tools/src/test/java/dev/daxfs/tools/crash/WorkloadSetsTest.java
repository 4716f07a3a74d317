package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadSetsTest {

  @Test
  void seq1HasEveryOperationOnItsTargetsAtBothDepthsWithAndWithoutFsync() {
    List<Workload> ws = Seq1.workloads();
    assertTrue(ws.size() >= 300, "seq1 has " + ws.size() + " workloads");
    Set<String> names = new HashSet<>();
    Set<OpKind> checked = EnumSet.noneOf(OpKind.class);
    for (Workload w : ws) {
      assertTrue(names.add(w.name()), "duplicate " + w.name());
      if (w.cell() != null) {
        checked.add(OpKind.of(w.cell().op()));
        assertEquals(w.cell().fsync(), w.name().endsWith(".fsync"));
        assertTrue(w.name().contains(".d" + w.cell().depth()));
      }
    }
    assertEquals(EnumSet.allOf(OpKind.class), checked);
    assertEquals(Seq1.SETUP_NAME, ws.get(0).name());
    assertTrue(ws.get(0).setup().isEmpty());
    assertEquals(Seq1.setup(), ws.get(1).setup());
  }

  @Test
  @SuppressWarnings("unchecked")
  void theCoverageMatrixCountsCellsAndShowsGaps() {
    List<Workload> ws = Seq1.workloads();
    Map<String, Object> m = Seq1.coverage(ws);
    Map<String, Map<String, Map<String, Map<String, Integer>>>> cells =
        (Map<String, Map<String, Map<String, Map<String, Integer>>>>) m.get("cells");
    assertEquals(OpKind.values().length, cells.size());
    assertTrue(cells.get("rename").get("file-data").get("d2").get("fsync") >= 5);
    List<String> gaps = (List<String>) m.get("gaps");
    assertEquals(List.of(), gaps, "every applicable cell has workloads");
    assertTrue((Integer) m.get("covered_cells") > 0);
    List<Workload> noRenames = ws.stream().filter(w -> !w.name().startsWith("rename.")).toList();
    List<String> moreGaps = (List<String>) Seq1.coverage(noRenames).get("gaps");
    assertTrue(moreGaps.contains("rename dir-empty d1 fsync"), moreGaps.toString());
    assertTrue(moreGaps.size() > gaps.size());
  }

  @Test
  void seq2SamplesDistinctPairsBySeedAndNamesThem() {
    List<Workload> a = Seq2.sample(1, 20);
    assertEquals(20, a.size());
    assertEquals(a, Seq2.sample(1, 20));
    assertNotEquals(a.get(0).name(), Seq2.sample(2, 20).get(0).name());
    assertEquals(20, a.stream().map(Workload::name).distinct().count());
    Workload w = a.get(3);
    assertEquals(w, Seq2.named(w.name()));
    assertTrue(Seq2.size() > 10_000);
  }

  @Test
  void randomWorkloadsAreDeterministicAndShort() {
    Workload a = RandomWorkloads.seeded(5, 3);
    assertEquals(a, RandomWorkloads.seeded(5, 3));
    assertEquals(a, WorkloadSets.named("random", "random-5-3", 5));
    for (Workload w : RandomWorkloads.workloads(9, 50)) {
      assertTrue(w.ops().size() >= 1 && w.ops().size() <= RandomWorkloads.MAX_OPS);
    }
    Workload fromList = RandomWorkloads.generate("x", RandomWorkloads.Choices.of(List.of()));
    assertEquals(1, fromList.ops().size(), "no choices: one operation");
  }

  @Test
  void filesAndDirectoriesOfWorkloads(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("b.wl"), "mkdir B\n");
    Files.writeString(dir.resolve("a.wl"), "mkdir A\nsync\n");
    Files.writeString(dir.resolve(".hidden"), "garbage\n");
    List<Workload> ws = WorkloadSets.resolve(dir.toString(), 0, 0);
    assertEquals(2, ws.size());
    assertTrue(ws.get(0).name().endsWith("a.wl"));
    assertEquals(2, ws.get(0).ops().size());
    Files.writeString(dir.resolve("c.wl"), "mkdir C\nbogus\n");
    WorkloadSyntaxException e = assertThrows(WorkloadSyntaxException.class,
        () -> WorkloadSets.resolve(dir.toString(), 0, 0));
    assertTrue(e.getMessage().contains("c.wl line 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> WorkloadSets.resolve(dir.resolve("missing").toString(), 0, 0));
  }
}
