package dev.daxfs.fs;

/** File type and permission bits of {@code st_mode}, as Linux defines them. */
public final class Mode {
  private Mode() {}

  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;

  public static final int S_ISUID = 04000;
  public static final int S_ISGID = 02000;
  public static final int S_ISVTX = 01000;

  /** Permission bits and the set-id and sticky bits. */
  public static final int PERMISSIONS = 07777;

  public static boolean isDir(int mode) {
    return (mode & S_IFMT) == S_IFDIR;
  }

  public static boolean isRegular(int mode) {
    return (mode & S_IFMT) == S_IFREG;
  }

  public static boolean isSymlink(int mode) {
    return (mode & S_IFMT) == S_IFLNK;
  }

  /** True for a type daxfs can create. */
  static boolean isKnownType(int type) {
    return switch (type) {
      case S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO -> true;
      default -> false;
    };
  }

  /** The d_type readdir reports for a file type (DT_* values). */
  public static int direntType(int mode) {
    return (mode & S_IFMT) >>> 12;
  }
}
