package dev.daxfs.dax;

import java.util.Objects;

/**
 * An operation was refused with a POSIX error. The message is one sentence saying what was wrong;
 * {@link #errno()} is what a system-call boundary (FUSE, the control socket) returns.
 *
 * <p>Unchecked, like {@link java.io.UncheckedIOException}: nearly every filesystem operation
 * can fail with some errno, and the boundaries that translate them (FUSE replies, the control
 * socket, the command line) catch it in one place each.
 *
 * <p>An errno is an answer, not a bug, so no stack trace is filled in: ENOENT from a lookup
 * that finds nothing, ENODATA from the getxattr the kernel sends before every write, are the
 * common cases, and filling in the trace was most of their cost. A cause keeps its own trace.
 */
public class ErrnoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The error number this failure maps to. */
  private final Errno errno;

  public ErrnoException(Errno errno, String message) {
    super(Objects.requireNonNull(message, "message"), null, true, false);
    this.errno = Objects.requireNonNull(errno, "errno");
  }

  public ErrnoException(Errno errno, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause, true, false);
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
