package dev.daxfs.tools.fuse;

/**
 * Filesystem statistics for statfs(2) and df (the fields of {@code struct statvfs}).
 *
 * @param blockSize preferred I/O block size
 * @param fragmentSize the unit of the block counts
 * @param blocks size of the filesystem in fragmentSize units
 * @param blocksFree free units
 * @param blocksAvailable free units available to unprivileged users
 * @param files inode capacity
 * @param filesFree free inodes
 * @param filesAvailable free inodes for unprivileged users
 * @param nameMax longest file name in bytes
 */
public record FuseStatfs(
    long blockSize,
    long fragmentSize,
    long blocks,
    long blocksFree,
    long blocksAvailable,
    long files,
    long filesFree,
    long filesAvailable,
    long nameMax) {

  void writeTo(com.sun.jna.Pointer p) {
    p.setMemory(0, Layouts.STATVFS_SIZE, (byte) 0);
    p.setLong(Layouts.F_BSIZE, blockSize);
    p.setLong(Layouts.F_FRSIZE, fragmentSize);
    p.setLong(Layouts.F_BLOCKS, blocks);
    p.setLong(Layouts.F_BFREE, blocksFree);
    p.setLong(Layouts.F_BAVAIL, blocksAvailable);
    p.setLong(Layouts.F_FILES, files);
    p.setLong(Layouts.F_FFREE, filesFree);
    p.setLong(Layouts.F_FAVAIL, filesAvailable);
    p.setLong(Layouts.F_NAMEMAX, nameMax);
  }
}
