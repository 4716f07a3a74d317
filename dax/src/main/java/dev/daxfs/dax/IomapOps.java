package dev.daxfs.dax;

/**
 * The filesystem's block-mapping callback, in the spirit of Linux's iomap_ops for DAX faults.
 * A {@link DaxAddressSpace} calls it on every page fault, read or write, and never caches its
 * answers beyond the page's entry.
 *
 * <h2>Calling context</h2>
 *
 * Every call runs with the address space's invalidate lock held <em>shared</em> and the entry
 * lock of {@code index} held. An implementation must therefore not take the file's I/O lock,
 * nor wait for the invalidate lock (a layout break holds both exclusively and would deadlock),
 * and must not lock other entries of the same address space. It may take its own allocator and
 * log locks. Errors are reported as {@link ErrnoException}: ENOSPC from an allocation, EIO from
 * a media error, and so on; the fault fails with that errno.
 */
public interface IomapOps {

  /**
   * Maps page {@code index} for reading: {@link Iomap#hole()}, {@link Iomap#eof()},
   * {@link Iomap#mapped} or {@link Iomap#unwritten}. Must not allocate.
   */
  Iomap mapRead(long index) throws ErrnoException;

  /**
   * Maps page {@code index} for writing through a mapping (a write fault, or a FOLL_WRITE pin):
   * allocates a block if there is none, and returns {@link Iomap#mapped} with a block the page
   * can be written in place: zeroed if it was newly allocated, converted to written if it was
   * unwritten. {@code metadataDurable} says whether that block-map change is already persistent.
   * Called on every write fault, including the first store after an fsync write-protected the
   * page, so a filesystem with data checksums can mark the block unstable here, before the page
   * becomes writable. Returns {@link Iomap#eof()} at or beyond end of file.
   */
  Iomap mapWrite(long index) throws ErrnoException;

  /**
   * Makes durable the metadata that maps page {@code index} (MAP_SYNC): called after
   * {@link #mapWrite} answered {@code metadataDurable == false}, before the page is made writable
   * in a MAP_SYNC mapping.
   */
  void syncMetadata(long index) throws ErrnoException;
}
