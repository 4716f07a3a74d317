package dev.daxfs.tools.fuse;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/** libc calls the tests make on files in a mount, for semantics Java and the shell lack. */
final class TestLibc {
  private TestLibc() {}

  static {
    Native.register(TestLibc.class, NativeLibrary.getInstance("c"));
  }

  static final int AT_FDCWD = -100;
  static final int O_RDONLY = 0;

  static native int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath,
      int flags);

  static native long getxattr(String path, String name, byte[] value, long size);

  static native long listxattr(String path, byte[] list, long size);

  static native int setxattr(String path, String name, byte[] value, long size, int flags);

  static native int access(String path, int mode);

  static native int open(String path, int flags);

  static native long lseek(int fd, long offset, int whence);

  static native int close(int fd);

  static int errno() {
    return Native.getLastError();
  }
}
