package dev.daxfs.tools.fuse;

import java.util.List;

/**
 * Native structure layouts for Linux x86_64 with glibc and libfuse 3.2 to 3.16.
 *
 * <p>The constants are what the code reads and writes; {@link #ALL} lists the same numbers as
 * {@link StructLayout}s for {@code LayoutProbeTest}, which checks them against the installed
 * headers. Across libfuse 3.x these structures kept their layout (new fuse_file_info flags took
 * spare bits, new lowlevel operations went to the end of the table); what changed between
 * releases is the multithreaded loop's configuration, handled by {@link LibFuseVersion}.
 */
final class Layouts {
  private Layouts() {}

  // struct timespec: two longs.
  static final long TIMESPEC_SIZE = 16;
  static final long TV_SEC = 0;
  static final long TV_NSEC = 8;

  // struct stat (x86_64 glibc; st_nlink is 8 bytes and precedes st_mode on this ABI).
  static final long STAT_SIZE = 144;
  static final long ST_DEV = 0;
  static final long ST_INO = 8;
  static final long ST_NLINK = 16;
  static final long ST_MODE = 24;
  static final long ST_UID = 28;
  static final long ST_GID = 32;
  static final long ST_RDEV = 40;
  static final long ST_SIZE = 48;
  static final long ST_BLKSIZE = 56;
  static final long ST_BLOCKS = 64;
  static final long ST_ATIM = 72;
  static final long ST_MTIM = 88;
  static final long ST_CTIM = 104;

  // struct statvfs (x86_64 glibc: every count is an unsigned long).
  static final long STATVFS_SIZE = 112;
  static final long F_BSIZE = 0;
  static final long F_FRSIZE = 8;
  static final long F_BLOCKS = 16;
  static final long F_BFREE = 24;
  static final long F_BAVAIL = 32;
  static final long F_FILES = 40;
  static final long F_FFREE = 48;
  static final long F_FAVAIL = 56;
  static final long F_FSID = 64;
  static final long F_FLAG = 72;
  static final long F_NAMEMAX = 80;

  // struct fuse_entry_param.
  static final long ENTRY_SIZE = 176;
  static final long ENTRY_INO = 0;
  static final long ENTRY_GENERATION = 8;
  static final long ENTRY_ATTR = 16;
  static final long ENTRY_ATTR_TIMEOUT = 160;
  static final long ENTRY_ENTRY_TIMEOUT = 168;

  // struct fuse_file_info: int flags, one word of bit fields, a padding word, then 64-bit fields.
  static final long FI_SIZE = 40;
  static final long FI_FLAGS = 0;
  static final long FI_BITS = 4;
  static final long FI_FH = 16;
  static final long FI_LOCK_OWNER = 24;
  static final long FI_POLL_EVENTS = 32;
  // Bits of the word at FI_BITS, in declaration order (gcc allocates bit fields from bit 0).
  static final int FI_WRITEPAGE = 1;
  static final int FI_DIRECT_IO = 1 << 1;
  static final int FI_KEEP_CACHE = 1 << 2;
  static final int FI_FLUSH = 1 << 3;
  static final int FI_NONSEEKABLE = 1 << 4;
  static final int FI_FLOCK_RELEASE = 1 << 5;
  /** Since libfuse 3.5. */
  static final int FI_CACHE_READDIR = 1 << 6;
  /** Since libfuse 3.11. */
  static final int FI_NOFLUSH = 1 << 7;

  // struct fuse_ctx.
  static final long CTX_SIZE = 16;
  static final long CTX_UID = 0;
  static final long CTX_GID = 4;
  static final long CTX_PID = 8;
  static final long CTX_UMASK = 12;

  // struct fuse_conn_info.
  static final long CONN_SIZE = 128;
  static final long CONN_PROTO_MAJOR = 0;
  static final long CONN_PROTO_MINOR = 4;
  static final long CONN_MAX_WRITE = 8;
  static final long CONN_MAX_READ = 12;
  static final long CONN_MAX_READAHEAD = 16;
  static final long CONN_CAPABLE = 20;
  static final long CONN_WANT = 24;
  static final long CONN_MAX_BACKGROUND = 28;
  static final long CONN_CONGESTION_THRESHOLD = 32;
  static final long CONN_TIME_GRAN = 36;

  // struct fuse_forget_data.
  static final long FORGET_SIZE = 16;
  static final long FORGET_INO = 0;
  static final long FORGET_NLOOKUP = 8;

  // struct fuse_args.
  static final long ARGS_SIZE = 24;
  static final long ARGS_ARGC = 0;
  static final long ARGS_ARGV = 8;
  static final long ARGS_ALLOCATED = 16;

  // struct fuse_loop_config as libfuse 3.2 to 3.11 declare it (fuse_loop_config_v1 since 3.12).
  static final long LOOP_V1_SIZE = 8;
  static final long LOOP_V1_CLONE_FD = 0;
  static final long LOOP_V1_MAX_IDLE_THREADS = 4;

  static final StructLayout TIMESPEC = StructLayout.builder("timespec", TIMESPEC_SIZE)
      .field("tv_sec", TV_SEC)
      .field("tv_nsec", TV_NSEC)
      .build();

