package dev.daxfs.pmem;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A region that records what a crash could leave behind: a decorator over any region (the
 * "media") that tracks every 64-byte line on its way from store to durability and produces crash
 * images on demand.
 *
 * <h2>The model (x86 with ADR: the CPU caches are volatile, the media is not)</h2>
 *
 * <ul>
 *   <li>Every store (including copies, fills and successful CAS) lands in the cache: the line
 *       becomes {@link LineState#DIRTY}. Loads see it at once. A dirty line may reach the media
 *       at any moment (caches evict at will), or never.
 *   <li>{@code flush} of a dirty line starts its write-back: the line becomes {@link
 *       LineState#FLUSHED}. It is still not guaranteed to be on the media. Flushing a line that
 *       is not dirty does nothing.
 *   <li>{@code fence} completes every write-back started before it: each flushed line's
 *       contents as of its flush become persisted, and the line becomes {@link
 *       LineState#PERSISTED}.
 *   <li>A store to a flushed line before the fence makes it dirty again. The fence still makes
 *       the contents as of the flush durable (they become the persisted contents), and the line
 *       stays dirty with the newer bytes. A crash image taken between that store and the fence
 *       shows the line either with its newest contents or as persisted before the flush; the
 *       intermediate (as-of-flush) contents are a real outcome that images do not enumerate.
 * </ul>
 *
 * <p>A crash image holds every persisted line exactly, and every in-flight (dirty or flushed)
 * line either applied (its current contents) or not (its persisted contents, never zeroes), all
 * lines of a 64-byte write-back at once; or, with {@link CrashImageOptions#torn()}, each 8-byte
 * word of it independently, since only aligned 8-byte stores are failure-atomic. See {@link
 * CrashPoint} and {@link CrashImageOptions} for which images are offered.
 *
 * <p>The persisted bytes (the shadow) are kept as copy-on-write pages, so freezing them for a
 * crash point costs a pointer array, and an image costs the pages it changes.
 *
 * <h2>Media errors</h2>
 *
 * <p>{@code poison} damages the media itself: the lines are poisoned now and in every image. A
 * whole-line store clears a line's poison for loads at once; on the media it stays until that
 * line's new contents are persisted (a fence after its flush), and an image shows the line clean
 * only when it applies the line's new contents.
 *
 * <h2>Rules for users</h2>
 *
 * <p>All stores must go through this region (never through the media directly), or the shadow
 * no longer describes the media. Stores, flushes, fences and crash points are serialised by one
 * lock; loads are not. A fence listener runs under that lock, in the fencing thread, before the
 * fence takes effect, and must not store into the region. Closing this region closes the media.
 */
public final class CrashRecordingRegion extends AbstractRegion {

  /** Called at every fence, before it takes effect, so that a checker can take a crash point. */
  @FunctionalInterface
  public interface FenceListener {
    /**
     * Fence {@code fence} (counting from 1) is about to take effect; a crash point taken now sees
     * every state a crash just before or just after it could leave.
     */
    void beforeFence(long fence, CrashRecordingRegion region);
  }

  private static final int LINE = CACHE_LINE;

  /** How many offending lines an assertion failure lists before summarising the rest. */
  private static final int LINES_LISTED = 8;

  /** The region the stores go to: its contents are the CPU's view (cache over media). */
  private final PmemRegion media;

  /** Serialises stores, flushes, fences and crash points with the tracking state below. */
  private final Object lock = new Object();

  /** The persisted bytes: what the media is guaranteed to hold. Guarded by lock. */
  private final PageTable shadow;

  /** Lines stored since their last flush. Guarded by lock. */
  private final BitSet dirty = new BitSet();

  /** Lines flushed since their last store, awaiting a fence. Guarded by lock. */
  private final BitSet flushed = new BitSet();

  /**
   * Lines stored again after a flush and before the fence: line number to the contents as of
   * the flush, which the fence makes durable. Guarded by lock.
   */
  private final Map<Integer, byte[]> flushedVersions = new HashMap<>();

  /** Lines poisoned on the media (as opposed to as loads see them now). Guarded by lock. */
  private final TreeSet<Long> persistedPoison = new TreeSet<>();

  /** True while fence listeners run: crash points taken then are "before fence n". Guarded by lock. */
  private boolean inFence;

  /** Listeners called at each fence. */
  private final List<FenceListener> listeners = new CopyOnWriteArrayList<>();

  /** Stores recorded (store, copy, fill and successful CAS calls). Written under lock. */
  private volatile long stores;

  /** Flush calls. Written under lock. */
  private volatile long flushes;

  /** Fences that took effect. Written under lock. */
  private volatile long fences;

  /**
   * Starts recording over {@code media}, whose current contents count as persisted. Reads the
   * whole region once (keeping only its non-zero pages), unless the media is itself a crash
   * image, whose pages are shared instead.
   */
  public CrashRecordingRegion(PmemRegion media) {
    super(media.size(), media.readOnly());
    if (media.size() / LINE >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "crash recording tracks up to 2^31 lines (128 GiB), not " + Sizes.format(media.size()));
    }
    this.media = media;
    for (Range r : media.poisoned()) {
      super.poison(r.offset(), r.length());
      for (long line = r.offset() / LINE; line * LINE < r.end(); line++) {
        persistedPoison.add(line);
      }
    }
    this.shadow = snapshotOf(media);
  }

  private static PageTable snapshotOf(PmemRegion media) {
    if (media instanceof CrashImage image) {
      return new PageTable(image.table().freeze(), media.size());
    }
    PageTable t = new PageTable(media.size());
    byte[] page = new byte[PageTable.PAGE];
    for (long off = 0; off < media.size(); off += PageTable.PAGE) {
      int n = (int) Math.min(PageTable.PAGE, media.size() - off);
      readSkippingPoison(media, off, page, n);
      for (int i = 0; i < n; i++) {
        if (page[i] != 0) {
          t.write(off, page, 0, n);
          break;
        }
      }
    }
    return t;
  }

  /** Reads {@code [off, off + n)}; poisoned lines read as zeroes (they are lost anyway). */
  private static void readSkippingPoison(PmemRegion media, long off, byte[] dst, int n) {
    try {
      media.load(off, dst, 0, n);
    } catch (MediaErrorException e) {
      for (int at = 0; at < n; at += LINE) {
        int len = Math.min(LINE, n - at);
        try {
          media.load(off + at, dst, at, len);
        } catch (MediaErrorException lost) {
          Arrays.fill(dst, at, at + len, (byte) 0);
        }
      }
    }
  }

  // ---- observation ---------------------------------------------------------------------

  public void addFenceListener(FenceListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public void removeFenceListener(FenceListener listener) {
    listeners.remove(listener);
  }

  /** Stores recorded so far: store, copy, fill and successful CAS calls. */
  public long stores() {
    return stores;
  }

  /** Flush calls so far. */
  public long flushes() {
    return flushes;
  }

  /** Fences that have taken effect so far. */
  public long fences() {
    return fences;
  }

  /** The state of the line holding {@code off}. */
  public LineState lineState(long off) {
    checkRange(off, 1);
    synchronized (lock) {
      return stateOf((int) (off / LINE));
    }
  }

  private LineState stateOf(int line) {
    if (dirty.get(line)) {
      return LineState.DIRTY;
    }
    return flushed.get(line) ? LineState.FLUSHED : LineState.PERSISTED;
  }

  /** Lines dirty or flushed-not-fenced now. */
  public int inFlightLines() {
    synchronized (lock) {
      BitSet all = (BitSet) dirty.clone();
      all.or(flushed);
      return all.cardinality();
    }
  }

  /** True when every store to {@code [off, off + len)} has been flushed and fenced. */
  public boolean isPersisted(long off, long len) {
    return offendingLines(off, len).isEmpty();
  }

  /**
   * Fails (with an {@link AssertionError}, as a test assertion does) when {@code [off, off +
   * len)} has stores not yet flushed and fenced, naming each offending line and its state.
   */
  public void assertPersisted(long off, long len) {
    List<String> offending = offendingLines(off, len);
    if (offending.isEmpty()) {
      return;
    }
    StringBuilder m = new StringBuilder()
        .append(new Range(off, len)).append(" is not durable: ")
        .append(offending.size()).append(offending.size() == 1 ? " line has" : " lines have")
        .append(" stores not yet flushed and fenced: ");
    for (int i = 0; i < Math.min(LINES_LISTED, offending.size()); i++) {
      m.append(i == 0 ? "" : ", ").append(offending.get(i));
    }
    if (offending.size() > LINES_LISTED) {
      m.append(" and ").append(offending.size() - LINES_LISTED).append(" more");
    }
    throw new AssertionError(m.toString());
  }

  private List<String> offendingLines(long off, long len) {
    checkRange(off, len);
    List<String> out = new ArrayList<>();
    if (len == 0) {
      return out;
    }
    int first = (int) (off / LINE);
    int last = (int) ((off + len - 1) / LINE);
    synchronized (lock) {
      BitSet all = dirty.get(first, last + 1);
      all.or(flushed.get(first, last + 1));
      for (int i = all.nextSetBit(0); i >= 0; i = all.nextSetBit(i + 1)) {
        int line = first + i;
        out.add("line " + new Range((long) line * LINE, LINE) + " " + stateOf(line));
      }
    }
    return out;
  }

  /**
   * Freezes this moment for crash testing with the given options. Costs a pointer per page plus
   * a copy of each in-flight line; the recording continues unaffected.
   */
  public CrashPoint crashPoint(CrashImageOptions options) {
    Objects.requireNonNull(options, "options");
    synchronized (lock) {
      return freeze(options, inFence);
    }
  }

  /** {@link #crashPoint(CrashImageOptions)} with {@link CrashImageOptions#DEFAULT}. */
  public CrashPoint crashPoint() {
    return crashPoint(CrashImageOptions.DEFAULT);
  }

  private CrashPoint freeze(CrashImageOptions options, boolean atFence) {
    byte[][] persisted = shadow.freeze();
    BitSet all = (BitSet) dirty.clone();
    all.or(flushed);
    int count = all.cardinality();
    long[] lines = new long[count];
    LineState[] states = new LineState[count];
    List<Long> unitOffsets = new ArrayList<>();
    List<byte[]> unitContents = new ArrayList<>();
    byte[] now = new byte[LINE];
    byte[] before = new byte[LINE];
    int i = 0;
    for (int line = all.nextSetBit(0); line >= 0; line = all.nextSetBit(line + 1), i++) {
      long off = (long) line * LINE;
      int len = (int) Math.min(LINE, size() - off);
      lines[i] = off;
      states[i] = stateOf(line);
      readMedia(off, now, len);
      readPersisted(persisted, off, before, len);
      if (!options.torn()) {
        if (!Arrays.equals(now, 0, len, before, 0, len)) {
          unitOffsets.add(off);
          unitContents.add(Arrays.copyOf(now, len));
        }
      } else {
        for (int w = 0; w < len; w += 8) {
          int wl = Math.min(8, len - w);
          if (!Arrays.equals(now, w, w + wl, before, w, w + wl)) {
            unitOffsets.add(off + w);
            unitContents.add(Arrays.copyOfRange(now, w, w + wl));
          }
        }
      }
    }
    return new CrashPoint(
        media.describe(),
        size(),
        persisted,
        fences,
        atFence,
        stores,
        lines,
        states,
        unitOffsets.stream().mapToLong(Long::longValue).toArray(),
        unitContents.toArray(new byte[0][]),
        persistedPoison.stream().mapToLong(Long::longValue).toArray(),
        currentPoison(),
        options);
  }

  private long[] currentPoison() {
    List<Long> out = new ArrayList<>();
    for (Range r : poisoned()) {
      for (long line = r.offset() / LINE; line * LINE < r.end(); line++) {
        out.add(line);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static void readPersisted(byte[][] pages, long off, byte[] dst, int len) {
    // A line never straddles a page.
    System.arraycopy(pages[(int) (off / PageTable.PAGE)], (int) (off % PageTable.PAGE), dst, 0, len);
  }

  /** The media's bytes of one line; a line the media lost reads as zeroes. */
  private void readMedia(long off, byte[] dst, int len) {
    try {
      media.load(off, dst, 0, len);
    } catch (MediaErrorException e) {
      Arrays.fill(dst, 0, len, (byte) 0);
    }
  }

  // ---- recording -----------------------------------------------------------------------

  /**
   * Marks the lines of {@code [off, off + len)} dirty before a store changes them; a flushed
   * line first keeps its as-of-flush contents for the coming fence. Caller holds lock.
   */
  private void beforeStore(long off, long len) {
    stores++;
    if (len == 0) {
      return;
    }
    int first = (int) (off / LINE);
    int last = (int) ((off + len - 1) / LINE);
    for (int line = flushed.nextSetBit(first); line >= 0 && line <= last;
        line = flushed.nextSetBit(line + 1)) {
      long lo = (long) line * LINE;
      byte[] version = new byte[(int) Math.min(LINE, size() - lo)];
      readMedia(lo, version, version.length);
      flushedVersions.put(line, version);
    }
    flushed.clear(first, last + 1);
    dirty.set(first, last + 1);
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    synchronized (lock) {
      beforeStore(off, 1);
      media.storeByte(off, value);
    }
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    synchronized (lock) {
      beforeStore(off, 4);
      media.storeInt(off, value);
    }
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    synchronized (lock) {
      beforeStore(off, 8);
      media.storeLong(off, value);
    }
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    synchronized (lock) {
      beforeStore(off, len);
      media.store(off, src, srcOff, len);
    }
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    synchronized (lock) {
      beforeStore(off, src.remaining());
      media.store(off, src);
    }
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    synchronized (lock) {
      beforeStore(dstOff, len);
      media.copy(srcOff, dstOff, len);
    }
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    synchronized (lock) {
      beforeStore(off, len);
      media.fill(off, len, value);
    }
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    synchronized (lock) {
      // Every store goes through this lock, so the value cannot change between check and swap.
      if (media.loadLong(off) != expected) {
        return false;
      }
      beforeStore(off, 8);
      return media.compareAndSwapLong(off, expected, update);
    }
  }

  @Override
  protected void rawFlush(long off, long len) {
    synchronized (lock) {
      flushes++;
      media.flush(off, len);
      if (len == 0) {
        return;
      }
      int first = (int) (off / LINE);
      int last = (int) ((off + len - 1) / LINE);
      for (int line = dirty.nextSetBit(first); line >= 0 && line <= last;
          line = dirty.nextSetBit(line + 1)) {
        flushed.set(line);
        // This flush writes back newer contents than an earlier one did: those are superseded.
        flushedVersions.remove(line);
      }
      dirty.clear(first, last + 1);
    }
  }

  @Override
  protected void rawFence() {
    synchronized (lock) {
      long fence = fences + 1;
      inFence = true;
      try {
        for (FenceListener l : listeners) {
          l.beforeFence(fence, this);
        }
      } finally {
        inFence = false;
      }
      byte[] line = new byte[LINE];
      for (int i = flushed.nextSetBit(0); i >= 0; i = flushed.nextSetBit(i + 1)) {
        long off = (long) i * LINE;
        int len = (int) Math.min(LINE, size() - off);
        readMedia(off, line, len);
        shadow.write(off, line, 0, len);
        if (poisonedLine(i)) {
          persistedPoison.add((long) i);
        } else {
          persistedPoison.remove((long) i);
        }
      }
      flushed.clear();
      for (Map.Entry<Integer, byte[]> v : flushedVersions.entrySet()) {
        shadow.write((long) v.getKey() * LINE, v.getValue(), 0, v.getValue().length);
      }
      flushedVersions.clear();
      media.fence();
      fences = fence;
    }
  }

  // ---- loads go straight to the media --------------------------------------------------

  @Override
  protected byte rawLoadByte(long off) {
    return media.loadByte(off);
  }

  @Override
  protected int rawLoadInt(long off) {
    return media.loadInt(off);
  }

  @Override
  protected long rawLoadLong(long off) {
    return media.loadLong(off);
  }

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    media.load(off, dst, dstOff, len);
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    media.load(off, dst);
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    return media.crc32c(off, len);
  }

  // ---- media errors, lifecycle ---------------------------------------------------------

  @Override
  public void poison(long off, long len) {
    synchronized (lock) {
      super.poison(off, len);
      for (long line = off / LINE; line * LINE < off + len; line++) {
        persistedPoison.add(line);
      }
    }
  }

  @Override
  protected void rawClose() {
    media.close();
  }

  @Override
  public FlushModel flushModel() {
    return media.flushModel();
  }

  @Override
  public String describe() {
    return "crash-recording " + media.describe();
  }
}
