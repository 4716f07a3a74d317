package dev.daxfs.fs;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of what a corruption fuzz run saw: cases per outcome and per mutation, how often each
 * validator class fired, and failures grouped by kind (numbers masked) with a first example.
 */
final class FuzzTally {

  final AtomicLong images = new AtomicLong();
  final AtomicLong skipped = new AtomicLong();

  /** Outcome ("refused", "clean", "reported") to cases. */
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

  /** Mutation name to cases. */
  private final Map<String, LongAdder> mutations = new ConcurrentHashMap<>();

  /** Validator class to cases in which it fired. */
  private final Map<String, LongAdder> classes = new ConcurrentHashMap<>();

  /** Failure kind to {count, first example}. */
  final Map<String, Object[]> failures = new ConcurrentHashMap<>();

  /** Phase to nanoseconds spent in it. */
  private final Map<String, LongAdder> phases = new ConcurrentHashMap<>();

  <T> T timed(String phase, java.util.function.Supplier<T> work) {
    long t0 = System.nanoTime();
    try {
      return work.get();
    } finally {
      phases.computeIfAbsent(phase, k -> new LongAdder()).add(System.nanoTime() - t0);
    }
  }

  void record(String mutation, String outcome, Set<String> fired) {
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    mutations.computeIfAbsent(mutation, k -> new LongAdder()).increment();
    for (String c : fired) {
      classes.computeIfAbsent(c, k -> new LongAdder()).increment();
    }
  }

  /** Every failure, in order, for the report file. */
  final java.util.List<String> all = java.util.Collections.synchronizedList(
      new java.util.ArrayList<>());

  void failure(String mutation, String bug, String head) {
    all.add(head + "\n    " + bug);
    String firstLine = bug.lines().findFirst().orElse(bug);
    String kind = mutation + " | " + firstLine.replaceAll("\\d+", "#");
    if (kind.length() > 240) {
      kind = kind.substring(0, 240);
    }
    failures.compute(kind, (k, v) -> v == null ? new Object[] {1L, head + "\n    " + bug}
        : new Object[] {(Long) v[0] + 1, v[1]});
  }

  long classCount(String c) {
    LongAdder a = classes.get(c);
    return a == null ? 0 : a.sum();
  }

  long cases() {
    return outcomes.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /**
   * The validator class a refusal or damage message names: which check fired.
   */
  static String classify(String msg) {
    String m = msg == null ? "" : msg;
    if (m.contains("claims") || m.contains("invalid word offset")
        || m.contains("while the lane is active")) {
      return "journal";
    }
    if (m.contains("media error")) {
      return "media error";
    }
    if (m.contains("bad magic")) {
      return "bad magic";
    }
    if (m.contains("bad checksum") || m.contains("fails its checksum")) {
      return "bad checksum";
    }
    if (m.contains("fails its check")) {
      return "fails its check";
    }
    if (m.contains("sequence") || m.contains("out of order)")) {
      return "sequence";
    }
    if (m.contains("loops")) {
      return "loops";
    }
    if (m.contains("belongs to inode") || m.contains("records index")) {
      return "wrong owner";
    }
    if (m.contains("unknown format version") || m.contains("unknown version")
        || m.contains("unknown chunk version")) {
      return "unknown version";
    }
    if (m.contains("unknown type") || m.contains("unknown file type")
        || m.contains("unexpected entry type") || m.contains("unknown range operation")) {
      return "unknown type";
    }
    if (m.contains("differs from the slot's") || m.contains("is not regular")
        || m.contains("is not a directory")) {
      return "type mismatch";
    }
    if (m.contains("impossible length") || m.contains("impossible size")
        || m.contains("cuts an entry header") || m.contains("too short")) {
      return "impossible length";
    }
    if (m.contains("tail lies in no page") || m.contains("padding before the tail")) {
      return "tail";
    }
    if (m.contains("out of range") || m.contains("outside") || m.contains("exceeds the region")
        || m.contains("out of order or range")) {
      return "out of range";
    }
    if (m.contains("name contains") || m.contains("stores \".\"")) {
      return "bad name";
    }
    if (m.contains("is impossible") || m.contains("negative link count")
        || m.contains("not in the directory") || m.contains("out of place")
        || m.contains("past the largest file")) {
      return "impossible value";
    }
    if (m.contains("does not match") || m.contains("records a region") || m.contains("geometry")
        || m.contains("is not where") || m.contains("block size") || m.contains("unknown state")) {
      return "geometry";
    }
    if (m.contains("has no init entry") || m.contains("bytes of its symlink target")) {
      return "incomplete log";
    }
    if (m.contains("checksum mismatch")) {
      return "data checksum";
    }
    if (m.contains("whose log is damaged")) {
      return "entry names a damaged inode";
    }
    if (m.contains("root directory is missing")) {
      return "root missing";
    }
    if (m.contains("header is inconsistent")) {
      return "checkpoint header";
    }
    String s = m.replaceAll("\\d+", "#");
    return "other: " + (s.length() > 60 ? s.substring(0, 60) : s);
  }

  String render(long millis) {
    StringBuilder s = new StringBuilder();
    s.append("corruption fuzz: ").append(images.get()).append(" images, ").append(cases())
        .append(" cases (").append(skipped.get()).append(" mutations not applicable) in ")
        .append(millis).append(" ms\n");
    s.append("  time per phase (ms):");
    new TreeMap<>(phases).forEach((k, v) -> s.append(' ').append(k).append('=')
        .append(v.sum() / 1_000_000));
    s.append('\n');
    s.append("  outcomes:");
    new TreeMap<>(outcomes).forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
    s.append("\n  validators fired (cases):\n");
    new TreeMap<>(classes).forEach((k, v) -> s.append(String.format("    %-22s %7d%n", k,
        v.sum())));
    s.append("  cases per mutation:\n");
    new TreeMap<>(mutations).forEach((k, v) -> s.append(String.format("    %-46s %6d%n", k,
        v.sum())));
    return s.toString();
  }

  /** Writes every failure to {@code file} (a build-output file, for a human to read). */
  void writeAll(java.nio.file.Path file) {
    try {
      java.nio.file.Files.createDirectories(file.getParent());
      java.nio.file.Files.writeString(file, String.join("\n\n", all));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  String renderFailures() {
    StringBuilder s = new StringBuilder();
    new TreeMap<>(failures).forEach((k, v) -> s.append("  [").append(v[0]).append("x] ")
        .append(k).append("\n    e.g. ").append(v[1]).append('\n'));
    return s.toString();
  }
}
