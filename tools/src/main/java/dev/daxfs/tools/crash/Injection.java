package dev.daxfs.tools.crash;

import dev.daxfs.fs.TestSwitches;
import java.util.Locale;

/**
 * The known bug classes the checker must catch, each re-introduced in daxfs by one of its test
 * switches ({@link TestSwitches}), which daxfs accepts only on in-process regions.
 */
public enum Injection {
  /** Log entries are not flushed before the tail that makes them visible moves over them. */
  SKIP_ENTRY_FLUSH("skip-entry-flush", false, false,
      "log entries are not flushed before the tail update that publishes them"),
  /** No fence orders the entries' write-back before the tail update. */
  SKIP_TAIL_FENCE("skip-tail-fence", false, false,
      "no fence between flushing log entries and the tail update"),
  /**
   * Rename rewrites the directory entry's name where it lies in the log (same directory, same
   * name length), else changes each directory in its own commit.
   */
  RENAME_IN_PLACE("rename-in-place", false, false,
      "rename rewrites a directory entry in place (same directory and name length), else "
          + "commits one directory at a time"),
  /** Multi-inode operations (rename shows it best) commit without the journal. */
  RENAME_WITHOUT_JOURNAL("rename-without-journal", false, false,
      "rename (and every other multi-inode operation) commits without the journal"),
  /** Unlink drops the link count in one commit and removes the name in a later one. */
  UNLINK_WRONG_ORDER("unlink-wrong-order", false, false,
      "unlink drops the link count before removing the name, in separate commits"),
  /** Recovery leaves an unfinished journal transaction in place instead of rolling it back. */
  RECOVERY_IGNORES_JOURNAL("recovery-ignores-journal", true, false,
      "recovery ignores an unfinished journal transaction instead of rolling it back"),
  /**
   * A write() into a checksummed page that must stay in place (a mapping holds it, and fsync
   * cleared its stale mark) stores the new bytes before the page is marked stale on media.
   */
  IN_PLACE_WRITE_BEFORE_STALE_MARK("in-place-write-before-stale-mark", false, true,
      "with data checksums, a write stores into a page in place before marking it stale on "
          + "media, so a crash leaves the old checksum over new bytes"),
  /**
   * The stale mark of a page a writable mapping (or a write pin) is granted reaches the media
   * only after the grant: stores through the mapping may be durable while the mark is not.
   */
  LATE_STALE_MARK("late-stale-mark", false, true,
      "with data checksums, a page's stale mark is made durable only after the writable "
          + "mapping is granted, so a crash can leave the old checksum over stored bytes");

  /** The name on the command line. */
  private final String cliName;

  /** True when the bug is in recovery (the checker's mounts), false when in the workload run. */
  private final boolean inRecovery;

  /** True when the bug is in data checksums: it shows only on a filesystem formatted with them. */
  private final boolean needsDataChecksums;

  /** One line saying what the bug is. */
  private final String description;

  Injection(String cliName, boolean inRecovery, boolean needsDataChecksums,
      String description) {
    this.cliName = cliName;
    this.inRecovery = inRecovery;
    this.needsDataChecksums = needsDataChecksums;
    this.description = description;
  }

  public String cliName() {
    return cliName;
  }

  public String description() {
    return description;
  }

  /** True when the switch belongs on the mounts of crash images, not on the workload's. */
  public boolean inRecovery() {
    return inRecovery;
  }

  /** True when the bug can only be caught on a filesystem with data checksums. */
  public boolean needsDataChecksums() {
    return needsDataChecksums;
  }

  /** The switches that re-introduce this bug. */
  public TestSwitches switches() {
    TestSwitches s = TestSwitches.none();
    switch (this) {
      case SKIP_ENTRY_FLUSH -> s.skipEntryFlush = true;
      case SKIP_TAIL_FENCE -> s.skipTailFence = true;
      case RENAME_IN_PLACE -> s.renameInPlace = true;
      case RENAME_WITHOUT_JOURNAL -> s.skipJournal = true;
      case UNLINK_WRONG_ORDER -> s.unlinkWrongOrder = true;
      case RECOVERY_IGNORES_JOURNAL -> s.ignoreActiveJournal = true;
      case IN_PLACE_WRITE_BEFORE_STALE_MARK -> s.inPlaceWriteBeforeStaleMark = true;
      case LATE_STALE_MARK -> s.lateStaleMark = true;
    }
    return s;
  }

  /** The injection called {@code name} on the command line. */
  public static Injection of(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (Injection i : values()) {
      if (i.cliName.equals(n)) {
        return i;
      }
    }
    StringBuilder known = new StringBuilder();
    for (Injection i : values()) {
      known.append(known.length() == 0 ? "" : ", ").append(i.cliName);
    }
    throw new IllegalArgumentException("unknown injection '" + name + "' (known: " + known
        + ")");
  }
}
