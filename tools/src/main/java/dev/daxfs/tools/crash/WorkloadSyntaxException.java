package dev.daxfs.tools.crash;

/** A workload line that does not parse; the message names the source and the line. */
public final class WorkloadSyntaxException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The offending line, 1-based. */
  private final int line;

  WorkloadSyntaxException(String source, int line, String message) {
    super(source + " line " + line + ": " + message);
    this.line = line;
  }

  public int line() {
    return line;
  }
}
