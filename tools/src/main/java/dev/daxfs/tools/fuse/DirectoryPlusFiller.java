package dev.daxfs.tools.fuse;

/**
 * Collects the entries of one readdirplus reply: names with full entries, so that {@code ls -l}
 * needs no lookup per name. Offsets follow {@link DirectoryFiller}'s rules.
 *
 * <p>Every entry added other than "." and ".." counts as a lookup: the kernel later forgets it
 * through {@link FuseFilesystem#forget}, exactly as for an entry returned by lookup.
 */
public interface DirectoryPlusFiller {
  /**
   * Adds one entry.
   *
   * @param name the entry's name
   * @param entry the inode's entry, with attributes and timeouts
   * @param nextOffset where a later readdirplus continues after this entry; positive
   * @return false when the reply is full and the entry was not added (no lookup was counted)
   */
  boolean add(byte[] name, FuseEntry entry, long nextOffset);
}
