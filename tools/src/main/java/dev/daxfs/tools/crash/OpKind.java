package dev.daxfs.tools.crash;

import java.util.Locale;

/** The operations of the workload language, with their spelling and arguments. */
public enum OpKind {
  MKDIR("mkdir P [MODE]"),
  CREAT("creat P [MODE]"),
  OPEN("open P"),
  CLOSE("close P"),
  WRITE("write P OFF LEN"),
  MWRITE("mwrite P OFF LEN"),
  MSYNC("msync P"),
  MUNMAP("munmap P"),
  TRUNCATE("truncate P SIZE"),
  FALLOC("falloc P MODE OFF LEN"),
  LINK("link SRC DST"),
  SYMLINK("symlink TARGET P"),
  RENAME("rename SRC DST [noreplace|exchange]"),
  MKNOD("mknod P fifo|sock|chr|blk"),
  CHOWN("chown P UID GID"),
  UTIMENS("utimens P ATIME_NS MTIME_NS"),
  UNLINK("unlink P"),
  RMDIR("rmdir P"),
  SETXATTR("setxattr P NAME VALUE"),
  REMOVEXATTR("removexattr P NAME"),
  CHMOD("chmod P MODE"),
  FSYNC("fsync P"),
  FDATASYNC("fdatasync P"),
  SYNC("sync"),
  CLEAN("clean P|all"),
  REMOUNT("remount");

  /** The usage line, as the documentation shows it. */
  private final String usage;

  OpKind(String usage) {
    this.usage = usage;
  }

  /** The keyword a workload line starts with. */
  public String keyword() {
    return name().toLowerCase(Locale.ROOT);
  }

  public String usage() {
    return usage;
  }

  /** The kind spelled {@code keyword}, or null. */
  static OpKind of(String keyword) {
    for (OpKind k : values()) {
      if (k.keyword().equals(keyword)) {
        return k;
      }
    }
    return null;
  }

  /** True for operations that change nothing a crash could reveal, only handles. */
  boolean handleOnly() {
    return this == OPEN || this == CLOSE || this == MUNMAP;
  }
}
