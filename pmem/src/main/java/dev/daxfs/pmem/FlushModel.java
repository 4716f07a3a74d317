package dev.daxfs.pmem;

/**
 * What a flush costs on a region. Benchmarks print it, so figures from different models are
 * never compared by accident.
 *
 * @param kind how lines are written back
 * @param nanosPerLine the delay added for every flushed 64-byte line (0 unless {@link
 *     Kind#DELAYED})
 */
public record FlushModel(Kind kind, long nanosPerLine) {

  /** How a region's flush works. */
  public enum Kind {
    /** Emulated region: the mapped file is the persistence domain; a flush costs nothing. */
    FREE,
    /** Emulated region with a calibrated busy-wait per flushed line, modelling real pmem. */
    DELAYED,
    /** Real persistent memory: cache-line write-back instructions. */
    CACHE_LINE_WRITEBACK,
    /** A region in the Java heap, for tests and crash images. */
    HEAP
  }

  public static final FlushModel FREE = new FlushModel(Kind.FREE, 0);
  public static final FlushModel HEAP = new FlushModel(Kind.HEAP, 0);
  public static final FlushModel CACHE_LINE_WRITEBACK = new FlushModel(Kind.CACHE_LINE_WRITEBACK, 0);

  public FlushModel {
    if (nanosPerLine < 0) {
      throw new IllegalArgumentException("flush delay must not be negative: " + nanosPerLine);
    }
    if (nanosPerLine != 0 && kind != Kind.DELAYED) {
      throw new IllegalArgumentException("only a delayed flush model has a delay: " + kind);
    }
  }

  /**
   * An emulated region's flush model: {@link #FREE} for 0, else {@link Kind#DELAYED} with the
   * given busy-wait per flushed 64-byte line.
   */
  public static FlushModel emulated(long nanosPerLine) {
    return nanosPerLine == 0 ? FREE : new FlushModel(Kind.DELAYED, nanosPerLine);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case FREE -> "free (emulated: the mapped file is the persistence domain, no msync)";
      case DELAYED -> "delayed (emulated, " + nanosPerLine + " ns per flushed line)";
      case CACHE_LINE_WRITEBACK -> "cache-line write-back (real pmem)";
      case HEAP -> "none (heap region)";
    };
  }
}
