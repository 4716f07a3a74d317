package dev.daxfs.tools.fuse;

/**
 * The attributes of an inode as the kernel sees them (the fields of {@code struct stat}).
 *
 * @param ino inode number, the kernel's identity of the inode; never 0
 * @param mode file type and permission bits ({@link LinuxFlags#S_IFREG} | 0644, ...)
 * @param nlink number of hard links; 0 for an unlinked inode that is still open
 * @param uid owner (unsigned 32-bit, held in an int)
 * @param gid group (unsigned 32-bit, held in an int)
 * @param rdev device number of a block or character device node, else 0
 * @param size size in bytes
 * @param blocks space used, in 512-byte units (du reports this)
 * @param blksize preferred I/O size in bytes
 * @param atimeNanos last access, nanoseconds since the epoch
 * @param mtimeNanos last data modification, nanoseconds since the epoch
 * @param ctimeNanos last status change, nanoseconds since the epoch
 */
public record FuseAttr(
    long ino,
    int mode,
    long nlink,
    int uid,
    int gid,
    long rdev,
    long size,
    long blocks,
    int blksize,
    long atimeNanos,
    long mtimeNanos,
    long ctimeNanos) {

  private static final long NANOS = 1_000_000_000L;

  public FuseAttr {
    if (ino == 0) {
      throw new IllegalArgumentException("inode number 0 is reserved");
    }
    if (nlink < 0 || size < 0 || blocks < 0 || blksize < 0) {
      throw new IllegalArgumentException(
          "negative nlink, size, blocks or blksize in attributes of inode " + ino);
    }
  }

  /** The file type bits of {@link #mode}. */
  public int type() {
    return mode & LinuxFlags.S_IFMT;
  }

  /** Writes these attributes into a {@code struct stat} at {@code base}. */
  void writeTo(com.sun.jna.Pointer p, long base) {
    p.setLong(base + Layouts.ST_DEV, 0);
    p.setLong(base + Layouts.ST_INO, ino);
    p.setLong(base + Layouts.ST_NLINK, nlink);
    p.setInt(base + Layouts.ST_MODE, mode);
    p.setInt(base + Layouts.ST_UID, uid);
    p.setInt(base + Layouts.ST_GID, gid);
    p.setLong(base + Layouts.ST_RDEV, rdev);
    p.setLong(base + Layouts.ST_SIZE, size);
    p.setLong(base + Layouts.ST_BLKSIZE, blksize);
    p.setLong(base + Layouts.ST_BLOCKS, blocks);
    writeTime(p, base + Layouts.ST_ATIM, atimeNanos);
    writeTime(p, base + Layouts.ST_MTIM, mtimeNanos);
    writeTime(p, base + Layouts.ST_CTIM, ctimeNanos);
  }

  private static void writeTime(com.sun.jna.Pointer p, long at, long epochNanos) {
    p.setLong(at + Layouts.TV_SEC, Math.floorDiv(epochNanos, NANOS));
    p.setLong(at + Layouts.TV_NSEC, Math.floorMod(epochNanos, NANOS));
  }
}
