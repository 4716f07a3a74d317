package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The command line that checks one violation again, alone: everything that decides which
 * workload it was and what its crash images hold (the set, the seed, the injection, data
 * checksums, torn words, the image budget), then {@code --replay ID}. A workload file keeps
 * the path the run was given (a file workload is named by it), so the line runs from where the
 * run did.
 */
public final class ReplayCommand {
  private ReplayCommand() {}

  /** How the launcher is named in the line printed (as the docs run it: from the repository). */
  static final String LAUNCHER = "tools/daxfs";

  /** Words a POSIX shell takes as they are; anything else is single-quoted. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=@+,-]+");

  /**
   * The arguments after {@code daxfs} that replay {@code v}, found by a run of the set {@code
   * set} (seq1, seq2, random, a file or a directory) with {@code options}.
   */
  public static List<String> arguments(String set, CheckOptions options, Violation v) {
    List<String> a = new ArrayList<>();
    a.add("crashtest");
    a.add("--workload");
    a.add(set);
    a.add("--seed");
    a.add(Long.toString(options.seed()));
    if (options.injection() != null) {
      a.add("--inject");
      a.add(options.injection().cliName());
    }
    if (options.dataChecksums()) {
      a.add("--data-checksums");
    }
    if (options.torn()) {
      a.add("--torn");
    }
    if (options.maxImages() != CheckOptions.defaults().maxImages()) {
      a.add("--max-images");
      a.add(Integer.toString(options.maxImages()));
    }
    a.add("--replay");
    a.add(v.replayId());
    return a;
  }

  /** {@link #arguments} as one line for a shell, after the launcher's name. */
  public static String line(String set, CheckOptions options, Violation v) {
    StringBuilder b = new StringBuilder(LAUNCHER);
    for (String arg : arguments(set, options, v)) {
      b.append(' ').append(quote(arg));
    }
    return b.toString();
  }

  /** {@code s} as one shell word. */
  static String quote(String s) {
    if (PLAIN.matcher(s).matches()) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
