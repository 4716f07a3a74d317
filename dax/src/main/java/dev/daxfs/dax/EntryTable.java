package dev.daxfs.dax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
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

  /** Indexes in {@code [start, end)} that have an entry now, ascending (a snapshot). */
  long[] indexesInRange(long start, long end) {
    if (start >= end) {
      return new long[0];
    }
    long firstChunk = start >>> SHIFT;
    long lastChunk = (end - 1) >>> SHIFT;
    long[] chunkNumbers;
    if (lastChunk - firstChunk < 2L * chunks.size() + 16) {
      chunkNumbers = new long[(int) (lastChunk - firstChunk + 1)];
      for (int i = 0; i < chunkNumbers.length; i++) {
        chunkNumbers[i] = firstChunk + i;
      }
    } else {
      chunkNumbers =
          chunks.keySet().stream()
              .mapToLong(Long::longValue)
              .filter(k -> k >= firstChunk && k <= lastChunk)
              .sorted()
              .toArray();
    }
    long[] out = new long[16];
    int n = 0;
    for (long chunkNumber : chunkNumbers) {
      long[] c = chunks.get(chunkNumber);
      if (c == null) {
        continue;
      }
      long base = chunkNumber << SHIFT;
      for (int i = 0; i < CHUNK; i++) {
        long index = base + i;
        if (index >= start && index < end && (long) LONGS.getVolatile(c, i) != 0) {
          if (n == out.length) {
            out = Arrays.copyOf(out, n * 2);
          }
          out[n++] = index;
        }
      }
    }
    return Arrays.copyOf(out, n);
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
