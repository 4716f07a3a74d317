package dev.daxfs.pmem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Bytes kept as 4 KiB pages that are shared, copy-on-write, with frozen snapshots: the storage
 * of a crash recorder's shadow and of every crash image.
 *
 * <p>{@link #freeze()} hands out the current page array as an immutable snapshot in constant
 * work per page (a pointer copy) and makes every page shared; the next write to a shared page
 * copies it first. A table made over a snapshot ({@link #PageTable(byte[][], long)}) shares all
 * of its pages until written. So thousands of crash images of one large region cost a pointer
 * array each plus the pages they actually change.
 *
 * <p>A page is owned (writable in place) exactly when it is not the same array as in the last
 * snapshot. All-zero pages start as one shared {@link #ZERO} page.
 *
 * <p>Thread safety: reads and writes may run concurrently from many threads (writes to the same
 * page copy it once, under this table's monitor); {@link #freeze()} must not run concurrently
 * with writes: its caller excludes them.
 */
final class PageTable {

  static final int PAGE = PmemRegion.PAGE_SIZE;

  /** The page every untouched page of a fresh table is; never written. */
  private static final byte[] ZERO = new byte[PAGE];

  private static final VarHandle PAGES = MethodHandles.arrayElementVarHandle(byte[][].class);

  /** Bytes held; the last page may be partly beyond it. */
  private final long size;

  /** Current page of each page number; replaced (release) when a shared page is copied. */
  private final byte[][] pages;

  /**
   * The pages as of the last snapshot, never written; a page that is still the same array here
   * is shared and must be copied before it is written. Replaced only by {@link #freeze()}.
   */
  private volatile byte[][] frozen;

  /** A zeroed table of {@code size} bytes. */
  PageTable(long size) {
    this(zeroes(size), size);
  }

  /** A table whose contents are the snapshot {@code base}, shared until written. */
  PageTable(byte[][] base, long size) {
    if (base.length != pageCount(size)) {
      throw new IllegalArgumentException("snapshot of " + base.length + " pages for " + size + " bytes");
    }
    this.size = size;
    this.pages = base.clone();
    this.frozen = base;
  }

  private static byte[][] zeroes(long size) {
    byte[][] p = new byte[pageCount(size)][];
    Arrays.fill(p, ZERO);
    return p;
  }

  static int pageCount(long size) {
    long n = (size + PAGE - 1) / PAGE;
    if (size <= 0 || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a page table holds 1 byte to 8 TiB, not " + size);
    }
    return (int) n;
  }

  long size() {
    return size;
  }

  /**
   * The current contents as an immutable snapshot; from now on every page is shared with it.
   * Callers must exclude concurrent writes.
   */
  byte[][] freeze() {
    byte[][] snapshot = pages.clone();
    frozen = snapshot;
    return snapshot;
  }

  /** Pages this table has copied since its last snapshot (what it costs beyond a pointer array). */
  int ownedPages() {
    byte[][] f = frozen;
    int n = 0;
    for (int i = 0; i < pages.length; i++) {
      if (page(i) != f[i]) {
        n++;
      }
    }
    return n;
  }

  /** The current page {@code index}, for reading only. */
  byte[] page(int index) {
    return (byte[]) PAGES.getAcquire(pages, index);
  }

  /** Page {@code index}, copied first if it is shared. */
  byte[] pageForWrite(int index) {
    byte[] p = page(index);
    if (p != frozen[index]) {
      return p;
    }
    synchronized (this) {
      p = page(index);
      if (p == frozen[index]) {
        p = p.clone();
        PAGES.setRelease(pages, index, p);
      }
      return p;
    }
  }

  void read(long off, byte[] dst, int dstOff, int len) {
    while (len > 0) {
      int in = (int) (off % PAGE);
      int n = Math.min(len, PAGE - in);
      System.arraycopy(page((int) (off / PAGE)), in, dst, dstOff, n);
      off += n;
      dstOff += n;
      len -= n;
    }
  }

  void write(long off, byte[] src, int srcOff, int len) {
    while (len > 0) {
      int in = (int) (off % PAGE);
      int n = Math.min(len, PAGE - in);
      System.arraycopy(src, srcOff, pageForWrite((int) (off / PAGE)), in, n);
      off += n;
      srcOff += n;
      len -= n;
    }
  }

  /** True when page {@code index} is the shared zero page (never written since creation). */
  boolean isZeroPage(int index) {
    return page(index) == ZERO;
  }
}
