package dev.daxfs.tools.fuse;

/**
 * A filesystem operation failed with a Linux errno: the caller of the system call sees that
 * errno. Any other exception thrown by a {@link FuseFilesystem} reaches the caller as
 * {@link Errno#EIO}.
 */
public final class FuseException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The positive Linux errno number the kernel returns to the caller. */
  private final int errno;

  /** An errno with a message naming what failed; the message is for logs, not for the caller. */
  public FuseException(int errno, String message) {
    super(message);
    if (errno <= 0 || errno >= 4096) {
      throw new IllegalArgumentException("errno must be in [1, 4095], not " + errno);
    }
    this.errno = errno;
  }

  /** An errno with the exception that caused it. */
  public FuseException(int errno, String message, Throwable cause) {
    this(errno, message);
    initCause(cause);
  }

  /** An errno whose name alone is the message. */
  public FuseException(int errno) {
    this(errno, Errno.name(errno));
  }

  /** The positive Linux errno number. */
  public int errno() {
    return errno;
  }

  /**
   * Filesystems throw this often (ENOENT on every failed lookup), so the stack trace is not
   * filled in unless a cause says where the failure started.
   */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
