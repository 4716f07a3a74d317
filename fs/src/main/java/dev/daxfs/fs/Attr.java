package dev.daxfs.fs;

/**
 * What stat(2) reports about an inode. Times are nanoseconds since the epoch; {@code blocks}
 * counts 512-byte units (holes take none); the preferred I/O size is always 4096.
 */
public record Attr(
    long ino,
    int generation,
    int mode,
    int nlink,
    int uid,
    int gid,
    long rdev,
    long size,
    long blocks,
    long atime,
    long mtime,
    long ctime) {

  public static final int BLOCK_SIZE = 4096;

  public boolean isDir() {
    return Mode.isDir(mode);
  }

  public boolean isRegular() {
    return Mode.isRegular(mode);
  }

  public boolean isSymlink() {
    return Mode.isSymlink(mode);
  }

  /** Permission, set-id and sticky bits. */
  public int permissions() {
    return mode & Mode.PERMISSIONS;
  }
}
