package dev.daxfs.tools.fuse;

/**
 * Constants of fuse_lowlevel.h and fuse_common.h the binding uses; checked against the headers
 * by {@code LayoutProbeTest}.
 */
final class FuseConstants {
  private FuseConstants() {}

  static final int FUSE_ROOT_ID = 1;

  // setattr's to_set mask.
  static final int FUSE_SET_ATTR_MODE = 1;
  static final int FUSE_SET_ATTR_UID = 1 << 1;
  static final int FUSE_SET_ATTR_GID = 1 << 2;
  static final int FUSE_SET_ATTR_SIZE = 1 << 3;
  static final int FUSE_SET_ATTR_ATIME = 1 << 4;
  static final int FUSE_SET_ATTR_MTIME = 1 << 5;
  static final int FUSE_SET_ATTR_ATIME_NOW = 1 << 7;
  static final int FUSE_SET_ATTR_MTIME_NOW = 1 << 8;
  static final int FUSE_SET_ATTR_CTIME = 1 << 10;

  // fuse_conn_info capability bits.
  static final int FUSE_CAP_ATOMIC_O_TRUNC = 1 << 3;
  static final int FUSE_CAP_EXPORT_SUPPORT = 1 << 4;
  static final int FUSE_CAP_SPLICE_WRITE = 1 << 7;
  static final int FUSE_CAP_SPLICE_MOVE = 1 << 8;
  static final int FUSE_CAP_SPLICE_READ = 1 << 9;
  static final int FUSE_CAP_AUTO_INVAL_DATA = 1 << 12;
  static final int FUSE_CAP_READDIRPLUS = 1 << 13;
  static final int FUSE_CAP_READDIRPLUS_AUTO = 1 << 14;
  static final int FUSE_CAP_ASYNC_DIO = 1 << 15;
  static final int FUSE_CAP_WRITEBACK_CACHE = 1 << 16;
  static final int FUSE_CAP_PARALLEL_DIROPS = 1 << 18;
  static final int FUSE_CAP_POSIX_ACL = 1 << 19;
  static final int FUSE_CAP_HANDLE_KILLPRIV = 1 << 20;
  static final int FUSE_CAP_CACHE_SYMLINKS = 1 << 23;
  static final int FUSE_CAP_EXPLICIT_INVAL_DATA = 1 << 25;
}
