package dev.daxfs.tools.mount;

import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Attr;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.tools.control.ControlException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file of the mounted filesystem that the mount process holds open on behalf of a control
 * request: the target of a DMA stream, the file of a layout lease. It is named by its path from
 * the mount's root, resolved inside daxfs, and checked against the inode number the client saw
 * through the mount, so the daemon acts on exactly the file the user named.
 */
final class DaemonFile implements AutoCloseable {

  /** The filesystem the file lives in. */
  private final DaxFs fs;

  /** The open handle; released by {@link #close}. */
  private final FileHandle handle;

  /** The path from the mount's root, as the client named it ("/dir/file"). */
  private final String path;

  /** Set by the first {@link #close}. */
  private final AtomicBoolean closed = new AtomicBoolean();

  private DaemonFile(DaxFs fs, FileHandle handle, String path) {
    this.fs = fs;
    this.handle = handle;
    this.path = path;
  }

  /**
   * Opens the regular file at {@code path} (from the mount's root) for reading, or for reading
   * and writing.
   *
   * @param expectedIno the inode number the client saw, or 0 to take whatever the path names
   * @throws ControlException with the errno and one sentence when it cannot
   */
  static DaemonFile open(DaxFs fs, Cred cred, String path, long expectedIno, boolean write)
      throws ControlException {
    if (path == null || !path.startsWith("/")) {
      throw new ControlException("EINVAL", "a file is named by its path from the mount's root, "
          + "starting with '/', not \"" + path + "\"");
    }
    FileHandle h;
    try {
      Attr a = fs.resolve(cred, path, true);
      if (!a.isRegular()) {
        throw new ControlException("EINVAL", path + " is not a regular file");
      }
      h = fs.open(cred, a.ino(), write ? FileHandle.O_RDWR : FileHandle.O_RDONLY);
    } catch (ErrnoException e) {
      throw failure("cannot open " + path, e);
    }
    if (expectedIno != 0 && h.ino() != expectedIno) {
      fs.release(h);
      throw new ControlException("ESTALE", path + " was replaced while the request was on its "
          + "way (inode " + expectedIno + " became " + h.ino() + "); try again");
    }
    return new DaemonFile(fs, h, path);
  }

  /** A control failure carrying a filesystem error's errno and sentence. */
  static ControlException failure(String what, ErrnoException e) {
    return new ControlException(e.errno().name(), what + ": " + e.getMessage() + " ("
        + e.errno().name() + ", " + e.errno().description() + ")");
  }

  FileHandle handle() {
    return handle;
  }

  String path() {
    return path;
  }

  long ino() {
    return handle.ino();
  }

  /** The file's size now. */
  long size() {
    return fs.getattr(handle.ino()).size();
  }

  /** Releases the handle; later calls do nothing. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      fs.release(handle);
    }
  }

  @Override
  public String toString() {
    return path + " (inode " + handle.ino() + ")";
  }
}
