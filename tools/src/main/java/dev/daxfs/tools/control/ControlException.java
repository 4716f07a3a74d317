package dev.daxfs.tools.control;

/**
 * A control request failed: the errno name (as the filesystem would report it) and one sentence.
 * The server sends both to the client, which prints the sentence.
 */
public final class ControlException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The errno name ("EINVAL"), or "EPROTO" for a broken exchange. */
  private final String errno;

  public ControlException(String errno, String message) {
    super(message);
    this.errno = errno;
  }

  public ControlException(String errno, String message, Throwable cause) {
    super(message, cause);
    this.errno = errno;
  }

  public String errno() {
    return errno;
  }
}
