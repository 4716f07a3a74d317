package dev.daxfs.dax;

/**
 * A snapshot of one entry of a {@link DaxAddressSpace}: what the file page {@code index} is
 * mapped to and its lock and dirty bits. Stable while the caller holds the entry lock.
 *
 * @param index file page index
 * @param kind what the entry holds
 * @param pfn the page frame for {@link Kind#PAGE}, -1 otherwise
 * @param dirty the page was written through a mapping (or a pin) since the last writeback
 * @param locked the entry lock is held
 */
public record DaxEntry(long index, Kind kind, long pfn, boolean dirty, boolean locked) {

  /** What an entry holds. */
  public enum Kind {
    /** No entry: nothing maps the page and nobody holds its lock. */
    NONE,
    /** A locked placeholder made by {@link DaxAddressSpace#lockEntry}; vanishes when unlocked. */
    EMPTY,
    /** A hole or unwritten extent mapped read-only to the zero page somewhere. */
    ZERO,
    /** A region page frame mapped somewhere (or mapped before and not yet removed). */
    PAGE
  }
}
