package dev.daxfs.tools.fuse;

/**
 * Linux flag values (x86_64) that reach a {@link FuseFilesystem}: open flags, file types,
 * rename, fallocate, lseek, xattr and access modes. {@code LayoutProbeTest} checks each against
 * the C headers.
 */
public final class LinuxFlags {
  private LinuxFlags() {}

  // open(2) flags, in FuseFilesystem.open/create/release.
  public static final int O_ACCMODE = 3;
  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_DSYNC = 010000;
  public static final int O_DIRECT = 040000;
  public static final int O_NOATIME = 01000000;
  public static final int O_SYNC = 04010000;

  // File type bits of st_mode.
  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 060000;
  public static final int S_IFDIR = 040000;
  public static final int S_IFCHR = 020000;
  public static final int S_IFIFO = 010000;

  // renameat2(2) flags, in FuseFilesystem.rename.
  public static final int RENAME_NOREPLACE = 1;
  public static final int RENAME_EXCHANGE = 2;
  public static final int RENAME_WHITEOUT = 4;

  // fallocate(2) modes. The kernel does not forward COLLAPSE_RANGE and INSERT_RANGE to FUSE.
  public static final int FALLOC_FL_KEEP_SIZE = 0x01;
  public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  public static final int FALLOC_FL_COLLAPSE_RANGE = 0x08;
  public static final int FALLOC_FL_ZERO_RANGE = 0x10;
  public static final int FALLOC_FL_INSERT_RANGE = 0x20;
  public static final int FALLOC_FL_UNSHARE_RANGE = 0x40;

  // lseek(2) whence; FuseFilesystem.lseek sees only SEEK_DATA and SEEK_HOLE.
  public static final int SEEK_SET = 0;
  public static final int SEEK_CUR = 1;
  public static final int SEEK_END = 2;
  public static final int SEEK_DATA = 3;
  public static final int SEEK_HOLE = 4;

  // setxattr(2) flags.
  public static final int XATTR_CREATE = 1;
  public static final int XATTR_REPLACE = 2;

  // access(2) modes.
  public static final int F_OK = 0;
  public static final int X_OK = 1;
  public static final int W_OK = 2;
  public static final int R_OK = 4;

  /** True when {@code mode}'s file type is {@code type} (one of the S_IF constants). */
  public static boolean isType(int mode, int type) {
    return (mode & S_IFMT) == type;
  }
}
