package dev.daxfs.tools.fuse;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The installed libfuse3 release and the entry points that differ between releases.
 *
 * <p>What changed across 3.x that this binding depends on:
 *
 * <ul>
 *   <li>3.2 to 3.11: the multithreaded loop is {@code fuse_session_loop_mt_32(se, struct
 *       fuse_loop_config *)} with a caller-filled {@code {int clone_fd; unsigned
 *       max_idle_threads;}}; the thread count cannot be capped, only the idle threads.
 *   <li>3.12 and later: {@code fuse_session_loop_mt_312} takes an opaque config built by
 *       {@code fuse_loop_cfg_create} and {@code fuse_loop_cfg_set_max_threads}.
 *   <li>{@code fuse_reply_lseek} and the lseek operation exist from 3.8; {@code
 *       fuse_set_log_func} from 3.7.
 *   <li>3.17 made {@code fuse_session_new} a versioned call and extended {@code fuse_file_info}
 *       and {@code fuse_conn_info}; it is not supported until verified against its headers.
 * </ul>
 *
 * Releases before 3.2 (2017) are refused.
 */
final class LibFuseVersion {
  /** Oldest and newest minor versions of libfuse 3 this binding knows the ABI of. */
  static final int MIN_MINOR = 2;
  static final int MAX_MINOR = 16;

  /** Major version (3). */
  final int major;
  /** Minor version (14 for 3.14.0). */
  final int minor;
  /** The release string fuse_pkgversion() reports ("3.14.0"). */
  final String release;

  /** The loop entry point of this release. */
  private final Function loop;
  /** fuse_loop_cfg_* of 3.12 and later, else null. */
  private final Function cfgCreate;
  private final Function cfgDestroy;
  private final Function cfgSetMaxThreads;
  /** fuse_reply_lseek of 3.8 and later, else null. */
  private final Function replyLseek;
  /** fuse_set_log_func of 3.7 and later, else null. */
  private final Function setLogFunc;

  private LibFuseVersion(int major, int minor, String release, NativeLibrary lib) {
    this.major = major;
    this.minor = minor;
    this.release = release;
    if (minor >= 12) {
      loop = lib.getFunction("fuse_session_loop_mt_312");
      cfgCreate = lib.getFunction("fuse_loop_cfg_create");
      cfgDestroy = lib.getFunction("fuse_loop_cfg_destroy");
      cfgSetMaxThreads = lib.getFunction("fuse_loop_cfg_set_max_threads");
    } else {
      loop = lib.getFunction("fuse_session_loop_mt_32");
      cfgCreate = null;
      cfgDestroy = null;
      cfgSetMaxThreads = null;
    }
    replyLseek = minor >= 8 ? lib.getFunction("fuse_reply_lseek") : null;
    setLogFunc = minor >= 7 ? lib.getFunction("fuse_set_log_func") : null;
  }

  /**
   * Reads the version of the loaded library and binds its version-specific entry points, or
   * throws with a sentence saying why the release cannot be used.
   */
  static LibFuseVersion detect(NativeLibrary lib, String release, int fuseVersion)
      throws FuseMountException {
    int[] v = parse(release);
    if (v == null) {
      throw new FuseMountException("libfuse3 reports an unreadable version \"" + release
          + "\" (fuse_version() = " + fuseVersion + "); reinstall the libfuse3-3 package.");
    }
    checkSupported(v[0], v[1], release);
    return new LibFuseVersion(v[0], v[1], release, lib);
  }

  /** Throws unless major.minor is a release this binding knows. */
  static void checkSupported(int major, int minor, String release) throws FuseMountException {
    if (major != 3 || minor < MIN_MINOR || minor > MAX_MINOR) {
      throw new FuseMountException("libfuse " + release + " is not supported: daxfs needs libfuse 3."
          + MIN_MINOR + " to 3." + MAX_MINOR + " (Debian package libfuse3-3).");
    }
  }

  /** {major, minor} of a release string such as "3.14.0" or "3.10", or null. */
  static int[] parse(String release) {
    if (release == null) {
      return null;
    }
    Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.\\d+)?").matcher(release.strip());
    if (!m.find()) {
      return null;
    }
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
  }

  /** True when the lowlevel lseek operation and its reply exist. */
  boolean hasLseek() {
    return replyLseek != null;
  }

  int replyLseek(Pointer req, long offset) {
    return replyLseek.invokeInt(new Object[] {req, offset});
  }

  /** Installs libfuse's log sink; false on releases without one (messages go to stderr). */
  boolean setLogFunc(com.sun.jna.Callback sink) {
    if (setLogFunc == null) {
      return false;
    }
    setLogFunc.invokeVoid(new Object[] {sink});
    return true;
  }

  /**
   * Runs the multithreaded loop on the calling thread until the session ends; returns libfuse's
   * result (0, or a negative errno). {@code threads} caps the worker threads on 3.12 and later
   * and the idle ones before.
   */
  int runLoop(Pointer se, int threads) {
    if (cfgCreate != null) {
      Pointer cfg = (Pointer) cfgCreate.invoke(Pointer.class, new Object[0]);
      if (cfg == null) {
        return -Errno.ENOMEM;
      }
      try {
        cfgSetMaxThreads.invokeVoid(new Object[] {cfg, threads});
        return loop.invokeInt(new Object[] {se, cfg});
      } finally {
        cfgDestroy.invokeVoid(new Object[] {cfg});
      }
    }
    Memory cfg = new Memory(Layouts.LOOP_V1_SIZE);
    cfg.setInt(Layouts.LOOP_V1_CLONE_FD, 0);
    cfg.setInt(Layouts.LOOP_V1_MAX_IDLE_THREADS, threads);
    return loop.invokeInt(new Object[] {se, cfg});
  }

  @Override
  public String toString() {
    return "libfuse " + release;
  }
}
