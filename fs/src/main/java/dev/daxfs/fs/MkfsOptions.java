package dev.daxfs.fs;

/** How {@link DaxFs#mkfs} formats a region. */
public final class MkfsOptions {

  /** Keep a CRC32C per data block and verify it on every read. */
  boolean dataChecksums;

  /** Owner, group and permissions of the root directory. */
  int rootUid;

  int rootGid;
  int rootMode = 0755;

  public static MkfsOptions defaults() {
    return new MkfsOptions();
  }

  public MkfsOptions dataChecksums(boolean on) {
    dataChecksums = on;
    return this;
  }

  public MkfsOptions rootOwner(int uid, int gid) {
    rootUid = uid;
    rootGid = gid;
    return this;
  }

  public MkfsOptions rootMode(int mode) {
    rootMode = mode & Mode.PERMISSIONS;
    return this;
  }
}
