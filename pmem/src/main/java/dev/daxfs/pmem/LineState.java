package dev.daxfs.pmem;

/** Where a 64-byte line's latest stores stand on their way to the media, as a recorder sees it. */
public enum LineState {
  /** Every store to the line was flushed and then fenced: a crash keeps it exactly. */
  PERSISTED("persisted"),
  /** Stored since its last flush: a crash may or may not keep the stores (caches evict at will). */
  DIRTY("dirty (stored, not flushed)"),
  /** Flushed since its last store but no fence yet: still not guaranteed to survive a crash. */
  FLUSHED("flushed, not fenced");

  /** How messages name the state. */
  private final String description;

  LineState(String description) {
    this.description = description;
  }

  @Override
  public String toString() {
    return description;
  }
}
