package dev.daxfs.dax;

import java.util.Objects;

/**
 * An operation was refused with a POSIX error. The message is one sentence saying what was wrong;
 * {@link #errno()} is what a system-call boundary (FUSE, the control socket) returns.
 *
 * <p>Checked on purpose: every caller that can see one decides what the error means to it.
 */
public class ErrnoException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The error number this failure maps to. */
  private final Errno errno;

  public ErrnoException(Errno errno, String message) {
    super(Objects.requireNonNull(message, "message"));
    this.errno = Objects.requireNonNull(errno, "errno");
  }

  public ErrnoException(Errno errno, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.errno = Objects.requireNonNull(errno, "errno");
  }

  /** The POSIX error this failure reports. */
  public final Errno errno() {
    return errno;
  }

  @Override
  public String toString() {
    return errno + ": " + getMessage();
  }
}
