package dev.daxfs.fs;

/**
 * What a mount found and did.
 *
 * @param clean true when the previous unmount was clean and its checkpoint was used
 * @param reason why recovery ran, or why the fast path was taken
 * @param nanos time the mount took
 * @param journalRollbacks unfinished multi-inode operations rolled back
 * @param inodesScanned inodes whose logs were replayed during the mount
 * @param orphansFreed unlinked inodes freed because nothing uses them any more
 * @param damagedInodes inodes whose logs could not be read (they answer EIO)
 * @param usedBackupSuperblock the primary superblock was damaged and the backup was used
 * @param firstMount the filesystem had not been mounted since mkfs: there was nothing to
 *     recover (mkfs leaves no allocator checkpoint, so {@code clean} is false all the same)
 */
public record MountReport(
    boolean clean,
    String reason,
    long nanos,
    int journalRollbacks,
    long inodesScanned,
    long orphansFreed,
    long damagedInodes,
    boolean usedBackupSuperblock,
    boolean firstMount) {}
