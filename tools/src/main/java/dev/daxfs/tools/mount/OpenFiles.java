package dev.daxfs.tools.mount;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.tools.fuse.FuseException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The files and directories the kernel has open: the FUSE file handle (a number the kernel
 * passes back with every request on the open file) mapped to daxfs's handle.
 */
final class OpenFiles {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.mount");

  /**
   * One open file or directory.
   *
   * @param handle daxfs's handle: keeps the inode alive and carries the open flags
   * @param opener the credentials it was opened with; readdir checks against them, as Linux
   *     checks a directory's read permission at open and not per getdents
   */
  record Open(FileHandle handle, Cred opener) {}

  /** The filesystem served. */
  private final DaxFs fs;

  /** The next FUSE file handle; never reused within a mount, so a stale one cannot alias. */
  private final AtomicLong next = new AtomicLong(1);

  /** Open files by FUSE file handle. */
  private final ConcurrentHashMap<Long, Open> open = new ConcurrentHashMap<>();

  OpenFiles(DaxFs fs) {
    this.fs = fs;
  }

  /** Registers {@code h} and returns its FUSE file handle. */
  long add(FileHandle h, Cred opener) {
    long fh = next.getAndIncrement();
    open.put(fh, new Open(h, opener));
    return fh;
  }

  /** The open file behind {@code fh}; EBADF if the kernel names one that is not open. */
  Open get(long fh) throws FuseException {
    Open o = open.get(fh);
    if (o == null) {
      throw new FuseException(Errno.EBADF.number(), "no open file with handle " + fh);
    }
    return o;
  }

  /** Forgets {@code fh} and releases its daxfs handle (an unlinked file may be freed now). */
  void release(long fh) throws FuseException {
    Open o = open.remove(fh);
    if (o == null) {
      throw new FuseException(Errno.EBADF.number(), "no open file with handle " + fh);
    }
    try {
      fs.release(o.handle());
    } catch (ErrnoException e) {
      throw new FuseException(e.errno().number(), e.getMessage());
    }
  }

  int size() {
    return open.size();
  }

  /** Releases every open file: the kernel connection is gone. */
  void releaseAll() {
    for (Long fh : List.copyOf(open.keySet())) {
      Open o = open.remove(fh);
      if (o != null) {
        try {
          fs.release(o.handle());
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "releasing open inode " + o.handle().ino() + " failed", e);
        }
      }
    }
  }
}
