package dev.daxfs.tools.fuse;

/**
 * The members of {@code struct fuse_lowlevel_ops}, in header order: a member's ordinal times
 * the pointer size is its offset in the table. {@code LayoutProbeTest} checks this order against
 * the installed fuse_lowlevel.h.
 */
enum LowLevelOp {
  INIT("init"),
  DESTROY("destroy"),
  LOOKUP("lookup"),
  FORGET("forget"),
  GETATTR("getattr"),
  SETATTR("setattr"),
  READLINK("readlink"),
  MKNOD("mknod"),
  MKDIR("mkdir"),
  UNLINK("unlink"),
  RMDIR("rmdir"),
  SYMLINK("symlink"),
  RENAME("rename"),
  LINK("link"),
  OPEN("open"),
  READ("read"),
  WRITE("write"),
  FLUSH("flush"),
  RELEASE("release"),
  FSYNC("fsync"),
  OPENDIR("opendir"),
  READDIR("readdir"),
  RELEASEDIR("releasedir"),
  FSYNCDIR("fsyncdir"),
  STATFS("statfs"),
  SETXATTR("setxattr"),
  GETXATTR("getxattr"),
  LISTXATTR("listxattr"),
  REMOVEXATTR("removexattr"),
  ACCESS("access"),
  CREATE("create"),
  GETLK("getlk"),
  SETLK("setlk"),
  BMAP("bmap"),
  IOCTL("ioctl"),
  POLL("poll"),
  WRITE_BUF("write_buf"),
  RETRIEVE_REPLY("retrieve_reply"),
  FORGET_MULTI("forget_multi"),
  FLOCK("flock"),
  FALLOCATE("fallocate"),
  READDIRPLUS("readdirplus"),
  COPY_FILE_RANGE("copy_file_range"),
  LSEEK("lseek");

  /** The member's name in the C header. */
  final String cName;

  LowLevelOp(String cName) {
    this.cName = cName;
  }

  /** Byte offset of this member's function pointer in the table. */
  long offset() {
    return (long) ordinal() * 8;
  }
}
