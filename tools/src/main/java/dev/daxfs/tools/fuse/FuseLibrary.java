package dev.daxfs.tools.fuse;

import com.sun.jna.Callback;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;

/**
 * Loads libfuse3 once per process, checks its release and routes its log messages.
 *
 * <p>libfuse reports mount failures only as log lines ("fuse: bad mount point ..."). While a
 * thread runs {@link #capturing} the lines it logs are collected so that the failure can be
 * reported as one sentence; other lines go to the {@code dev.daxfs.tools.fuse} logger.
 */
final class FuseLibrary {
  private FuseLibrary() {}

  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.fuse");

  /** Log lines of the current thread while it is inside {@link #capturing}, else null. */
  private static final ThreadLocal<StringBuilder> CAPTURE = new ThreadLocal<>();

  /** libfuse's log callback: {@code void (*)(enum fuse_log_level, const char *, va_list)}. */
  interface LogSink extends Callback {
    void log(int level, Pointer format, Pointer args);
  }

  /** Held for the life of the process: libfuse keeps the pointer. */
  private static final LogSink SINK = FuseLibrary::log;

  /** The loaded release, or the failure that every later attempt reports again. */
  private static LibFuseVersion version;
  private static FuseMountException failure;

  /** The loaded and checked library; throws a one-sentence reason when it cannot be used. */
  static synchronized LibFuseVersion load() throws FuseMountException {
    if (version != null) {
      return version;
    }
    if (failure != null) {
      throw failure;
    }
    try {
      NativeLibrary lib;
      try {
        lib = LibFuse.open();
      } catch (UnsatisfiedLinkError e) {
        throw new FuseMountException("libfuse3 is not installed (" + LibFuse.SONAME
            + " not found): install the Debian packages fuse3 and libfuse3-3.", e);
      }
      String release = lib.getFunction("fuse_pkgversion").invokeString(new Object[0], false);
      int fuseVersion = lib.getFunction("fuse_version").invokeInt(new Object[0]);
      LibFuseVersion v = LibFuseVersion.detect(lib, release, fuseVersion);
      LibFuse.register(lib);
      v.setLogFunc(SINK);
      version = v;
      return v;
    } catch (FuseMountException e) {
      failure = e;
      throw e;
    }
  }

  /** Runs {@code action}, returning libfuse's log lines from this thread meanwhile. */
  static String capturing(Runnable action) {
    StringBuilder lines = new StringBuilder();
    CAPTURE.set(lines);
    try {
      action.run();
    } finally {
      CAPTURE.remove();
    }
    return lines.toString().strip();
  }

  /** Pieces of the line libfuse is logging on this thread, outside {@link #capturing}. */
  private static final ThreadLocal<StringBuilder> PENDING =
      ThreadLocal.withInitial(StringBuilder::new);

  // libfuse logs one line in several calls (a message, then each argument), each piece
  // formatted here; a line is complete at its newline.
  private static void log(int level, Pointer format, Pointer args) {
    try {
      byte[] buf = new byte[1024];
      int n = Libc.vsnprintf(buf, buf.length, format, args);
      String piece = new String(buf, 0, Math.max(0, Math.min(n, buf.length - 1)),
          StandardCharsets.UTF_8);
      StringBuilder capture = CAPTURE.get();
      if (capture != null) {
        capture.append(piece);
        return;
      }
      StringBuilder line = PENDING.get();
      line.append(piece);
      int nl;
      while ((nl = line.indexOf("\n")) >= 0) {
        String text = line.substring(0, nl).strip();
        line.delete(0, nl + 1);
        // fuse_log_level: 0 emerg .. 3 err, 4 warning, 5 notice, 6 info, 7 debug.
        LOG.log(level <= 3 ? Level.ERROR : level == 4 ? Level.WARNING
            : level <= 6 ? Level.INFO : Level.DEBUG, "libfuse: " + text);
      }
    } catch (Throwable t) {
      // Nothing may escape into libfuse.
    }
  }
}
