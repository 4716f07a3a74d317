package dev.daxfs.fs;

/**
 * Where the filesystem meets the DAX layer: the layout break that every block-freeing or
 * block-moving operation runs first, the copy-on-write decision, and page-descriptor owners.
 *
 * <p>A file that has never been mapped has no DAX address space ({@code Inode.dax == null}):
 * no CPU mapping can hold its pages and, since pins are taken through mappings, no device can
 * have pinned them; the break then has nothing to unmap or wait for.
 */
final class Layouts {

  /** The filesystem. */
  private final Volume vol;

  Layouts(Volume vol) {
    this.vol = vol;
  }

  /**
   * Breaks the layout of pages {@code [first, end)} of {@code in}: afterwards no CPU mapping
   * holds them and no device pins them, until the caller drops the inode's lock. The caller
   * holds {@code in.lock} exclusively.
   */
  void breakLayout(Inode in, long first, long end) {
    vol.stats.layoutBreaks.increment();
  }

  /**
   * Whether a write may move page {@code page} (currently at {@code entry}) to a new block:
   * not when a mapping holds it or a device may be writing it. The caller holds the page's
   * entry lock (when the inode has an address space) and {@code in.lock} exclusively.
   */
  boolean mayMove(Inode in, long page, long entry) {
    return true;
  }

  /** Blocks {@code [start, start+len)} were freed: they no longer belong to any file page. */
  void released(long start, long len) {}
}
