package dev.daxfs.tools.fuse;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** The few libc calls the binding needs and Java lacks. */
final class Libc {
  private Libc() {}

  static {
    Native.register(Libc.class, NativeLibrary.getInstance("c"));
  }

  /** umount2 flag: detach now, finish when the last user is gone. */
  static final int MNT_DETACH = 2;

  static native int geteuid();

  static native int umount2(byte[] target, int flags);

  static native int vsnprintf(byte[] buf, long size, Pointer format, Pointer args);

  /** Bytes enough for any architecture's struct statfs (120 on x86_64 and aarch64). */
  static final int STATFS_SIZE = 256;

  /** statfs(2) into {@code buf}, at least {@link #STATFS_SIZE} bytes. */
  static native int statfs(byte[] path, byte[] buf);

  /** The errno of the last failed call on this thread. */
  static int errno() {
    return Native.getLastError();
  }
}
