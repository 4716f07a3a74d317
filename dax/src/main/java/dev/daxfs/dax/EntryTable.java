package dev.daxfs.dax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A file's DAX entries by page index, the xarray of fs/dax.c: one long per page in chunks of
 * {@value #CHUNK} created on first use. A chunk lives until the address space does (at most
 * 4 KiB per 2 MiB of file that was ever mapped or locked).
 *
 * <pre>
 * bits 0-47  page frame number (PAGE entries)
 * bit 48     ZERO: the zero page is mapped for a hole or unwritten extent
 * bit 49     PAGE: a region page frame
 * bit 60     DIRTY: written through a mapping or pin since the last writeback
 * bit 61     WAITERS: a thread sleeps until the entry is unlocked
 * bit 62     LOCKED: the entry lock is held
 * 0          no entry; LOCKED alone is an empty placeholder
 * </pre>
 */
final class EntryTable {

  static final long PFN_MASK = (1L << 48) - 1;
  static final long ZERO = 1L << 48;
  static final long PAGE = 1L << 49;
  static final long DIRTY = 1L << 60;
  static final long WAITERS = 1L << 61;
  static final long LOCKED = 1L << 62;

  private static final int SHIFT = 9;
  static final int CHUNK = 1 << SHIFT;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  /** Chunks by index >>> SHIFT; a chunk is never removed once published. */
  private final ConcurrentHashMap<Long, long[]> chunks = new ConcurrentHashMap<>();

  long get(long index) {
    long[] c = chunks.get(index >>> SHIFT);
    return c == null ? 0L : (long) LONGS.getVolatile(c, (int) (index & (CHUNK - 1)));
  }

  boolean compareAndSet(long index, long expected, long update) {
    long[] c =
        expected == 0
            ? chunks.computeIfAbsent(index >>> SHIFT, k -> new long[CHUNK])
            : chunks.get(index >>> SHIFT);
    return c != null && LONGS.compareAndSet(c, (int) (index & (CHUNK - 1)), expected, update);
  }

  /** What {@link #forEach} calls for each entry it finds. */
  interface Visitor {
    /**
     * Sees the entry of page {@code index}, read as {@code e} (never 0) from slot {@code slot}
     * of {@code chunk}; returns false to stop the walk.
     */
    boolean visit(long[] chunk, int slot, long index, long e);
  }

  /**
   * Calls {@code v} for every page in {@code [start, end)} that has an entry when the walk
   * reaches it, ascending, until it returns false; returns whether the walk finished. Entries
   * created behind the walk are not seen. One map lookup per chunk, none per page.
   */
  boolean forEach(long start, long end, Visitor v) {
    if (start >= end) {
      return true;
    }
    for (long chunkNumber : chunkNumbers(start, end)) {
      long[] c = chunks.get(chunkNumber);
      if (c == null) {
        continue;
      }
      long base = chunkNumber << SHIFT;
      int from = (int) (Math.max(start, base) - base);
      int to = (int) (Math.min(end, base + CHUNK) - base);
      for (int i = from; i < to; i++) {
        long e = (long) LONGS.getVolatile(c, i);
        if (e != 0 && !v.visit(c, i, base + i, e)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Numbers of the chunks that may hold entries of {@code [start, end)}, ascending. */
  private long[] chunkNumbers(long start, long end) {
    long firstChunk = start >>> SHIFT;
    long lastChunk = (end - 1) >>> SHIFT;
    if (lastChunk - firstChunk < 2L * chunks.size() + 16) {
      long[] numbers = new long[(int) (lastChunk - firstChunk + 1)];
      for (int i = 0; i < numbers.length; i++) {
        numbers[i] = firstChunk + i;
      }
      return numbers;
    }
    // A huge range over a sparse file (a truncate to zero of a small mapped file): walk the
    // chunks that exist instead of the range.
    return chunks.keySet().stream()
        .mapToLong(Long::longValue)
        .filter(k -> k >= firstChunk && k <= lastChunk)
        .sorted()
        .toArray();
  }

  /** Reads slot {@code slot} of a chunk {@link #forEach} handed out. */
  static long get(long[] chunk, int slot) {
    return (long) LONGS.getVolatile(chunk, slot);
  }

  /** Compare-and-set on slot {@code slot} of a chunk {@link #forEach} handed out. */
  static boolean compareAndSet(long[] chunk, int slot, long expected, long update) {
    return LONGS.compareAndSet(chunk, slot, expected, update);
  }

  static boolean locked(long e) {
    return (e & LOCKED) != 0;
  }

  static boolean isPage(long e) {
    return (e & PAGE) != 0;
  }

  static boolean isZero(long e) {
    return (e & ZERO) != 0;
  }

  static boolean dirty(long e) {
    return (e & DIRTY) != 0;
  }

  static long pfn(long e) {
    return e & PFN_MASK;
  }

  static DaxEntry snapshot(long index, long e) {
    DaxEntry.Kind kind =
        e == 0 ? DaxEntry.Kind.NONE
            : isPage(e) ? DaxEntry.Kind.PAGE
            : isZero(e) ? DaxEntry.Kind.ZERO
            : DaxEntry.Kind.EMPTY;
    return new DaxEntry(index, kind, isPage(e) ? pfn(e) : -1, dirty(e), locked(e));
  }
}
