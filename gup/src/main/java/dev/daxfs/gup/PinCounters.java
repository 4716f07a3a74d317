package dev.daxfs.gup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pins acquired and released, striped per thread so that counting costs no atomic instruction
 * on the pin path: each thread adds to its own cell with a plain read and an opaque write (it is
 * the cell's only writer), and a reader sums the cells. Sums are exact once the counting threads
 * have been joined, and never run backwards for a single cell.
 */
final class PinCounters {

  /** Cell numbers, unique in the process; the high bits of every pin generation. */
  private static final AtomicLong CELL_IDS = new AtomicLong();

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

  /** One thread's counts. Written only by that thread. */
  static final class Cell {
    /** Process-unique cell number. */
    final long id = CELL_IDS.incrementAndGet();

    /** Pages pinned by the thread. */
    long acquired;

    /** Pages unpinned by the thread. */
    long released;

    /** Pin calls made by the thread; with {@link #id}, the pin generation. */
    long calls;
  }

  /** Every cell ever made, for the readers. */
  private final ConcurrentLinkedQueue<Cell> cells = new ConcurrentLinkedQueue<>();

  /** The calling thread's cell. */
  private final ThreadLocal<Cell> local =
      ThreadLocal.withInitial(
          () -> {
            Cell c = new Cell();
            cells.add(c);
            return c;
          });

  /** Counts {@code pages} acquired by the calling thread; returns a process-unique generation. */
  long acquired(int pages) {
    Cell c = local.get();
    ACQUIRED.setOpaque(c, c.acquired + pages);
    long call = ++c.calls;
    return c.id << 40 | (call & ((1L << 40) - 1));
  }

  /** Counts {@code pages} released by the calling thread. */
  void released(int pages) {
    Cell c = local.get();
    RELEASED.setOpaque(c, c.released + pages);
  }

  long acquired() {
    long sum = 0;
    for (Cell c : cells) {
      sum += (long) ACQUIRED.getOpaque(c);
    }
    return sum;
  }

  long released() {
    long sum = 0;
    for (Cell c : cells) {
      sum += (long) RELEASED.getOpaque(c);
    }
    return sum;
  }
}
