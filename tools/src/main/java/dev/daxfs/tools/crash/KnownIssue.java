package dev.daxfs.tools.crash;

import java.util.Locale;

/**
 * Bugs the checker found in daxfs and that are not fixed yet. The checker is strict by
 * default; tolerating an issue makes the model expect daxfs's current behaviour for it (and
 * only for it), so that a run still finds everything else. Each issue names a seq1 workload
 * that shows it.
 */
public enum KnownIssue {
  /**
   * A layout break (truncate, punch, zero, collapse, insert, an O_TRUNC open) removes the file's
   * DAX entries of the broken range with DaxAddressSpace.removeEntries, dirty ones included,
   * without writing their cache lines back. Stores made through a mapping into pages whose
   * blocks survive (the page holding the new end of file, pages a collapse or insert shifts,
   * every page of a collapse or insert that then fails its checks) are then skipped by fsync,
   * msync, sync and unmount, and a crash loses them.
   */
  LAYOUT_BREAK_DROPS_MAPPED_STORES("layout-break-drops-mapped-stores",
      "truncate.mapped.d1.fsync",
      "a layout break drops dirty DAX entries without writing them back, so fsync, msync, "
          + "sync and unmount never make those mapped stores durable");

  /** The name on the command line. */
  private final String cliName;

  /** A seq1 workload that shows the issue when it is not tolerated. */
  private final String example;

  /** One line saying what is wrong. */
  private final String description;

  KnownIssue(String cliName, String example, String description) {
    this.cliName = cliName;
    this.example = example;
    this.description = description;
  }

  public String cliName() {
    return cliName;
  }

  public String example() {
    return example;
  }

  public String description() {
    return description;
  }

  public static KnownIssue of(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (KnownIssue i : values()) {
      if (i.cliName.equals(n)) {
        return i;
      }
    }
    StringBuilder known = new StringBuilder();
    for (KnownIssue i : values()) {
      known.append(known.length() == 0 ? "" : ", ").append(i.cliName);
    }
    throw new IllegalArgumentException("unknown issue '" + name + "' (known: " + known + ")");
  }
}