  static final StructLayout STAT = StructLayout.builder("stat", STAT_SIZE)
      .field("st_dev", ST_DEV)
      .field("st_ino", ST_INO)
      .field("st_nlink", ST_NLINK)
      .field("st_mode", ST_MODE)
      .field("st_uid", ST_UID)
      .field("st_gid", ST_GID)
      .field("st_rdev", ST_RDEV)
      .field("st_size", ST_SIZE)
      .field("st_blksize", ST_BLKSIZE)
      .field("st_blocks", ST_BLOCKS)
      .field("st_atim.tv_sec", ST_ATIM + TV_SEC)
      .field("st_atim.tv_nsec", ST_ATIM + TV_NSEC)
      .field("st_mtim.tv_sec", ST_MTIM + TV_SEC)
      .field("st_mtim.tv_nsec", ST_MTIM + TV_NSEC)
      .field("st_ctim.tv_sec", ST_CTIM + TV_SEC)
      .field("st_ctim.tv_nsec", ST_CTIM + TV_NSEC)
      .build();

  static final StructLayout STATVFS = StructLayout.builder("statvfs", STATVFS_SIZE)
      .field("f_bsize", F_BSIZE)
      .field("f_frsize", F_FRSIZE)
      .field("f_blocks", F_BLOCKS)
      .field("f_bfree", F_BFREE)
      .field("f_bavail", F_BAVAIL)
      .field("f_files", F_FILES)
      .field("f_ffree", F_FFREE)
      .field("f_favail", F_FAVAIL)
      .field("f_fsid", F_FSID)
      .field("f_flag", F_FLAG)
      .field("f_namemax", F_NAMEMAX)
      .build();

  static final StructLayout ENTRY_PARAM = StructLayout.builder("fuse_entry_param", ENTRY_SIZE)
      .field("ino", ENTRY_INO)
      .field("generation", ENTRY_GENERATION)
      .field("attr", ENTRY_ATTR)
      .field("attr_timeout", ENTRY_ATTR_TIMEOUT)
      .field("entry_timeout", ENTRY_ENTRY_TIMEOUT)
      .build();

  static final StructLayout FILE_INFO = StructLayout.builder("fuse_file_info", FI_SIZE)
      .field("flags", FI_FLAGS)
      .field("fh", FI_FH)
      .field("lock_owner", FI_LOCK_OWNER)
      .field("poll_events", FI_POLL_EVENTS)
      .build();

  static final StructLayout CTX = StructLayout.builder("fuse_ctx", CTX_SIZE)
      .field("uid", CTX_UID)
      .field("gid", CTX_GID)
      .field("pid", CTX_PID)
      .field("umask", CTX_UMASK)
      .build();

  static final StructLayout CONN_INFO = StructLayout.builder("fuse_conn_info", CONN_SIZE)
      .field("proto_major", CONN_PROTO_MAJOR)
      .field("proto_minor", CONN_PROTO_MINOR)
      .field("max_write", CONN_MAX_WRITE)
      .field("max_read", CONN_MAX_READ)
      .field("max_readahead", CONN_MAX_READAHEAD)
      .field("capable", CONN_CAPABLE)
      .field("want", CONN_WANT)
      .field("max_background", CONN_MAX_BACKGROUND)
      .field("congestion_threshold", CONN_CONGESTION_THRESHOLD)
      .field("time_gran", CONN_TIME_GRAN)
      .build();

  static final StructLayout FORGET_DATA = StructLayout.builder("fuse_forget_data", FORGET_SIZE)
      .field("ino", FORGET_INO)
      .field("nlookup", FORGET_NLOOKUP)
      .build();

  static final StructLayout ARGS = StructLayout.builder("fuse_args", ARGS_SIZE)
      .field("argc", ARGS_ARGC)
      .field("argv", ARGS_ARGV)
      .field("allocated", ARGS_ALLOCATED)
      .build();

  static final StructLayout LOOP_CONFIG_V1 =
      StructLayout.builder("fuse_loop_config_v1", LOOP_V1_SIZE)
          .field("clone_fd", LOOP_V1_CLONE_FD)
          .field("max_idle_threads", LOOP_V1_MAX_IDLE_THREADS)
          .build();

  /** The lowlevel operations table: one function pointer per {@link LowLevelOp}, in order. */
  static final StructLayout LOWLEVEL_OPS = opsLayout();

  /** Every structure the binding touches, for the header probe. */
  static final List<StructLayout> ALL = List.of(
      TIMESPEC, STAT, STATVFS, ENTRY_PARAM, FILE_INFO, CTX, CONN_INFO, FORGET_DATA, ARGS,
      LOOP_CONFIG_V1, LOWLEVEL_OPS);

  private static StructLayout opsLayout() {
    LowLevelOp[] ops = LowLevelOp.values();
    StructLayout.Builder b = StructLayout.builder("fuse_lowlevel_ops", (long) ops.length * 8);
    for (LowLevelOp op : ops) {
      b.field(op.cName, op.offset());
    }
    return b.build();
  }
}
