package dev.daxfs.fs;

/**
 * Deliberate bugs for proving that the crash checker and the race harness catch what they
 * claim to catch. All false by default; {@link DaxFs#mount} accepts them only on a
 * crash-recording region, one of its crash images, or a region a test harness declared its own
 * ({@link MountOptions#testHarnessRegion}), never on a filesystem a user mounts.
 */
public final class TestSwitches {

  /** Commit multi-inode operations without the journal (no atomicity across inodes). */
  public volatile boolean skipJournal;

  /** Recovery leaves active journal lanes alone instead of rolling them back. */
  public volatile boolean ignoreActiveJournal;

  /** Skip the flush of appended log entries before the tail update. */
  public volatile boolean skipEntryFlush;

  /** Skip the fence between the entry flush and the tail update. */
  public volatile boolean skipTailFence;

  /**
   * Rename rewrites the directory entry's name where it lies in the log (same directory, same
   * name length), or else commits each directory on its own, instead of remove + add in one
   * transaction.
   */
  public volatile boolean renameInPlace;

  /** Unlink drops the link count before removing the name, in separate commits. */
  public volatile boolean unlinkWrongOrder;

  /**
   * Truncate, punch, zero, collapse, insert and eviction skip the layout break, and
   * copy-on-write moves pages a device holds: blocks are freed while DMA may write them.
   */
  public volatile boolean skipLayoutBreak;

  /** Stale marks reach the media only after the mapping or pin was granted. */
  public volatile boolean lateStaleMark;

  /**
   * With data checksums, a write stores into a page in place without first marking it stale on
   * media: a crash before the write's entry commits leaves the old checksum over new bytes.
   */
  public volatile boolean inPlaceWriteBeforeStaleMark;

  /**
   * With data checksums, a written page becomes writable (a write fault of a mapping or of a
   * device's pin) without a stale mark: stores and DMA change bytes under a checksum that reads
   * still trust, and a read reports a false EIO.
   */
  public volatile boolean skipStaleMark;

  /**
   * Cross-directory renames run without the rename lock: the ancestor check that keeps a
   * directory out of its own subtree then reads a tree other renames are changing, and two
   * crossing moves can make a cycle cut off from the root.
   */
  public volatile boolean skipRenameLock;

  /** True when any switch is on. */
  public boolean any() {
    return skipJournal || ignoreActiveJournal || skipEntryFlush || skipTailFence
        || renameInPlace || unlinkWrongOrder || skipLayoutBreak || lateStaleMark
        || inPlaceWriteBeforeStaleMark || skipStaleMark || skipRenameLock;
  }

  /** The switches with no bug enabled. */
  public static TestSwitches none() {
    return new TestSwitches();
  }
}
