package dev.daxfs.tools.fuse;

/**
 * A directory entry the kernel may cache: the reply to lookup, mknod, mkdir, symlink, link and
 * create. Every non-negative entry returned counts as one kernel reference on the inode, given
 * back through {@link FuseFilesystem#forget}.
 *
 * @param attr the inode's attributes; null for a negative entry (the name does not exist)
 * @param generation with the inode number, identifies the inode over the filesystem's life:
 *     bump it when an inode number is reused
 * @param attrTimeout seconds the kernel may cache {@code attr}
 * @param entryTimeout seconds the kernel may cache the name (or its absence)
 */
public record FuseEntry(FuseAttr attr, long generation, double attrTimeout, double entryTimeout) {

  public FuseEntry {
    if (!(attrTimeout >= 0) || !(entryTimeout >= 0)) {
      throw new IllegalArgumentException("timeouts must be non-negative seconds");
    }
  }

  /** An entry for {@code attr} with generation 0 and both timeouts {@code timeout} seconds. */
  public static FuseEntry of(FuseAttr attr, double timeout) {
    return new FuseEntry(java.util.Objects.requireNonNull(attr, "attr"), 0, timeout, timeout);
  }

  /** "No such name", cached by the kernel for {@code entryTimeout} seconds. */
  public static FuseEntry negative(double entryTimeout) {
    return new FuseEntry(null, 0, 0, entryTimeout);
  }

  /** True for a negative entry. */
  public boolean isNegative() {
    return attr == null;
  }

  /** The inode number, 0 for a negative entry. */
  public long ino() {
    return attr == null ? 0 : attr.ino();
  }

  /** Writes this entry into a {@code struct fuse_entry_param} at {@code p}. */
  void writeTo(com.sun.jna.Pointer p) {
    p.setLong(Layouts.ENTRY_INO, ino());
    p.setLong(Layouts.ENTRY_GENERATION, generation);
    if (attr != null) {
      attr.writeTo(p, Layouts.ENTRY_ATTR);
    } else {
      p.setMemory(Layouts.ENTRY_ATTR, Layouts.STAT_SIZE, (byte) 0);
    }
    p.setDouble(Layouts.ENTRY_ATTR_TIMEOUT, attrTimeout);
    p.setDouble(Layouts.ENTRY_ENTRY_TIMEOUT, entryTimeout);
  }
}
