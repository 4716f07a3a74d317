package dev.daxfs.dax;

/** An operation failed with a POSIX error; the message says what and where. */
public class ErrnoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The error the caller sees. */
  private final Errno errno;

  public ErrnoException(Errno errno, String message) {
    super(errno.name() + ": " + message);
    this.errno = errno;
  }

  public ErrnoException(Errno errno, String message, Throwable cause) {
    super(errno.name() + ": " + message, cause);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }
}
