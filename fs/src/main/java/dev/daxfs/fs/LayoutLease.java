package dev.daxfs.fs;

/**
 * A layout lease on a range of a file: while it is held, the range's layout does not change.
 * Truncate, punch, zero, collapse and insert over it fail with ETXTBSY instead of waiting for
 * DMA that may never end, and long-term pins of the range by the lease's holder are allowed
 * (DESIGN.md, "Long-term pins"). It ends when its holder closes it: a DMA registration when it
 * deregisters, a control-socket session when it ends.
 */
public final class LayoutLease implements AutoCloseable {

  /** The leased file. */
  final Inode inode;

  /** First leased page. */
  final long startPage;

  /** One past the last leased page. */
  final long endPage;

  /** Who holds it; long-term pin requests name their holder and are compared by equals. */
  final Object holder;

  LayoutLease(Inode inode, long startPage, long endPage, Object holder) {
    this.inode = inode;
    this.startPage = startPage;
    this.endPage = endPage;
    this.holder = holder;
  }

  /** True when the lease covers every page of {@code [start, end)}. */
  boolean covers(long start, long end) {
    return startPage <= start && end <= endPage;
  }

  /** True when the lease and {@code [start, end)} share a page. */
  boolean overlaps(long start, long end) {
    return start < endPage && startPage < end;
  }

  public long ino() {
    return inode.ino;
  }

  /** First byte of the leased range (page aligned). */
  public long offset() {
    return startPage << Layout.BLOCK_SHIFT;
  }

  /** Length of the leased range in bytes (whole pages). */
  public long length() {
    return (endPage - startPage) << Layout.BLOCK_SHIFT;
  }

  public Object holder() {
    return holder;
  }

  /** Releases the lease; releasing twice is harmless. */
  @Override
  public void close() {
    inode.leases.remove(this);
  }

  @Override
  public String toString() {
    return "layout lease of inode " + inode.ino + " pages [" + startPage + ", " + endPage
        + ") held by " + holder;
  }
}
