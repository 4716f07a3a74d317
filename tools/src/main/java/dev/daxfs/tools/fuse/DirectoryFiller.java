package dev.daxfs.tools.fuse;

/**
 * Collects the entries of one readdir reply. The filesystem adds entries in its own stable order
 * until {@link #add} returns false (the reply is full: that entry was not taken and must come
 * first in the next call).
 *
 * <p>Each entry carries the offset of the entry after it: the kernel passes that value back as
 * the {@code offset} of a later readdir (or after telldir/seekdir), so it must keep meaning
 * "continue after this entry" even when entries are added or removed in between. Offset 0
 * means "from the start" and is never a continuation offset.
 */
public interface DirectoryFiller {
  /**
   * Adds one entry.
   *
   * @param name the entry's name, its bytes ("." and ".." included, if the filesystem lists
   *     them)
   * @param ino its inode number
   * @param mode its file type bits (the permission bits are ignored)
   * @param nextOffset where a later readdir continues after this entry; positive
   * @return false when the reply is full and the entry was not added
   */
  boolean add(byte[] name, long ino, int mode, long nextOffset);
}
