package dev.daxfs.fs;

/** What statfs(2) reports. Block counts are in {@link #blockSize} units. */
public record StatFs(
    int blockSize,
    long blocks,
    long freeBlocks,
    long availableBlocks,
    long files,
    long freeFiles,
    int nameMax) {}
