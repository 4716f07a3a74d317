package dev.daxfs.tools.fuse;

/**
 * What the kernel and libfuse agreed at mount time, shown to {@link FuseFilesystem#init}.
 *
 * @param protoMajor FUSE protocol major version
 * @param protoMinor FUSE protocol minor version
 * @param maxWrite largest write request in bytes
 * @param maxRead largest read request in bytes (0: the kernel's limit)
 * @param maxReadahead largest readahead in bytes
 * @param capable FUSE_CAP_* bits the kernel offers
 * @param want FUSE_CAP_* bits in use
 */
public record FuseConnection(
    int protoMajor, int protoMinor, int maxWrite, int maxRead, int maxReadahead, int capable,
    int want) {}
