/**
 * {@code daxfs mount}: daxfs served through FUSE.
 *
 * <ul>
 *   <li>{@link dev.daxfs.tools.mount.DaxFsFuse}: the FUSE filesystem, each kernel request turned
 *       into the {@link dev.daxfs.fs.DaxFs} call of the same meaning with the caller's
 *       credentials; with {@code KernelInodes} (the inodes the kernel references, held alive
 *       until forgotten) and {@code OpenFiles} (FUSE file handles).
 *   <li>{@link dev.daxfs.tools.mount.MountDaemon}: the process that serves a mount: region,
 *       DaxFs, FUSE session, control socket, and the clean unmount however the mount ends.
 *   <li>{@link dev.daxfs.tools.mount.Detached}: starting that process in its own session and
 *       waiting until the mount is live; {@link dev.daxfs.tools.mount.Unmount}: ending it.
 *   <li>{@link dev.daxfs.tools.mount.RuntimeDir} and {@link dev.daxfs.tools.mount.MountRecord}:
 *       where a mount's socket, record and log live, found again from the mount point.
 * </ul>
 */
package dev.daxfs.tools.mount;
