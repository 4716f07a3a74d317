package dev.daxfs.fs;

/**
 * One readdir result. {@code cookie} is the offset to pass to the next readdir to continue
 * after this entry; it stays valid while the directory changes.
 */
public record DirEntry(Name name, long ino, int type, long cookie) {}
