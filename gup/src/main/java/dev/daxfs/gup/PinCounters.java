package dev.daxfs.gup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Pins acquired and released, striped per thread so that counting costs no atomic instruction
 * on the pin path: each thread adds to its own cell with a plain read and an opaque write (it is
 * the cell's only writer), and a reader sums the cells. Sums are exact once the counting threads
 * have been joined, and never run backwards for a single cell.
 *
 * <p>Finding the calling thread's cell is the expensive part (a ThreadLocal lookup), so the last
 * cell used is cached in a plain field and a {@link PinVector} keeps the cell of the thread that
 * last used it: a thread that pins and unpins through its own vector, the usual case, never
 * looks its cell up again.
 */
final class PinCounters {

  private static final VarHandle ACQUIRED;
  private static final VarHandle RELEASED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      ACQUIRED = l.findVarHandle(Cell.class, "acquired", long.class);
      RELEASED = l.findVarHandle(Cell.class, "released", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** One thread's counts. Written only by {@link #thread}. */
  static final class Cell {
    /** The only thread that writes this cell. */
    final Thread thread = Thread.currentThread();

    /** Pages pinned by the thread. */
    long acquired;

    /** Pages unpinned by the thread. */
    long released;

    /** Whether the calling thread may write this cell. */
    boolean mine() {
      return thread == Thread.currentThread();
    }
  }

  /** Cells of live threads (and dead ones not folded yet), for the readers. */
  private final ConcurrentLinkedQueue<Cell> cells = new ConcurrentLinkedQueue<>();

  /** Counts of cells whose threads ended, folded in by the readers. Guarded by this. */
  private long foldedAcquired;

  /** See {@link #foldedAcquired}. Guarded by this. */
  private long foldedReleased;

  /** The calling thread's cell. */
  private final ThreadLocal<Cell> local =
      ThreadLocal.withInitial(
          () -> {
            Cell c = new Cell();
            cells.add(c);
            return c;
          });

  /**
   * The cell used last, by any thread: a racy cache, read without synchronization. Its final
   * fields are safely visible, and a thread only ever writes a cell it finds to be its own.
   */
  private Cell last;

  /** The calling thread's cell. */
  Cell cell() {
    Cell c = last;
    if (c != null && c.mine()) {
      return c;
    }
    c = local.get();
    last = c;
    return c;
  }

  /** Counts {@code pages} acquired in the caller's cell {@code c}. */
  static void acquired(Cell c, int pages) {
    ACQUIRED.setOpaque(c, c.acquired + pages);
  }

  /** Counts {@code pages} released in the caller's cell {@code c}. */
  static void released(Cell c, int pages) {
    RELEASED.setOpaque(c, c.released + pages);
  }

  long acquired() {
    return sum(ACQUIRED, true);
  }

  long released() {
    return sum(RELEASED, false);
  }

  private synchronized long sum(VarHandle field, boolean acquired) {
    // A cell of a thread that has ended is final (its last writes happen-before isAlive()
    // returning false): fold it, so cells and their threads do not pile up.
    for (Iterator<Cell> it = cells.iterator(); it.hasNext(); ) {
      Cell c = it.next();
      if (!c.thread.isAlive()) {
        foldedAcquired += (long) ACQUIRED.getOpaque(c);
        foldedReleased += (long) RELEASED.getOpaque(c);
        it.remove();
        if (last == c) {
          last = null;
        }
      }
    }
    long sum = acquired ? foldedAcquired : foldedReleased;
    for (Cell c : cells) {
      sum += (long) field.getOpaque(c);
    }
    return sum;
  }
}
