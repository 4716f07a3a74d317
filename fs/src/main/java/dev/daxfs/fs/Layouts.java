package dev.daxfs.fs;

/**
 * Where the filesystem meets the DAX layer: the layout break that every block-freeing or
 * block-moving operation runs first, the page locks behind the copy-on-write decision, and
 * page-descriptor owners.
 *
 * <p>A file that has never been mapped has no DAX address space ({@code Inode.dax == null}):
 * no CPU mapping can hold its pages and, since pins are taken through mappings, no device can
 * have pinned them; the break then has nothing to unmap or wait for.
 */
final class Layouts {

  /** Something held until the caller's change is committed: locks to release on close. */
  interface Held extends AutoCloseable {
    @Override
    void close();

    Held NOTHING = () -> {};
  }

  /** The filesystem. */
  private final Volume vol;

  Layouts(Volume vol) {
    this.vol = vol;
  }

  /**
   * Breaks the layout of pages {@code [first, end)} of {@code in}: when it returns, no CPU
   * mapping holds those pages, no device pins them, and none can until the returned hold is
   * closed (faults are blocked). The caller holds {@code in.io} exclusively and not {@code
   * in.lock}; it changes the block map and then closes the hold.
   */
  Held breakLayout(Inode in, long first, long end) {
    vol.stats.layoutBreaks.increment();
    return Held.NOTHING;
  }

  /**
   * Locks pages {@code [first, end)} against faults and slow-path pins, for copy-on-write
   * decisions ({@link #mayMove}); the caller holds {@code in.io} and not {@code in.lock}.
   */
  Held lockPages(Inode in, long first, long end) {
    return Held.NOTHING;
  }

  /**
   * Whether a write may move page {@code page} (currently at {@code entry}) to a new block:
   * not when a mapping holds it or a device may be writing it. The caller holds the page lock
   * from {@link #lockPages}, or a layout break covering it.
   */
  boolean mayMove(Inode in, long page, long entry) {
    return true;
  }

  /** Whether a device may still be writing any block of {@code in} (eviction must wait). */
  boolean busy(Inode in) {
    return false;
  }

  /** Blocks {@code [start, start+len)} were freed: they no longer belong to any file page. */
  void released(long start, long len) {}
}
