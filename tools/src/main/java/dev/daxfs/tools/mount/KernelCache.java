package dev.daxfs.tools.mount;

/**
 * The kernel's cache of a mounted file's pages and attributes, as the mount can drop it. The
 * FUSE adapter lets the kernel keep pages across opens (see {@link DaxFsFuse}), which is right
 * for every change that comes through the mount; a device writing into a file from inside the
 * mount process does not, so whoever makes it drops the range afterwards.
 */
@FunctionalInterface
interface KernelCache {

  /**
   * Drops the cached pages of inode {@code ino} in {@code [offset, offset + length)} and its
   * cached attributes, so that the next read of the range comes to the filesystem. May block
   * while the kernel finishes reads of those pages: never call it from a FUSE request.
   */
  void invalidate(long ino, long offset, long length);

  /** For a filesystem that no kernel caches (tests in process). */
  KernelCache NONE = (ino, offset, length) -> { };
}
