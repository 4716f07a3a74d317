package dev.daxfs.dax;

import dev.daxfs.pmem.PmemRegion;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The page descriptors of one region: Linux's {@code struct page}, one per 4 KiB page frame,
 * indexed by page frame number (region offset / 4096). There is one table per region; whoever
 * opens the region (the filesystem) creates it and hands it to every address space on it.
 *
 * <h2>The reference model (current Linux, fs/dax.c and mm/gup.c)</h2>
 *
 * <ul>
 *   <li>A page is <em>idle</em> at refcount 0. Nothing may free, reuse or move a block whose page
 *       is not idle.
 *   <li>Every CPU mapping of the page holds one reference and one mapcount.
 *   <li>A plain {@link #get}/{@link #put} moves the refcount by one.
 *   <li>A pin ({@link #tryPin}/{@link #unpin}) adds {@link #GUP_PIN_COUNTING_BIAS} to the refcount
 *       and one to the exact pin count, which Linux keeps for large folios.
 *   <li>A page is <em>DMA-busy</em> when refcount - mapcount != 0: someone other than the CPU
 *       mappings holds it. {@link #maybeDmaPinned} is refcount >= 1024, which cannot be made false
 *       by anything but an unpin, because a put never takes the refcount below what the pins and
 *       mappings hold (2018's get/pin/put race: a plain put must never release a pin).
 * </ul>
 *
 * <p>The refcount, mapcount and pin count share one 64-bit word, so every change is one atomic
 * instruction and every reader sees the three consistently: a pin and an unpin are each a single
 * atomic add. Puts and unmaps are compare-and-swap loops that check first; an unpin checks its
 * add after the fact and adds it back when it was wrong (see {@link #unpin}). Either way a
 * release the caller does not hold (a stray put on a pinned page, an unpin without a pin, an
 * underflow) is refused with the counts ending as they were, counted in {@link #misuseEvents()},
 * told to the {@link MisuseListener} and thrown as {@link PageRefMisuseException}: never
 * absorbed.
 *
 * <h2>Storage</h2>
 *
 * <p>Descriptors are 32 bytes (four longs: counts, flags, owner inode, owner index) in chunks of
 * {@value #CHUNK_PAGES} pages that are allocated the first time a page in them is referenced,
 * owned or watched. A read of a page whose chunk does not exist answers "idle, no owner" without
 * allocating, so a 1 TiB region that is mostly unused costs its chunk directory (8 bytes per
 * 8 MiB of region) and the chunks in use.
 *
 * <h2>Waiting for idle</h2>
 *
 * <p>The release that leaves a page held by nothing but its CPU mappings (refcount == mapcount;
 * refcount 0 once it is unmapped) wakes the threads in {@link #waitIdle} on it (hashed wait
 * heads, no polling) and, if the page is {@linkplain #setWatched watched}, calls the
 * {@link PageIdleListener}.
 *
 * <p>Thread safety: every method may be called from any thread. The words are accessed with
 * volatile semantics (sequentially consistent), which the waiter/waker handshake relies on.
 */
public final class PageDescriptors {

  /** What a pin adds to the refcount (include/linux/mm.h). */
  public static final int GUP_PIN_COUNTING_BIAS = 1024;

  /** log2 of the page size. */
  public static final int PAGE_SHIFT = 12;

  /** Most pins one page may hold; a further pin is refused. */
  public static final int MAX_PINS = 0x7FFF;

  /** Most CPU mappings one page may be mapped by; a further mapping is refused. */
  public static final int MAX_MAPCOUNT = 0x7FFF;

  /**
   * Highest refcount a new reference may start from (Linux refuses references whose count is
   * close to overflow). Far above what the pin and mapping limits can reach, and far enough below
   * 2^31 that racing refused attempts never wrap the field.
   */
  public static final int REFCOUNT_LIMIT = 1 << 30;

  // ---- the counts word --------------------------------------------------------------------
  // bits 0..31   refcount (kept in [0, 2^31))
  // bits 32..47  mapcount
  // bits 48..63  exact pin count
  // MAX_PINS and MAX_MAPCOUNT leave the top bit of each 16-bit field free, so a burst of refused
  // attempts (add, see the limit, subtract) never carries into the neighbouring field.

  private static final int MAP_SHIFT = 32;
  private static final int PIN_SHIFT = 48;
  private static final long MAP_ONE = 1L << MAP_SHIFT;
  private static final long PIN_ONE = 1L << PIN_SHIFT;

  /** What a pin adds to the counts word. */
  private static final long PIN_DELTA = GUP_PIN_COUNTING_BIAS + PIN_ONE;

  /** What a CPU mapping adds to the counts word: one reference and one mapcount. */
  private static final long MAP_DELTA = 1 + MAP_ONE;

  // ---- descriptor layout: four longs per page ----------------------------------------------

  private static final int COUNTS = 0;
  private static final int FLAGS = 1;
  private static final int OWNER_INODE = 2;
  private static final int OWNER_INDEX = 3;
  private static final int WORDS = 4;

  /** Bytes one descriptor takes. */
  public static final int DESCRIPTOR_BYTES = WORDS * Long.BYTES;

  /** Flag: a thread sleeps in waitIdle on this page; the idle transition must wake it. */
  private static final long F_WAITERS = 1L;

  /** Flag: the idle listener wants to hear when this page becomes idle. */
  private static final long F_WATCHED = 1L << 1;

  private static final int CHUNK_SHIFT = 11;

  /** Pages per chunk: 2048 pages (8 MiB of region) in a 64 KiB array. */
  public static final int CHUNK_PAGES = 1 << CHUNK_SHIFT;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(long[][].class);

  /** The region the page frames belong to; null for a detached (sizing) table. */
  private final PmemRegion region;

  /** Page frames covered: whole 4 KiB pages of the region. */
  private final long pageCount;

  /** Chunk directory; a slot is null until a page in it is first used. Published by CAS. */
  private final long[][] chunks;

  /** Chunks allocated so far. */
  private final LongAdder chunksAllocated = new LongAdder();

  /** Wait heads for waitIdle, hashed by page frame number. */
  private final WaitTable idleWaiters = new WaitTable(256);

  /** Misuses detected so far. */
  private final LongAdder misuseEvents = new LongAdder();

  /** Told about each misuse before it is thrown; replaced whole, never mutated. */
  private volatile MisuseListener misuseListener = (pfn, description) -> {};

  /** Told when a watched page becomes idle; null when nobody listens. */
  private volatile PageIdleListener idleListener;

  /** The descriptor table for {@code region}: one per region, made by whoever opens it. */
  public PageDescriptors(PmemRegion region) {
    this(Objects.requireNonNull(region, "region"), region.size() >>> PAGE_SHIFT);
  }

  private PageDescriptors(PmemRegion region, long pageCount) {
    if (pageCount <= 0) {
      throw new IllegalArgumentException("a descriptor table needs at least one page, not " + pageCount);
    }
    long chunkCount = (pageCount + CHUNK_PAGES - 1) >>> CHUNK_SHIFT;
    if (chunkCount > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("region of " + pageCount + " pages is too large");
    }
    this.region = region;
    this.pageCount = pageCount;
    this.chunks = new long[(int) chunkCount][];
  }

  /**
   * A table for {@code pageCount} page frames of no region: for sizing and benchmarks. Address
   * spaces cannot be built on it.
   */
  public static PageDescriptors detached(long pageCount) {
    return new PageDescriptors(null, pageCount);
  }

  /** The region these page frames belong to, or null for a detached table. */
  public PmemRegion region() {
    return region;
  }

  /** Number of page frames (whole 4 KiB pages of the region). */
  public long pageCount() {
    return pageCount;
  }

  // ---- counts -------------------------------------------------------------------------------

  private static int ref(long counts) {
    return (int) counts;
  }

  private static int maps(long counts) {
    return (int) ((counts >>> MAP_SHIFT) & 0xFFFF);
  }

  private static int pins(long counts) {
    return (int) (counts >>> PIN_SHIFT);
  }

  /** DMA-busy: held by more than its CPU mappings. */
  private static boolean busy(long counts) {
    return ref(counts) != maps(counts);
  }

  /** Current refcount of the page. */
  public int refcount(long pfn) {
    return ref(counts(pfn));
  }

  /** Number of CPU mappings of the page. */
  public int mapcount(long pfn) {
    return maps(counts(pfn));
  }

  /** Exact number of pins on the page. */
  public int pinCount(long pfn) {
    return pins(counts(pfn));
  }

  /** refcount 0: nothing maps, pins or references the page; its block may be freed. */
  public boolean isIdle(long pfn) {
    return ref(counts(pfn)) == 0;
  }

  /** refcount - mapcount != 0: a pin, a get or an access beyond the CPU mappings holds it. */
  public boolean isDmaBusy(long pfn) {
    return busy(counts(pfn));
  }

  /** refcount >= {@link #GUP_PIN_COUNTING_BIAS}: the page may be pinned for DMA. */
  public boolean maybeDmaPinned(long pfn) {
    return ref(counts(pfn)) >= GUP_PIN_COUNTING_BIAS;
  }

  /** One consistent reading of the page's descriptor. */
  public PageDescriptor describe(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    if (c == null) {
      return new PageDescriptor(pfn, 0, 0, 0, false, 0, 0);
    }
    int s = slot(pfn);
    long counts = (long) LONGS.getVolatile(c, s + COUNTS);
    long flags = (long) LONGS.getVolatile(c, s + FLAGS);
    long[] owner = readOwner(c, s);
    return new PageDescriptor(
        pfn, ref(counts), maps(counts), pins(counts), (flags & F_WATCHED) != 0, owner[0], owner[1]);
  }

  private long counts(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    return c == null ? 0L : (long) LONGS.getVolatile(c, slot(pfn) + COUNTS);
  }

  // ---- taking references ----------------------------------------------------------------------
  // The hot methods are kept small so the JIT inlines them into gup's paths; everything that
  // builds a message lives out of line.

  /**
   * Takes one plain reference (get_page / FOLL_GET), released by {@link #put}.
   *
   * @return false, taking nothing, when the refcount is at {@link #REFCOUNT_LIMIT}
   */
  public boolean tryGet(long pfn) {
    checkPfn(pfn);
    long[] c = chunkForUpdate(pfn);
    int s = slot(pfn);
    long old = (long) LONGS.getAndAdd(c, s, 1L);
    if (ref(old) >= REFCOUNT_LIMIT) {
      // Back out; the old refcount was far above 0, so this cannot be an idle transition.
      LONGS.getAndAdd(c, s, -1L);
      return false;
    }
    return true;
  }

  /** {@link #tryGet}, throwing when the refcount is at its limit. */
  public void get(long pfn) {
    if (!tryGet(pfn)) {
      throw new IllegalStateException("page " + pfn + ": refcount is at its limit " + REFCOUNT_LIMIT);
    }
  }

  /**
   * Pins the page for DMA: +{@link #GUP_PIN_COUNTING_BIAS} to the refcount and +1 to the exact
   * pin count, in one atomic add. This is the primitive under gup's pinUserPages, which is what
   * everyone else calls; the pin is released only by {@link #unpin}.
   *
   * @return false, pinning nothing, when the page already has {@link #MAX_PINS} pins or its
   *     refcount is at {@link #REFCOUNT_LIMIT}
   */
  public boolean tryPin(long pfn) {
    checkPfn(pfn);
    long[] c = chunkForUpdate(pfn);
    int s = slot(pfn);
    long old = (long) LONGS.getAndAdd(c, s, PIN_DELTA);
    // Either limit reached makes its difference negative: one test for both.
    if (((REFCOUNT_LIMIT - 1 - ref(old)) | (MAX_PINS - 1 - pins(old))) < 0) {
      LONGS.getAndAdd(c, s, -PIN_DELTA);
      return false;
    }
    return true;
  }

  /** A CPU mapping takes its reference and mapcount; false when a limit is reached. */
  boolean tryMap(long pfn) {
    checkPfn(pfn);
    long[] c = chunkForUpdate(pfn);
    int s = slot(pfn);
    long old = (long) LONGS.getAndAdd(c, s, MAP_DELTA);
    if (ref(old) >= REFCOUNT_LIMIT || maps(old) >= MAX_MAPCOUNT) {
      LONGS.getAndAdd(c, s, -MAP_DELTA);
      return false;
    }
    return true;
  }

  // ---- releasing references -------------------------------------------------------------------
  // A refused release leaves the counts as they were: puts and unmaps check before they commit,
  // an unpin checks its add after the fact and adds it back.

  /**
   * Drops one plain reference (put_page). Refused as misuse when it would take the refcount
   * below what the page's pins and mappings hold, which includes underflow below zero.
   *
   * @throws PageRefMisuseException for a put the caller cannot hold
   */
  public void put(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    if (c == null) {
      throw unreferenced(pfn, "put");
    }
    int s = slot(pfn);
    for (;;) {
      long v = (long) LONGS.getVolatile(c, s);
      if (inFlux(v)) {
        Thread.onSpinWait();
        continue;
      }
      if (ref(v) - 1 < maps(v) + pins(v) * GUP_PIN_COUNTING_BIAS) {
        throw putMisuse(pfn, v);
      }
      long n = v - 1;
      if (LONGS.compareAndSet(c, s, v, n)) {
        if (!busy(n)) {
          becameIdle(pfn, c, s);
        }
        return;
      }
    }
  }

  /**
   * Drops one pin: -{@link #GUP_PIN_COUNTING_BIAS} and -1 pin. Refused as misuse on a page with
   * no pin.
   *
   * <p>One atomic add, checked after the fact like {@link #tryPin}: an add that took the counts
   * below what the remaining pins and mappings hold is added back before the misuse is reported,
   * and the add-back wakes the idle waiters if the page is idle by then. Between the two adds
   * other threads see a field beyond its limit; the releases (put, unmap, unpin) recognise such
   * a word and wait for the add-back instead of refusing a legitimate release. A pin or get that
   * meets it is refused as if the page were at its limit; that needs a misuse of the same page
   * at the same moment.
   *
   * @throws PageRefMisuseException for an unpin of a page that has no pin
   */
  public void unpin(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    if (c == null) {
      throw unreferenced(pfn, "unpin");
    }
    int s = slot(pfn);
    for (;;) {
      long old = (long) LONGS.getAndAdd(c, s, -PIN_DELTA);
      long n = old - PIN_DELTA;
      // Negative when the page had no pin, or when the refcount left is below what the
      // remaining pins and mappings hold: one test for both.
      if (((pins(old) - 1) | (ref(n) - maps(n) - pins(n) * GUP_PIN_COUNTING_BIAS)) >= 0) {
        if (!busy(n)) {
          becameIdle(pfn, c, s);
        }
        return;
      }
      addBack(pfn, c, s);
      if (!inFlux(old)) {
        throw unpinMisuse(pfn, old);
      }
      // Another caller's refused add had not been taken back yet: try again once it has.
      Thread.onSpinWait();
    }
  }

  /**
   * Whether {@code counts} is a word that some caller's refused add has made wrong for a moment:
   * a field beyond its limit, which no accepted reference ever leaves behind.
   */
  private static boolean inFlux(long counts) {
    return pins(counts) > MAX_PINS || maps(counts) > MAX_MAPCOUNT || ref(counts) < 0;
  }

  /** Adds back a refused unpin's add; the counts end as they were. */
  private void addBack(long pfn, long[] c, int s) {
    long restored = (long) LONGS.getAndAdd(c, s, PIN_DELTA) + PIN_DELTA;
    if (!busy(restored)) {
      // A release that ran while the counts were wrong saw the page busy and woke nobody.
      becameIdle(pfn, c, s);
    }
  }

  /** A CPU mapping drops its reference and mapcount. */
  void unmap(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    if (c == null) {
      throw unreferenced(pfn, "unmap");
    }
    int s = slot(pfn);
    for (;;) {
      long v = (long) LONGS.getVolatile(c, s);
      if (inFlux(v)) {
        Thread.onSpinWait();
        continue;
      }
      if (maps(v) == 0 || ref(v) - 1 < maps(v) - 1 + pins(v) * GUP_PIN_COUNTING_BIAS) {
        throw unmapMisuse(pfn, v);
      }
      long n = v - MAP_DELTA;
      if (LONGS.compareAndSet(c, s, v, n)) {
        if (!busy(n)) {
          becameIdle(pfn, c, s);
        }
        return;
      }
    }
  }

  private PageRefMisuseException unreferenced(long pfn, String verb) {
    return misuse(pfn, 0L, verb + " of page " + pfn + ", which nothing references");
  }

  private PageRefMisuseException putMisuse(long pfn, long v) {
    return misuse(
        pfn,
        v,
        ref(v) == 0
            ? "put of page " + pfn + " would take its refcount below zero"
            : "put of page " + pfn + " would drop its refcount below what its pins and mappings hold");
  }

  private PageRefMisuseException unpinMisuse(long pfn, long v) {
    return misuse(
        pfn,
        v,
        pins(v) == 0
            ? "unpin of page " + pfn + ", which has no pin"
            : "unpin of page " + pfn + " would drop its refcount below what its mappings hold");
  }

  private PageRefMisuseException unmapMisuse(long pfn, long v) {
    return misuse(
        pfn,
        v,
        maps(v) == 0
            ? "unmap of page " + pfn + ", which no CPU mapping maps"
            : "unmap of page " + pfn + " would drop its refcount below what its pins hold");
  }

  /**
   * The page is held by nothing but CPU mappings now (idle once unmapped): wake its waiters and
   * tell the idle listener if it is watched.
   */
  private void becameIdle(long pfn, long[] c, int s) {
    // Volatile read after the volatile update: either this sees F_WAITERS, or the waiter, which set
    // the flag before re-reading the counts, sees refcount 0 (see waitIdle).
    long flags = (long) LONGS.getVolatile(c, s + FLAGS);
    if ((flags & (F_WAITERS | F_WATCHED)) != 0) {
      tellIdle(pfn, c, s, flags);
    }
  }

  /** Wakes the page's waiters and tells the idle listener, as {@code flags} ask. */
  private void tellIdle(long pfn, long[] c, int s, long flags) {
    if ((flags & F_WAITERS) != 0) {
      Object head = idleWaiters.head(pfn);
      synchronized (head) {
        LONGS.getAndBitwiseAnd(c, s + FLAGS, ~F_WAITERS);
        head.notifyAll();
      }
    }
    if ((flags & F_WATCHED) != 0) {
      PageIdleListener listener = idleListener;
      if (listener != null) {
        listener.pageIdle(this, pfn);
      }
    }
  }

  // ---- waiting ----------------------------------------------------------------------------------

  /**
   * Waits until no pin, get or access holds the page any more: refcount == mapcount, which is
   * refcount 0 (idle) for a page its caller has unmapped. Woken by the put or unpin that makes it
   * so; no polling.
   *
   * <p>A layout break calls this after its busy scan unmapped the page, with the invalidate lock
   * dropped (or the slow paths that would release the page could not run). While that lock is
   * dropped a fault may map the page again, so waiting for refcount 0 itself could wait forever;
   * the break instead retakes the lock and rescans, which unmaps the page again and finds it idle.
   *
   * @param timeout how long to wait at most
   * @return true when the page is idle, false when the timeout passed first
   * @throws InterruptedException when the thread is interrupted before or while waiting
   */
  public boolean waitIdle(long pfn, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long nanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
    return awaitIdle(pfn, nanos);
  }

  /** {@link #waitIdle(long, Duration)} without a bound. */
  public void waitIdle(long pfn) throws InterruptedException {
    awaitIdle(pfn, Long.MAX_VALUE);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Waits up to {@code nanos} (Long.MAX_VALUE: forever). */
  private boolean awaitIdle(long pfn, long nanos) throws InterruptedException {
    checkPfn(pfn);
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before waiting for page " + pfn + " to become idle");
    }
    long[] c = chunk(pfn);
    if (c == null) {
      return true;
    }
    int s = slot(pfn);
    if (!busy((long) LONGS.getVolatile(c, s + COUNTS))) {
      return true;
    }
    long start = System.nanoTime();
    Object head = idleWaiters.head(pfn);
    synchronized (head) {
      for (;;) {
        // Announce first, then look: the releasing thread reads the flag after its CAS.
        LONGS.getAndBitwiseOr(c, s + FLAGS, F_WAITERS);
        if (!busy((long) LONGS.getVolatile(c, s + COUNTS))) {
          return true;
        }
        if (nanos == Long.MAX_VALUE) {
          head.wait();
        } else {
          long remaining = nanos - (System.nanoTime() - start);
          if (remaining <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(head, remaining);
        }
      }
    }
  }

  // ---- watching (orphan reaper hook) ------------------------------------------------------------

  /**
   * Marks or unmarks the page as watched: the put or unpin that leaves a watched page held by
   * nothing but CPU mappings (idle, once unmapped) calls the {@link PageIdleListener}. To close the
   * race with a release that happened just before, mark first and then check {@link #isDmaBusy}:
   * either the check sees the page free or the listener is called.
   */
  public void setWatched(long pfn, boolean watched) {
    checkPfn(pfn);
    if (watched) {
      LONGS.getAndBitwiseOr(chunkForUpdate(pfn), slot(pfn) + FLAGS, F_WATCHED);
    } else {
      long[] c = chunk(pfn);
      if (c != null) {
        LONGS.getAndBitwiseAnd(c, slot(pfn) + FLAGS, ~F_WATCHED);
      }
    }
  }

  /** Whether the page is watched. */
  public boolean isWatched(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    return c != null && ((long) LONGS.getVolatile(c, slot(pfn) + FLAGS) & F_WATCHED) != 0;
  }

  /** Sets (or, with null, removes) the listener told when a watched page becomes idle. */
  public void setIdleListener(PageIdleListener listener) {
    this.idleListener = listener;
  }

  // ---- owner -----------------------------------------------------------------------------------

  /**
   * Records that the page holds page {@code index} of inode {@code inode}. The filesystem sets
   * it when it maps a block into a file and clears it when it frees the block, so a DMA write
   * that lands on a page no longer owned by the (inode, index) it pinned is detected.
   */
  public void setOwner(long pfn, long inode, long index) {
    checkPfn(pfn);
    if (inode <= 0 || index < 0) {
      throw new IllegalArgumentException(
          "page owner needs an inode > 0 and an index >= 0, not inode " + inode + " index " + index);
    }
    long[] c = chunkForUpdate(pfn);
    int s = slot(pfn);
    // Index first, inode last: a reader that sees the inode twice around the index read sees an
    // index that belonged to that inode (see readOwner).
    LONGS.setVolatile(c, s + OWNER_INDEX, index);
    LONGS.setVolatile(c, s + OWNER_INODE, inode);
  }

  /** Records that the page belongs to no file (its block was freed). */
  public void clearOwner(long pfn) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    if (c != null) {
      LONGS.setVolatile(c, slot(pfn) + OWNER_INODE, 0L);
    }
  }

  /** Whether the page is currently owned by page {@code index} of inode {@code inode}. */
  public boolean isOwnedBy(long pfn, long inode, long index) {
    checkPfn(pfn);
    long[] c = chunk(pfn);
    if (c == null) {
      return false;
    }
    long[] owner = readOwner(c, slot(pfn));
    return owner[0] == inode && owner[1] == index;
  }

  /** Owner inode then index, read consistently; inode 0 means none. */
  private static long[] readOwner(long[] c, int s) {
    for (;;) {
      long inode = (long) LONGS.getVolatile(c, s + OWNER_INODE);
      long index = (long) LONGS.getVolatile(c, s + OWNER_INDEX);
      if ((long) LONGS.getVolatile(c, s + OWNER_INODE) == inode) {
        return new long[] {inode, inode == 0 ? 0 : index};
      }
    }
  }

  // ---- misuse ----------------------------------------------------------------------------------

  /** Number of misuses detected on this table so far. */
  public long misuseEvents() {
    return misuseEvents.sum();
  }

  /** Sets the listener told about each misuse (replacing the previous one; null: nobody). */
  public void setMisuseListener(MisuseListener listener) {
    this.misuseListener = listener == null ? (pfn, description) -> {} : listener;
  }

  /**
   * Counts and reports a misuse found outside this table (gup's second unpin of a handle), and
   * returns the exception for the caller to throw.
   */
  public PageRefMisuseException reportMisuse(long pfn, String description) {
    misuseEvents.increment();
    misuseListener.misuse(pfn, description);
    return new PageRefMisuseException(pfn, description);
  }

  private PageRefMisuseException misuse(long pfn, long counts, String what) {
    return reportMisuse(
        pfn,
        what + " (refcount " + ref(counts) + ", mapcount " + maps(counts) + ", pins " + pins(counts) + ")");
  }

  // ---- iteration and memory ---------------------------------------------------------------------

  /** Calls {@code action} with every page that is not idle, in page order (weakly consistent). */
  public void forEachInUse(Consumer<PageDescriptor> action) {
    for (int chunk = 0; chunk < chunks.length; chunk++) {
      long[] c = (long[]) CHUNKS.getAcquire(chunks, chunk);
      if (c == null) {
        continue;
      }
      long base = (long) chunk << CHUNK_SHIFT;
      for (int i = 0; i < CHUNK_PAGES && base + i < pageCount; i++) {
        if (ref((long) LONGS.getVolatile(c, i * WORDS + COUNTS)) != 0) {
          action.accept(describe(base + i));
        }
      }
    }
  }

  /** Chunks allocated so far. */
  public long chunksAllocated() {
    return chunksAllocated.sum();
  }

  /**
   * Heap bytes the table holds: its chunk directory (counted at 8 bytes a slot) and every
   * allocated chunk, array headers included. An upper bound; the benchmark also measures it.
   */
  public long bytesAllocated() {
    long arrayHeader = 16;
    long directory = arrayHeader + 8L * chunks.length;
    long chunk = arrayHeader + (long) CHUNK_PAGES * DESCRIPTOR_BYTES;
    return directory + chunksAllocated() * chunk;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private void checkPfn(long pfn) {
    // One unsigned comparison: a negative frame number is a huge unsigned one.
    if (Long.compareUnsigned(pfn, pageCount) >= 0) {
      throw outside(pfn);
    }
  }

  private IndexOutOfBoundsException outside(long pfn) {
    return new IndexOutOfBoundsException(
        "page frame " + pfn + " is outside the region's " + pageCount + " pages");
  }

  private long[] chunk(long pfn) {
    return (long[]) CHUNKS.getAcquire(chunks, (int) (pfn >>> CHUNK_SHIFT));
  }

  private long[] chunkForUpdate(long pfn) {
    int index = (int) (pfn >>> CHUNK_SHIFT);
    long[] c = (long[]) CHUNKS.getAcquire(chunks, index);
    return c != null ? c : allocateChunk(index);
  }

  /** The chunk at {@code index}, allocated now unless another thread won the race to publish it. */
  private long[] allocateChunk(int index) {
    long[] fresh = new long[CHUNK_PAGES * WORDS];
    if (CHUNKS.compareAndSet(chunks, index, null, fresh)) {
      chunksAllocated.increment();
      return fresh;
    }
    return (long[]) CHUNKS.getAcquire(chunks, index);
  }

  private static int slot(long pfn) {
    return ((int) pfn & (CHUNK_PAGES - 1)) * WORDS;
  }

  @Override
  public String toString() {
    return "page descriptors of " + (region == null ? "no region" : region.describe()) + " ("
        + pageCount + " pages, " + chunksAllocated() + " chunks allocated)";
  }
}
