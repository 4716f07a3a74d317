/**
 * DAX: page descriptors, per-file DAX address spaces, CPU mappings and faults, the layout-busy
 * scan, waiting for idle pages, invalidation notifiers and the long-term pin policy. The names
 * are Linux's (fs/dax.c, mm/gup.c, include/linux/mm.h).
 *
 * <h2>Who calls what</h2>
 *
 * <ul>
 *   <li>{@link dev.daxfs.dax.PageDescriptors}: one per region, made by whoever opens the region.
 *       The filesystem sets page owners ({@code setOwner}/{@code clearOwner}), watches pages of
 *       orphans ({@code setWatched}, {@code setIdleListener}) and waits for idle pages
 *       ({@code waitIdle}); gup pins and unpins through it.
 *   <li>{@link dev.daxfs.dax.DaxAddressSpace}: one per open or mapped inode, with the
 *       filesystem's {@link dev.daxfs.dax.IomapOps} and {@link dev.daxfs.dax.LongTermPinPolicy}.
 *   <li>{@link dev.daxfs.dax.CpuMapping}: a process's mmap of a file range; gup pins through it.
 *   <li>{@link dev.daxfs.dax.InvalidationNotifier}: what an ODP device registers.
 *   <li>{@link dev.daxfs.dax.Errno} and {@link dev.daxfs.dax.ErrnoException}: the POSIX errors
 *       every layer above pmem reports.
 * </ul>
 *
 * <h2>Lock order</h2>
 *
 * <ol>
 *   <li>the file's I/O lock (filesystem: write path, layout break);
 *   <li>a mapping's mmap lock (faults and slow-path pins shared, munmap exclusive);
 *   <li>the address space's invalidate lock (faults and slow-path pins shared, layout break
 *       exclusive);
 *   <li>one entry lock (never two at once);
 *   <li>an invalidation notifier's lock (held only around memory accesses);
 *   <li>a mapping's TLB lock (held only around a load or store of one page).
 * </ol>
 *
 * Page descriptors take no lock: counts change by atomic add or compare-and-swap, and waiters
 * sleep on hashed monitors that the release making a page idle notifies.
 */
package dev.daxfs.dax;
