package dev.daxfs.tools.fuse;

import java.util.Objects;

/**
 * The reply to {@link FuseFilesystem#create}: the new entry (one kernel reference, as for
 * lookup) and the handle of the file it opened.
 */
public record Created(FuseEntry entry, FileHandle handle) {
  public Created {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(handle, "handle");
    if (entry.isNegative()) {
      throw new IllegalArgumentException("create must return the created inode, not a negative entry");
    }
  }
}
