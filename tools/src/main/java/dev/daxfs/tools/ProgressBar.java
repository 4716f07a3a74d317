package dev.daxfs.tools;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs and pipes
 * stay clean) and at most a few times a second.
 */
public final class ProgressBar implements AutoCloseable {

  /** Where to draw; null when not on a terminal. */
  private final PrintStream out;

  /** Last draw, ns. */
  private long lastDraw;

  /** Whether anything was drawn (close then ends the line). */
  private boolean drawn;

  private ProgressBar(PrintStream out) {
    this.out = out;
  }

  /** A bar on stderr when this process has a terminal, else one that draws nothing. */
  public static ProgressBar onTerminal() {
    return new ProgressBar(System.console() != null ? System.err : null);
  }

  public void update(String phase, long done, long total) {
    if (out == null) {
      return;
    }
    long now = System.nanoTime();
    if (done < total && now - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = now;
    int width = 30;
    int filled = total <= 0 ? 0 : (int) Math.min(width, done * width / total);
    out.print("\r" + phase + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] "
        + done + "/" + total + "   ");
    out.flush();
    drawn = true;
  }

  @Override
  public void close() {
    if (out != null && drawn) {
      out.print("\r" + " ".repeat(70) + "\r");
      out.flush();
    }
  }
}
