package dev.daxfs.fs;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open file: what open(2) returns. It keeps the inode alive after its last name is removed,
 * until it is released.
 */
public final class FileHandle {

  /** open(2) flags daxfs interprets. */
  public static final int O_RDONLY = 0;

  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_ACCMODE = 3;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_NOATIME = 01000000;
  public static final int O_DIRECTORY = 0200000;
  public static final int O_NOFOLLOW = 0400000;

  /** The open file's inode number. */
  final long ino;

  /** The inode, held for the handle's life. */
  final Inode inode;

  /** The flags it was opened with. */
  final int flags;

  /** Set by release, so a second release or a use after it is refused. */
  final AtomicBoolean released = new AtomicBoolean();

  FileHandle(Inode inode, int flags) {
    this.ino = inode.ino;
    this.inode = inode;
    this.flags = flags;
  }

  public long ino() {
    return ino;
  }

  public int flags() {
    return flags;
  }

  public boolean readable() {
    return (flags & O_ACCMODE) != O_WRONLY;
  }

  public boolean writable() {
    return (flags & O_ACCMODE) != O_RDONLY;
  }

  public boolean append() {
    return (flags & O_APPEND) != 0;
  }

  @Override
  public String toString() {
    return "FileHandle{ino=" + ino + ", flags=0" + Integer.toOctalString(flags) + "}";
  }
}
