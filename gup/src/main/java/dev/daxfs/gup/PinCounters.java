package dev.daxfs.gup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One owner's pins acquired and released, in pages, counted so that the pin path writes nothing
 * for them: every {@link PinVector} has a cell here, and the vector's own state, its count of
 * pins and unpins ({@link Cell#transitions}), is the count. A one-page pin adds one to both, so
 * only a pin of more pages writes anything more (the pages beyond the first).
 *
 * <p>A cell has one writer at a time, the thread using its vector (vectors are confined, see
 * {@link PinVector}), which writes with plain stores: an opaque store measured a third slower on
 * the pin path, as the compiler may not move other accesses across it. Readers sum the cells
 * with opaque loads; a 64-bit JVM does not split the long writes (JLS 17.7), so a sum taken
 * while vectors are in use may lag but is made of whole values, and sums are exact once the
 * threads that used the vectors have been joined (or otherwise ordered before the reader).
 *
 * <p>When a vector is collected its cell is folded into this owner's totals and dropped, so the
 * cells of finished transfers do not pile up. The fold reads the cell after the collector found
 * the vector unreachable. The Java memory model promises no ordering between the last user's
 * plain writes and that read; on HotSpot the collector's safepoint, which every thread reaches
 * with a full fence, provides it. The folded counts are statistics (`daxfs stat`, the DMA
 * lab's wait for zero outstanding pins), never a condition the filesystem's safety rests on:
 * the page descriptors' exact pin counts are.
 */
final class PinCounters {

  /** Runs the folds of collected vectors' cells (one daemon thread for the process). */
  private static final Cleaner FOLDER = Cleaner.create();

  // For the readers' opaque loads; the writer stores plainly (see the class comment).
  private static final VarHandle TRANSITIONS;
  private static final VarHandle EXTRA_ACQUIRED;
  private static final VarHandle EXTRA_RELEASED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      TRANSITIONS = l.findVarHandle(Cell.class, "transitions", long.class);
      EXTRA_ACQUIRED = l.findVarHandle(Cell.class, "extraAcquired", long.class);
      EXTRA_RELEASED = l.findVarHandle(Cell.class, "extraReleased", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** One vector's counts. Written only by the thread using the vector. */
  static final class Cell {
    /** Pins and unpins made through the vector: odd exactly while it holds a pin. */
    long transitions;

    /** Pages pinned beyond the first page of each pin. */
    long extraAcquired;

    /** Pages unpinned beyond the first page of each unpin. */
    long extraReleased;

    /** Whether the vector holds a pin. */
    boolean holding() {
      return (transitions & 1) != 0;
    }

    /** Pins taken: the pin held (if any) or the last one; 0 before the first. */
    long pins() {
      return (transitions + 1) >>> 1;
    }
  }

  /** Cells of live vectors. */
  private final Set<Cell> cells = ConcurrentHashMap.newKeySet();

  /** Pages acquired through vectors that have been collected. Guarded by this. */
  private long foldedAcquired;

  /** Pages released through vectors that have been collected. Guarded by this. */
  private long foldedReleased;

  /** A new cell for {@code vector}, folded into the totals when the vector is collected. */
  Cell register(Object vector) {
    Cell c = new Cell();
    cells.add(c);
    FOLDER.register(vector, () -> fold(c));
    return c;
  }

  private synchronized void fold(Cell c) {
    if (cells.remove(c)) {
      foldedAcquired += acquired(c);
      foldedReleased += released(c);
    }
  }

  /** Counts a pin of {@code pages} pages in the caller's cell {@code c}. */
  static void pinned(Cell c, int pages) {
    if (pages > 1) {
      c.extraAcquired += pages - 1;
    }
    c.transitions++;
  }

  /** Counts an unpin of {@code pages} pages in the caller's cell {@code c}. */
  static void unpinned(Cell c, int pages) {
    if (pages > 1) {
      c.extraReleased += pages - 1;
    }
    c.transitions++;
  }

  private static long acquired(Cell c) {
    return (((long) TRANSITIONS.getOpaque(c) + 1) >>> 1) + (long) EXTRA_ACQUIRED.getOpaque(c);
  }

  private static long released(Cell c) {
    return ((long) TRANSITIONS.getOpaque(c) >>> 1) + (long) EXTRA_RELEASED.getOpaque(c);
  }

  /** Pages pinned so far. */
  synchronized long acquired() {
    long sum = foldedAcquired;
    for (Cell c : cells) {
      sum += acquired(c);
    }
    return sum;
  }

  /** Pages unpinned so far. */
  synchronized long released() {
    long sum = foldedReleased;
    for (Cell c : cells) {
      sum += released(c);
    }
    return sum;
  }

  /** Cells of vectors not collected yet. */
  int liveCells() {
    return cells.size();
  }
}
