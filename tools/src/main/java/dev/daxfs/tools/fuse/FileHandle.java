package dev.daxfs.tools.fuse;

/**
 * What open, opendir and create return: the filesystem's handle for the open file, passed back
 * in every later operation on it, and how the kernel should treat the file's page cache.
 *
 * @param fh any 64-bit value the filesystem chooses
 * @param directIo bypass the page cache: every read and write reaches the filesystem
 * @param keepCache keep the file's cached pages from earlier opens (else they are dropped)
 * @param nonSeekable the file cannot seek (pipes, sockets)
 * @param cacheReaddir for opendir: let the kernel cache this directory's entries
 */
public record FileHandle(
    long fh, boolean directIo, boolean keepCache, boolean nonSeekable, boolean cacheReaddir) {

  /** A handle with no cache choices (the kernel's defaults). */
  public static FileHandle of(long fh) {
    return new FileHandle(fh, false, false, false, false);
  }

  public FileHandle withDirectIo() {
    return new FileHandle(fh, true, keepCache, nonSeekable, cacheReaddir);
  }

  public FileHandle withKeepCache() {
    return new FileHandle(fh, directIo, true, nonSeekable, cacheReaddir);
  }

  public FileHandle withNonSeekable() {
    return new FileHandle(fh, directIo, keepCache, true, cacheReaddir);
  }

  public FileHandle withCacheReaddir() {
    return new FileHandle(fh, directIo, keepCache, nonSeekable, true);
  }

  /** Stores the handle and flags into the {@code struct fuse_file_info} libfuse passed in. */
  void writeTo(com.sun.jna.Pointer fi) {
    fi.setLong(Layouts.FI_FH, fh);
    int bits = fi.getInt(Layouts.FI_BITS)
        & ~(Layouts.FI_DIRECT_IO | Layouts.FI_KEEP_CACHE | Layouts.FI_NONSEEKABLE
            | Layouts.FI_CACHE_READDIR);
    if (directIo) {
      bits |= Layouts.FI_DIRECT_IO;
    }
    if (keepCache) {
      bits |= Layouts.FI_KEEP_CACHE;
    }
    if (nonSeekable) {
      bits |= Layouts.FI_NONSEEKABLE;
    }
    if (cacheReaddir) {
      bits |= Layouts.FI_CACHE_READDIR;
    }
    fi.setInt(Layouts.FI_BITS, bits);
  }
}
