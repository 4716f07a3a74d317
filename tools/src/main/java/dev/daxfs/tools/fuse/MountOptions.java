package dev.daxfs.tools.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link FuseMount} is made and served. Immutable; each {@code with} method returns a
 * changed copy.
 *
 * <pre>{@code
 * MountOptions opts = MountOptions.defaults()
 *     .withFsname("/dev/shm/daxfs.img")
 *     .withAllowOther(true)
 *     .withDefaultPermissions(true)
 *     .withThreads(8);
 * }</pre>
 */
public final class MountOptions {
  /** Name shown as the source in /proc/mounts and df. */
  final String fsname;
  /** Type suffix: the mount shows as {@code fuse.<subtype>}. */
  final String subtype;
  /** Let users other than the mounting one use the mount. */
  final boolean allowOther;
  /** Let the kernel check permissions from the mode bits (no access/open checks needed). */
  final boolean defaultPermissions;
  /** Worker threads serving requests (libfuse 3.12+: the cap; earlier: idle threads kept). */
  final int threads;
  /** Seconds the kernel may cache attributes returned by getattr and setattr. */
  final double attrTimeout;
  /** Largest number of background requests (readahead, async direct I/O); 0: kernel default. */
  final int maxBackground;
  /**
   * Largest readahead window of a sequential reader, in KiB; 0: the kernel's (128 KiB). The
   * kernel caps what a FUSE filesystem may ask for at mount to its default, so a larger window is
   * set afterwards on the mount's backing device (/sys/class/bdi), which needs root.
   */
  final int readaheadKib;
  /** Further libfuse -o options, each one option ("ro", "max_read=131072"). */
  final List<String> extra;
  /** libfuse's debug trace of every request, on stderr. */
  final boolean debug;

  private MountOptions(String fsname, String subtype, boolean allowOther,
      boolean defaultPermissions, int threads, double attrTimeout, int maxBackground,
      int readaheadKib, List<String> extra, boolean debug) {
    this.fsname = fsname;
    this.subtype = subtype;
    this.allowOther = allowOther;
    this.defaultPermissions = defaultPermissions;
    this.threads = threads;
    this.attrTimeout = attrTimeout;
    this.maxBackground = maxBackground;
    this.readaheadKib = readaheadKib;
    this.extra = List.copyOf(extra);
    this.debug = debug;
  }

  /** fsname and subtype "daxfs", 8 threads, 1 s attribute timeout, no other options. */
  public static MountOptions defaults() {
    return new MountOptions("daxfs", "daxfs", false, false, 8, 1.0, 0, 0, List.of(), false);
  }

  public MountOptions withFsname(String fsname) {
    return new MountOptions(checkOption("fsname", fsname), subtype, allowOther,
        defaultPermissions, threads, attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  public MountOptions withSubtype(String subtype) {
    return new MountOptions(fsname, checkOption("subtype", subtype), allowOther,
        defaultPermissions, threads, attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  public MountOptions withAllowOther(boolean allowOther) {
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  public MountOptions withDefaultPermissions(boolean defaultPermissions) {
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  /**
   * Worker threads; at least 2, because an interrupt for a request that blocks a worker is read
   * by another one.
   */
  public MountOptions withThreads(int threads) {
    if (threads < 2 || threads > 1024) {
      throw new IllegalArgumentException("threads must be in [2, 1024], not " + threads);
    }
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  public MountOptions withAttrTimeout(double seconds) {
    if (!(seconds >= 0)) {
      throw new IllegalArgumentException("attribute timeout must be >= 0 seconds");
    }
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads, seconds,
        maxBackground, readaheadKib, extra, debug);
  }

  public MountOptions withMaxBackground(int maxBackground) {
    if (maxBackground < 0 || maxBackground > 65535) {
      throw new IllegalArgumentException("max background must be in [0, 65535]");
    }
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  /**
   * Readahead window of sequential readers in KiB (0: the kernel's default). Applied when
   * mounted as root; other users' mounts keep the kernel's window.
   */
  public MountOptions withReadaheadKib(int kib) {
    if (kib < 0 || kib > 65536) {
      throw new IllegalArgumentException("readahead must be in [0, 65536] KiB, not " + kib);
    }
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, kib, extra, debug);
  }

  /** Adds libfuse -o options, one per element ("ro", "max_read=131072"). */
  public MountOptions withOptions(List<String> options) {
    List<String> all = new ArrayList<>(extra);
    for (String o : options) {
      all.add(checkOption("option", o));
    }
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, readaheadKib, all, debug);
  }

  public MountOptions withDebug(boolean debug) {
    return new MountOptions(fsname, subtype, allowOther, defaultPermissions, threads,
        attrTimeout, maxBackground, readaheadKib, extra, debug);
  }

  /** The comma-separated -o string handed to libfuse. */
  String optionString() {
    List<String> all = new ArrayList<>();
    all.add("fsname=" + fsname);
    all.add("subtype=" + subtype);
    if (allowOther) {
      all.add("allow_other");
    }
    if (defaultPermissions) {
      all.add("default_permissions");
    }
    all.addAll(extra);
    return String.join(",", all);
  }

  private static String checkOption(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.indexOf(',') >= 0 || value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          what + " \"" + value + "\" must be non-empty without commas");
    }
    return value;
  }

  @Override
  public String toString() {
    return optionString() + " threads=" + threads
        + (readaheadKib > 0 ? " readahead=" + readaheadKib + "KiB" : "");
  }
}
