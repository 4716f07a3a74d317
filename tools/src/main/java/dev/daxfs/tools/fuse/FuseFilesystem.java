package dev.daxfs.tools.fuse;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * An inode-based filesystem served through FUSE, the Java side of libfuse3's lowlevel API
 * ({@code fuse_lowlevel.h}).
 *
 * <p><b>Inodes.</b> The kernel names inodes by the number in {@link FuseAttr#ino}; the root is
 * {@link #ROOT}. Each entry returned by lookup, mknod, mkdir, symlink, link, create (and
 * readdirplus) adds one kernel reference to its inode; {@link #forget} gives them back. An inode
 * whose last name is gone but that the kernel still references (an unlinked file that is still
 * open) must stay usable until forgotten.
 *
 * <p><b>Threads.</b> Methods are called concurrently from the session's worker threads, for
 * different inodes and for the same one: the filesystem does its own locking.
 *
 * <p><b>Errors.</b> A method fails by throwing {@link FuseException} with the errno the caller
 * should see. Any other exception is logged and the caller gets EIO; the binding always replies
 * exactly once, so a failing filesystem never hangs the calling program.
 *
 * <p><b>Optional operations.</b> Every method except lookup and getattr has a default. The
 * binding offers the kernel only the operations an implementation overrides; for the others
 * the kernel applies its own fallback (create becomes mknod then open, a missing access check
 * succeeds, fsync and flush succeed, fallocate and the xattr calls fail with EOPNOTSUPP, lseek
 * for holes sees one data extent, readdirplus is not used).
 *
 * <p><b>Names</b> of directory entries and symlink targets are the bytes the kernel passes,
 * with no character set: Linux allows any bytes but '/' and NUL in a name, so decoding them
 * would merge names that differ only in bytes that are not valid UTF-8. Extended attribute
 * names are strings (UTF-8).
 */
public interface FuseFilesystem {
  /** The root directory's inode number. */
  long ROOT = FuseConstants.FUSE_ROOT_ID;

  /** Called once the kernel connection is up, before any other call. */
  default void init(FuseConnection connection) {}

  /** Called once when the session ends (after the last other call). */
  default void destroy() {}

  /** Looks up {@code name} in directory {@code parent}: ENOENT or a negative entry if absent. */
  FuseEntry lookup(FuseContext ctx, long parent, byte[] name) throws FuseException;

  /** Drops {@code nlookup} kernel references to {@code ino}. Cannot fail. */
  default void forget(long ino, long nlookup) {}

  /**
   * Drops several references at once (the kernel batches forgets); the default calls
   * {@link #forget} for each pair.
   */
  default void forgetBatch(long[] inos, long[] nlookups) {
    for (int i = 0; i < inos.length; i++) {
      forget(inos[i], nlookups[i]);
    }
  }

  /** The attributes of {@code ino}. */
  FuseAttr getattr(FuseContext ctx, long ino) throws FuseException;

  /** Applies the present fields of {@code changes} and returns the new attributes. */
  default FuseAttr setattr(FuseContext ctx, long ino, SetAttr changes) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** The target of symbolic link {@code ino}. */
  default byte[] readlink(FuseContext ctx, long ino) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Creates a regular file, device node, fifo or socket; {@code mode} includes the type. */
  default FuseEntry mknod(FuseContext ctx, long parent, byte[] name, int mode, long rdev)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Creates a directory; {@code mode} holds the permission bits. */
  default FuseEntry mkdir(FuseContext ctx, long parent, byte[] name, int mode)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Removes a non-directory name; the inode lives on while open or referenced. */
  default void unlink(FuseContext ctx, long parent, byte[] name) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Removes an empty directory. */
  default void rmdir(FuseContext ctx, long parent, byte[] name) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Creates symbolic link {@code name} pointing at {@code target}. */
  default FuseEntry symlink(FuseContext ctx, long parent, byte[] name, byte[] target)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Renames, replacing an existing target atomically. {@code flags} is 0,
   * {@link LinuxFlags#RENAME_NOREPLACE} (EEXIST if the target exists) or
   * {@link LinuxFlags#RENAME_EXCHANGE} (swap two existing names); EINVAL for flags not handled.
   */
  default void rename(
      FuseContext ctx, long parent, byte[] name, long newParent, byte[] newName, int flags)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Adds hard link {@code newName} in {@code newParent} to inode {@code ino}. */
  default FuseEntry link(FuseContext ctx, long ino, long newParent, byte[] newName)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Opens {@code ino}. {@code flags} are the open(2) flags less O_CREAT, O_EXCL and O_NOCTTY;
   * O_TRUNC is included and must truncate atomically with the open.
   */
  default FileHandle open(FuseContext ctx, long ino, int flags) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Reads from {@code offset} into {@code dst} and returns the number of bytes stored at its
   * start. {@code dst} has position 0 and its limit at the requested size; fewer bytes than
   * requested means end of file (for a cached file the kernel fills a short read with zeroes,
   * so answer whole requests before end of file). {@code dst} is native memory owned by the
   * binding, reused after the call: do not keep it.
   */
  default int read(FuseContext ctx, long ino, long fh, long offset, ByteBuffer dst)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Writes {@code src} (position 0 to limit) at {@code offset} and returns the bytes written.
   * {@code src} is a read-only view of libfuse's request buffer: valid only during this call,
   * so copy what must be kept.
   */
  default int write(FuseContext ctx, long ino, long fh, long offset, ByteBuffer src)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Called on each close(2) of a descriptor of the open file (may be several per open). */
  default void flush(FuseContext ctx, long ino, long fh, long lockOwner) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** The last descriptor of an open file closed: release {@code fh}. Errors are not seen. */
  default void release(FuseContext ctx, long ino, long fh, int flags) throws FuseException {}

  /** Makes the file's data (and metadata unless {@code dataOnly}) durable. */
  default void fsync(FuseContext ctx, long ino, long fh, boolean dataOnly) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Opens a directory for reading. */
  default FileHandle opendir(FuseContext ctx, long ino, int flags) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Lists the entries after {@code offset} (0: from the start) into {@code out} until it is
   * full or the directory ends; see {@link DirectoryFiller} for the offsets.
   */
  default void readdir(FuseContext ctx, long ino, long fh, long offset, DirectoryFiller out)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * As {@link #readdir} with full entries; each entry but "." and ".." counts as a lookup.
   * Offered to the kernel only when overridden.
   */
  default void readdirplus(
      FuseContext ctx, long ino, long fh, long offset, DirectoryPlusFiller out)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Closes a directory handle. */
  default void releasedir(FuseContext ctx, long ino, long fh) throws FuseException {}

  /** Makes a directory's entries durable. */
  default void fsyncdir(FuseContext ctx, long ino, long fh, boolean dataOnly)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Space and inode counts of the filesystem. */
  default FuseStatfs statfs(FuseContext ctx, long ino) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Sets extended attribute {@code name}; {@code flags} is 0, {@link LinuxFlags#XATTR_CREATE}
   * (EEXIST if present) or {@link LinuxFlags#XATTR_REPLACE} (ENODATA if absent).
   * {@code value} is valid only during the call.
   */
  default void setxattr(FuseContext ctx, long ino, String name, ByteBuffer value, int flags)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * The value of extended attribute {@code name}, ENODATA if absent. The binding answers the
   * caller's size probe (size 0) and ERANGE for a too small buffer from the returned value.
   */
  default byte[] getxattr(FuseContext ctx, long ino, String name) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** The names of the extended attributes of {@code ino} (size probe and ERANGE as getxattr). */
  default List<String> listxattr(FuseContext ctx, long ino) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Removes extended attribute {@code name}, ENODATA if absent. */
  default void removexattr(FuseContext ctx, long ino, String name) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Checks access(2) permission {@code mask} (R_OK, W_OK, X_OK or F_OK). Not called when the
   * mount uses default_permissions (the kernel checks).
   */
  default void access(FuseContext ctx, long ino, int mask) throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /** Creates and opens a regular file in one step (open with O_CREAT). */
  default Created create(FuseContext ctx, long parent, byte[] name, int mode, int flags)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * Allocates, punches or zeroes {@code [offset, offset + length)}; {@code mode} is 0 or a
   * combination of {@link LinuxFlags#FALLOC_FL_KEEP_SIZE}, {@code PUNCH_HOLE} and
   * {@code ZERO_RANGE}; EOPNOTSUPP for modes not handled.
   */
  default void fallocate(FuseContext ctx, long ino, long fh, int mode, long offset, long length)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }

  /**
   * The offset of the next data ({@link LinuxFlags#SEEK_DATA}) or hole
   * ({@link LinuxFlags#SEEK_HOLE}) at or after {@code offset}; ENXIO past the end.
   */
  default long lseek(FuseContext ctx, long ino, long fh, long offset, int whence)
      throws FuseException {
    throw new FuseException(Errno.ENOSYS);
  }
}
