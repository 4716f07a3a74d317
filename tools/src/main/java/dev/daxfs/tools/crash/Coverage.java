package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coverage matrix of a generated workload set: operation x target type x depth x with or
 * without fsync after it, counting workloads per cell, so that gaps show.
 */
public final class Coverage {
  private Coverage() {}

  /**
   * Where a workload sits in the matrix.
   *
   * @param op the operation the workload checks (its keyword)
   * @param target the kind of thing it acts on (file-empty, dir-nonempty, new, ...)
   * @param depth how deep the target is: 1 in the root directory, 2 one below
   * @param fsync whether an fsync follows the operation
   */
  public record Cell(String op, String target, int depth, boolean fsync) {}

  /**
   * The matrix as maps for JSON: {@code cells[op][target]["d1"|"d2"]["fsync"|"no_fsync"]} =
   * workloads, over every operation of the language and every target in {@code targets};
   * {@code gaps} lists the applicable cells (per {@code applicable}) no workload covers.
   */
  static Map<String, Object> matrix(List<Workload> workloads, List<String> targets,
      Map<String, Set<String>> applicable) {
    Map<String, Map<String, Map<String, Map<String, Integer>>>> cells = new LinkedHashMap<>();
    for (OpKind k : OpKind.values()) {
      Map<String, Map<String, Map<String, Integer>>> byTarget = new LinkedHashMap<>();
      for (String t : targets) {
        Map<String, Map<String, Integer>> byDepth = new LinkedHashMap<>();
        for (int d = 1; d <= 2; d++) {
          Map<String, Integer> bySync = new LinkedHashMap<>();
          bySync.put("no_fsync", 0);
          bySync.put("fsync", 0);
          byDepth.put("d" + d, bySync);
        }
        byTarget.put(t, byDepth);
      }
      cells.put(k.keyword(), byTarget);
    }
    for (Workload w : workloads) {
      Cell c = w.cell();
      if (c == null || !cells.containsKey(c.op()) || !cells.get(c.op()).containsKey(c.target())) {
        continue;
      }
      cells.get(c.op()).get(c.target()).get("d" + c.depth())
          .merge(c.fsync() ? "fsync" : "no_fsync", 1, Integer::sum);
    }
    List<String> gaps = new ArrayList<>();
    int filled = 0;
    int cellsApplicable = 0;
    for (Map.Entry<String, Set<String>> a : applicable.entrySet()) {
      for (String t : a.getValue()) {
        for (int d = 1; d <= 2; d++) {
          for (String s : List.of("no_fsync", "fsync")) {
            cellsApplicable++;
            if (cells.get(a.getKey()).get(t).get("d" + d).get(s) == 0) {
              gaps.add(a.getKey() + " " + t + " d" + d + " " + s);
            } else {
              filled++;
            }
          }
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("targets", targets);
    m.put("applicable_cells", cellsApplicable);
    m.put("covered_cells", filled);
    m.put("gaps", gaps);
    m.put("cells", cells);
    return m;
  }
}
