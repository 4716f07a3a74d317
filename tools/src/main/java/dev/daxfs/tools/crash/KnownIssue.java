package dev.daxfs.tools.crash;

import java.util.Locale;

/**
 * Bugs the checker found in daxfs and that are not fixed yet. The checker is strict by
 * default. Tolerating an issue makes the model expect daxfs's current behaviour for it where it
 * can express it; where it cannot (an EIO after a crash), the violations of the workloads that
 * ran into the issue are counted apart as known, not as violations. Everything else is still
 * found. Each issue names a seq1 workload that shows it.
 */
public enum KnownIssue {
  /**
   * A layout break (truncate, punch, zero, collapse, insert, an O_TRUNC open) removes the file's
   * DAX entries of the broken range with DaxAddressSpace.removeEntries, dirty ones included,
   * without writing their cache lines back. Stores made through a mapping into pages whose
   * blocks survive (the page holding the new end of file, pages a collapse or insert shifts,
   * every page of a collapse or insert that then fails its checks) are then skipped by fsync,
   * msync, sync and unmount, and a crash loses them. With data checksums, fsync also records a
   * checksum of those bytes, which are not on the media: the page reads EIO after a crash.
   */
  LAYOUT_BREAK_DROPS_MAPPED_STORES("layout-break-drops-mapped-stores",
      "truncate.mapped.d1.fsync", false,
      "a layout break drops dirty DAX entries without writing them back, so fsync, msync, "
          + "sync and unmount never make those mapped stores durable"),

  /**
   * With data checksums: once fsync has cleared the stale mark of a page a mapping holds, a
   * write() into that page goes in place (the page may not move) and stores the new bytes
   * before the log entry carrying their checksum commits; so does the zeroing of the old last
   * page's tail when a write, truncate or fallocate grows the file. A crash in between leaves
   * the old checksum over new bytes: the page reads EIO. The page must be marked stale on
   * media before the in-place store, as it is before a mapping may write it.
   */
  IN_PLACE_WRITE_BREAKS_CHECKSUM("in-place-write-breaks-checksum",
      "write.in-place-synced.d1", true,
      "with data checksums, a write() into a mapped page whose stale mark fsync cleared "
          + "stores the data before its new checksum commits: EIO after a crash in between");

  /** The name on the command line. */
  private final String cliName;

  /** A seq1 workload that shows the issue when it is not tolerated. */
  private final String example;

  /** Whether the issue shows only on a filesystem with data checksums. */
  private final boolean needsDataChecksums;

  /** One line saying what is wrong. */
  private final String description;

  KnownIssue(String cliName, String example, boolean needsDataChecksums, String description) {
    this.cliName = cliName;
    this.example = example;
    this.needsDataChecksums = needsDataChecksums;
    this.description = description;
  }

  public String cliName() {
    return cliName;
  }

  public String example() {
    return example;
  }

  public boolean needsDataChecksums() {
    return needsDataChecksums;
  }

  public String description() {
    return description;
  }

  /**
   * Whether a workload that ran into the issue has its violations counted apart (when the
   * issue is tolerated): where the symptom is an EIO after a crash, which the model cannot
   * expect. Both issues show as EIO only on a filesystem with data checksums; without them
   * the first is modelled and the second does no harm.
   */
  boolean excusesViolations(boolean dataChecksums) {
    return dataChecksums;
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
