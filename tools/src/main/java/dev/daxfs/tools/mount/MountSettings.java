package dev.daxfs.tools.mount;

import dev.daxfs.fs.MountOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code -o} options of {@code daxfs mount}, split into daxfs's own and libfuse's. daxfs's
 * own never reach libfuse (which would refuse them); everything else goes to libfuse unchanged,
 * and libfuse refuses what it does not know.
 *
 * <p>daxfs's options: {@code noatime}, {@code relatime} (the default; {@code atime} means the
 * same), {@code strictatime}; {@code pinned_fsync=wait|proceed}; {@code
 * layout_wait_timeout=DURATION} (e.g. {@code 30s}, {@code 500ms}; bounds a truncate's wait for
 * DMA, which then fails with ETIMEDOUT); {@code threads=N} (FUSE worker threads); {@code debug}
 * (libfuse's trace of every request).
 */
public final class MountSettings {

  /** How daxfs itself is mounted. */
  final MountOptions fs = MountOptions.defaults();

  /** Options handed to libfuse, one per element. */
  final List<String> libfuse = new ArrayList<>();

  /** daxfs's options as given, for messages and stat. */
  final List<String> own = new ArrayList<>();

  /** FUSE worker threads, or 0 for the binding's default. */
  int threads;

  /** libfuse's request trace. */
  boolean debug;

  /** allow_other was asked for explicitly. */
  boolean allowOther;

  private MountSettings() {}

  /**
   * Parses the values of every {@code -o} given (each a comma-separated list).
   *
   * @throws IllegalArgumentException with one sentence for a daxfs option with a bad value
   */
  public static MountSettings parse(List<String> optionLists) {
    MountSettings s = new MountSettings();
    for (String list : optionLists) {
      for (String o : list.split(",")) {
        String opt = o.strip();
        if (!opt.isEmpty()) {
          s.take(opt);
        }
      }
    }
    return s;
  }

  private void take(String opt) {
    int eq = opt.indexOf('=');
    String key = eq < 0 ? opt : opt.substring(0, eq);
    String value = eq < 0 ? null : opt.substring(eq + 1);
    switch (key) {
      case "noatime" -> atime(opt, MountOptions.Atime.NOATIME, value);
      case "relatime", "atime" -> atime(opt, MountOptions.Atime.RELATIME, value);
      case "strictatime" -> atime(opt, MountOptions.Atime.STRICTATIME, value);
      case "pinned_fsync" -> {
        String v = required(key, value).toLowerCase(Locale.ROOT);
        switch (v) {
          case "wait" -> fs.pinnedFsync(MountOptions.PinnedFsync.WAIT);
          case "proceed" -> fs.pinnedFsync(MountOptions.PinnedFsync.PROCEED);
          default -> throw new IllegalArgumentException(
              "pinned_fsync takes wait or proceed, not \"" + v + "\"");
        }
        own.add(opt);
      }
      case "layout_wait_timeout" -> {
        fs.layoutWaitTimeout(duration(key, required(key, value)));
        own.add(opt);
      }
      case "threads" -> {
        String v = required(key, value);
        try {
          threads = Integer.parseInt(v);
        } catch (NumberFormatException e) {
          threads = -1;
        }
        if (threads < 2 || threads > 1024) {
          throw new IllegalArgumentException("threads takes a number from 2 to 1024, not \""
              + v + "\"");
        }
        own.add(opt);
      }
      case "debug" -> {
        debug = true;
        own.add(opt);
      }
      case "allow_other" -> allowOther = true;
      default -> libfuse.add(opt);
    }
  }

  private void atime(String opt, MountOptions.Atime mode, String value) {
    if (value != null) {
      throw new IllegalArgumentException("option " + opt + " takes no value");
    }
    fs.atime(mode);
    own.add(opt);
  }

  private static String required(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("option " + key + " needs a value (" + key + "=...)");
    }
    return value;
  }

  /** "30", "30s", "500ms", "2m". */
  static Duration duration(String key, String v) {
    String t = v.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      if (t.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(t));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " takes a duration such as 30s or 500ms, not \""
          + v + "\"");
    }
  }

  /** daxfs's own options as given. */
  public List<String> ownOptions() {
    return List.copyOf(own);
  }

  /** The options handed to libfuse. */
  public List<String> libfuseOptions() {
    return List.copyOf(libfuse);
  }

  public MountOptions fsOptions() {
    return fs;
  }
}
