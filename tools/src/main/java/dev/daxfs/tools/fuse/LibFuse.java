package dev.daxfs.tools.fuse;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The libfuse3 functions every 3.x release exports, bound by JNA direct mapping (the fastest
 * JNA call path: the reply functions run once per request). Functions that only some releases
 * export are looked up by {@link LibFuseVersion} instead, so that loading never fails on them.
 *
 * <p>Strings go in as NUL-terminated UTF-8 byte arrays ({@link #cString}) so that no platform
 * encoding decides how a file name is spelled.
 */
final class LibFuse {
  private LibFuse() {}

  /** The shared object Debian's libfuse3-3 package installs (no -dev symlink needed). */
  static final String SONAME = "libfuse3.so.3";

  /**
   * Binds the native methods below to {@code library}. Call once, after {@link #open} succeeded
   * and the version was accepted.
   */
  static void register(NativeLibrary library) {
    Native.register(LibFuse.class, library);
  }

  /** Opens the library, or throws UnsatisfiedLinkError when it is not installed. */
  static NativeLibrary open() {
    return NativeLibrary.getInstance(SONAME);
  }

  /** NUL-terminated UTF-8 bytes of {@code s}. */
  static byte[] cString(String s) {
    return cString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** {@code bytes} followed by a NUL. */
  static byte[] cString(byte[] bytes) {
    return java.util.Arrays.copyOf(bytes, bytes.length + 1);
  }

  /** The bytes of the NUL-terminated string at {@code p}, as they are (no character set). */
  static byte[] bytes(Pointer p) {
    return p.getByteArray(0, (int) p.indexOf(0, (byte) 0));
  }

  /** The UTF-8 string at {@code p} (NUL-terminated). */
  static String string(Pointer p) {
    return p.getString(0, "UTF-8");
  }

  // Library identity.
  static native int fuse_version();

  static native Pointer fuse_pkgversion();

  // Arguments.
  static native int fuse_opt_add_arg(Pointer args, byte[] arg);

  static native void fuse_opt_free_args(Pointer args);

  // Session.
  static native Pointer fuse_session_new(Pointer args, Pointer ops, long opSize, Pointer userdata);

  static native int fuse_session_mount(Pointer se, byte[] mountpoint);

  static native void fuse_session_exit(Pointer se);

  static native int fuse_session_exited(Pointer se);

  static native void fuse_session_unmount(Pointer se);

  static native void fuse_session_destroy(Pointer se);

  // Replies: each consumes the request.
  static native int fuse_reply_err(Pointer req, int err);

  static native void fuse_reply_none(Pointer req);

  static native int fuse_reply_entry(Pointer req, Pointer entry);

  static native int fuse_reply_create(Pointer req, Pointer entry, Pointer fi);

  static native int fuse_reply_attr(Pointer req, Pointer stat, double attrTimeout);

  static native int fuse_reply_readlink(Pointer req, byte[] link);

  static native int fuse_reply_open(Pointer req, Pointer fi);

  static native int fuse_reply_write(Pointer req, long count);

  static native int fuse_reply_buf(Pointer req, Pointer buf, long size);

  static native int fuse_reply_statfs(Pointer req, Pointer statvfs);

  static native int fuse_reply_xattr(Pointer req, long count);

  // Directory buffers.
  static native long fuse_add_direntry(
      Pointer req, Pointer buf, long bufsize, byte[] name, Pointer stat, long off);

  static native long fuse_add_direntry_plus(
      Pointer req, Pointer buf, long bufsize, byte[] name, Pointer entry, long off);

  // Notifications to the kernel.
  static native int fuse_lowlevel_notify_inval_inode(Pointer se, long ino, long off, long len);

  static native int fuse_lowlevel_notify_inval_entry(
      Pointer se, long parent, byte[] name, long namelen);

  // Request context and interrupts.
  static native Pointer fuse_req_ctx(Pointer req);

  static native int fuse_req_getgroups(Pointer req, int size, int[] list);

  static native void fuse_req_interrupt_func(Pointer req, Callback func, Pointer data);

  static native int fuse_req_interrupted(Pointer req);
}
