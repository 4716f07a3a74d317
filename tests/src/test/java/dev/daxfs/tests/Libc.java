package dev.daxfs.tests;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/** libc calls that Java and the shell lack: renameat2, fallocate, lseek for holes, pread. */
final class Libc {
  private Libc() {}

  static {
    Native.register(Libc.class, NativeLibrary.getInstance("c"));
  }

  static final int AT_FDCWD = -100;
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_TRUNC = 01000;

  static final int RENAME_NOREPLACE = 1;
  static final int RENAME_EXCHANGE = 2;

  static final int FALLOC_FL_KEEP_SIZE = 1;
  static final int FALLOC_FL_PUNCH_HOLE = 2;
  static final int FALLOC_FL_ZERO_RANGE = 0x10;

  static final int SEEK_DATA = 3;
  static final int SEEK_HOLE = 4;

  static final int ENOENT = 2;
  static final int EEXIST = 17;
  static final int ENXIO = 6;
  static final int ENOTEMPTY = 39;
  static final int EISDIR = 21;
  static final int ENOTDIR = 20;
  static final int EINVAL = 22;

  static native int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath,
      int flags);

  static native int open(String path, int flags, int mode);

  static native int close(int fd);

  static native long lseek(int fd, long offset, int whence);

  static native int fallocate(int fd, int mode, long offset, long len);

  static native long pread(int fd, byte[] buf, long count, long offset);

  static native long pwrite(int fd, byte[] buf, long count, long offset);

  static native int ftruncate(int fd, long length);

  static native int unlink(String path);

  static native int rmdir(String path);

  static native int mkdir(String path, int mode);

  static native int link(String oldpath, String newpath);

  static int errno() {
    return Native.getLastError();
  }
}
