package dev.daxfs.tools;

/** Formats an exception as the single sentence the command line prints. */
final class Messages {
  private Messages() {}

  /** The exception's own message, or its type when it has none, ending in a full stop. */
  static String sentence(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      Throwable cause = e.getCause();
      m = cause != null && cause.getMessage() != null
          ? cause.getMessage()
          : "unexpected " + e.getClass().getSimpleName();
    }
    m = m.strip();
    return m.endsWith(".") || m.endsWith("?") || m.endsWith("!") ? m : m + ".";
  }
}
