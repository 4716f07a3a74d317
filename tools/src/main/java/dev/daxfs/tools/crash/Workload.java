package dev.daxfs.tools.crash;

import java.util.List;
import java.util.Objects;

/**
 * A named sequence of operations to check at every fence, run after an optional setup.
 *
 * <p>The setup runs on a fresh filesystem before recording starts and is not checked itself
 * (a set that shares one setup checks it once as a workload of its own); workloads with the
 * same setup start from one image of it, made once.
 *
 * @param name unique within its set; {@code --replay} finds the workload by it
 * @param setup operations run unchecked first, possibly none
 * @param ops the operations checked
 * @param cell where the workload sits in the coverage matrix, or null
 */
public record Workload(String name, List<Op> setup, List<Op> ops, Coverage.Cell cell) {

  public Workload {
    Objects.requireNonNull(name, "name");
    setup = List.copyOf(setup);
    ops = List.copyOf(ops);
  }

  /** A workload without setup or coverage cell, as read from a file. */
  public static Workload of(String name, List<Op> ops) {
    return new Workload(name, List.of(), ops, null);
  }

  /** The text of the workload as the language writes it, setup first and marked. */
  public String text() {
    StringBuilder b = new StringBuilder();
    if (!setup.isEmpty()) {
      b.append("# setup (not checked)\n");
      for (Op op : setup) {
        b.append(op).append('\n');
      }
      b.append("# checked\n");
    }
    for (Op op : ops) {
      b.append(op).append('\n');
    }
    return b.toString();
  }
}
