package dev.daxfs.pmem;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Path;

/**
 * An flock(2) lock on a region file, held from open to close so that two daxfs processes never
 * mount, format or repair the same region at once.
 *
 * <p>flock rather than FileChannel.lock: the JDK's locks are POSIX record locks, which the
 * kernel drops as soon as the process closes <em>any</em> descriptor of the file (the mapping
 * library's, or a tool reading the file), and which do not exclude a second open in the same
 * process. An flock belongs to its own open file description, so it lasts exactly until {@link
 * #release} and conflicts with every other open of the file, in this process or another.
 */
final class RegionLock implements AutoCloseable {

  /** The few libc calls the lock needs. */
  private interface LibC extends Library {
    int open(String path, int flags) throws LastErrorException;

    int flock(int fd, int operation) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  /** libc, bound on first use so a region opened without a lock never loads native code. */
  private static final class Holder {
    static final LibC LIBC = Native.load("c", LibC.class);
  }

  // <fcntl.h> and <sys/file.h> values on Linux.
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int LOCK_SH = 1;
  private static final int LOCK_EX = 2;
  private static final int LOCK_NB = 4;
  private static final int EWOULDBLOCK = 11;
  private static final int EINTR = 4;

  /** The descriptor the lock lives on; -1 once released. Guarded by this. */
  private int fd;

  /** The locked file, for messages. */
  private final Path path;

  private RegionLock(Path path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  /**
   * Takes the lock without waiting: exclusive for a writer, shared for a read-only user (readers
   * may share a region; nobody writes it while anyone reads it this way).
   *
   * @throws RegionException when another open of the region holds a conflicting lock
   */
  static RegionLock acquire(Path path, boolean shared) throws RegionException {
    int fd;
    try {
      fd = Holder.LIBC.open(path.toString(), O_RDONLY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new RegionException(
          "region " + path + " cannot be opened to lock it: " + strerror(e), e);
    }
    while (true) {
      try {
        Holder.LIBC.flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB);
        return new RegionLock(path, fd);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EINTR) {
          continue;
        }
        closeQuietly(fd);
        if (e.getErrorCode() == EWOULDBLOCK) {
          throw new RegionException("region " + path + " is in use by another daxfs process");
        }
        throw new RegionException("region " + path + " cannot be locked: " + strerror(e), e);
      }
    }
  }

  /** Drops the lock (closing its descriptor releases it). */
  synchronized void release() {
    if (fd >= 0) {
      closeQuietly(fd);
      fd = -1;
    }
  }

  @Override
  public void close() {
    release();
  }

  Path path() {
    return path;
  }

  private static void closeQuietly(int fd) {
    try {
      Holder.LIBC.close(fd);
    } catch (LastErrorException e) {
      // Nothing to do: close(2) releases the descriptor even when it reports an error.
    }
  }

  private static String strerror(LastErrorException e) {
    String m = e.getMessage();
    // JNA's message is "[errno] text"; keep the text.
    int close = m == null ? -1 : m.indexOf(']');
    return close >= 0 ? m.substring(close + 1).strip() : "errno " + e.getErrorCode();
  }
}
