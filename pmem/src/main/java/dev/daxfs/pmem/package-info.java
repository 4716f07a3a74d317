/**
 * Persistent-memory regions: the one abstraction every store of daxfs goes through.
 *
 * <ul>
 *   <li>{@link dev.daxfs.pmem.PmemRegion}: bounds-checked loads and stores at 64-bit offsets,
 *       flush, fence, persist, CAS, CRC32C, poisoned lines.
 *   <li>{@link dev.daxfs.pmem.Regions#open}: opens or creates a region file (emulated on
 *       /dev/shm, or real pmem when the file accepts a MAP_SYNC mapping), with {@link
 *       dev.daxfs.pmem.RegionOptions}; failures are one-sentence {@link
 *       dev.daxfs.pmem.RegionException}s.
 *   <li>{@link dev.daxfs.pmem.HeapRegion}: a region in a byte array, for tests.
 *   <li>{@link dev.daxfs.pmem.CrashRecordingRegion}: records the way of every line to the media
 *       and freezes {@link dev.daxfs.pmem.CrashPoint}s whose {@link dev.daxfs.pmem.CrashImage}s
 *       are what a crash could leave; {@code assertPersisted} proves durability in tests.
 * </ul>
 *
 * <p>Backends (package-private): {@code EmulatedRegion} (Chronicle Bytes over a shared file
 * mapping), {@code SyncMappedRegion} (MAP_SYNC segments, experimental). Addresses never leave
 * a backend.
 */
package dev.daxfs.pmem;
