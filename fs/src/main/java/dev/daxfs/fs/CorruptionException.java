package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;

/**
 * A structure on the media failed its checks (magic, version, checksum, a value out of range).
 * The message names the structure and its region offset; callers see EIO.
 */
public final class CorruptionException extends ErrnoException {
  private static final long serialVersionUID = 1L;

  /** What was damaged, e.g. "primary superblock" or "log page of inode 12". */
  private final String structure;

  /** Region offset of the damaged structure. */
  private final long offset;

  public CorruptionException(String structure, long offset, String problem) {
    super(Errno.EIO, structure + " at region offset " + offset + ": " + problem);
    this.structure = structure;
    this.offset = offset;
  }

  public String structure() {
    return structure;
  }

  public long offset() {
    return offset;
  }
}
