package dev.daxfs.pmem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A moment of a recorded run frozen for crash testing: the persisted bytes, the in-flight lines
 * with their newest contents, and the poisoned lines, taken by {@link
 * CrashRecordingRegion#crashPoint}. The recording goes on unaffected; the point and every image
 * made from it stay as they were.
 *
 * <p>Its images are the media states a crash at that moment could leave (see {@link
 * CrashImageOptions} for which are offered). Image {@code i} is always the same image, so a
 * failure found on one can be reproduced by its index.
 */
public final class CrashPoint {

  /** What was recorded, for messages. */
  private final String origin;

  /** Region size. */
  private final long size;

  /** The persisted bytes (the shadow), immutable. */
  private final byte[][] persisted;

  /** Fences completed before this point. */
  private final long fencesCompleted;

  /** True when taken just before fence {@code fencesCompleted + 1} took effect. */
  private final boolean atFence;

  /** Stores recorded before this point. */
  private final long stores;

  /** Offsets of the lines in flight (dirty or flushed, not fenced), ascending. */
  private final long[] inFlight;

  /** State of each in-flight line. */
  private final LineState[] inFlightStates;

  /** Offset of each unit: an in-flight line, or word of one, whose contents differ from persisted. */
  private final long[] unitOffsets;

  /** The newest contents of each unit (64 or 8 bytes). */
  private final byte[][] unitContents;

  /** Lines (offset / 64) poisoned on the media as persisted, ascending. */
  private final long[] persistedPoison;

  /** Lines poisoned as of now (a whole-line store clears a line here first), ascending. */
  private final long[] currentPoison;

  /** Which images are offered. */
  private final CrashImageOptions options;

  CrashPoint(
      String origin,
      long size,
      byte[][] persisted,
      long fencesCompleted,
      boolean atFence,
      long stores,
      long[] inFlight,
      LineState[] inFlightStates,
      long[] unitOffsets,
      byte[][] unitContents,
      long[] persistedPoison,
      long[] currentPoison,
      CrashImageOptions options) {
    this.origin = origin;
    this.size = size;
    this.persisted = persisted;
    this.fencesCompleted = fencesCompleted;
    this.atFence = atFence;
    this.stores = stores;
    this.inFlight = inFlight;
    this.inFlightStates = inFlightStates;
    this.unitOffsets = unitOffsets;
    this.unitContents = unitContents;
    this.persistedPoison = persistedPoison;
    this.currentPoison = currentPoison;
    this.options = options;
  }

  /** Fences that had taken effect at this point. */
  public long fencesCompleted() {
    return fencesCompleted;
  }

  /** True when taken by a fence listener, just before fence {@code fencesCompleted() + 1}. */
  public boolean atFence() {
    return atFence;
  }

  /** Stores recorded before this point. */
  public long stores() {
    return stores;
  }

  /** "before fence 17", or "after fence 16 and 3 stores" when taken between fences. */
  public String label() {
    return atFence
        ? "before fence " + (fencesCompleted + 1)
        : "after fence " + fencesCompleted + " (" + stores + " stores recorded)";
  }

  public CrashImageOptions options() {
    return options;
  }

  /** The lines in flight at this point, and their states (including those whose bytes did not change). */
  public List<Range> inFlightLines() {
    List<Range> out = new ArrayList<>(inFlight.length);
    for (long off : inFlight) {
      out.add(new Range(off, Math.min(PmemRegion.CACHE_LINE, size - off)));
    }
    return out;
  }

  /** The state of in-flight line {@code i} of {@link #inFlightLines()}. */
  public LineState inFlightState(int i) {
    return inFlightStates[i];
  }

  /**
   * Number of units a crash applies or not: in-flight lines (or 8-byte words, when torn) whose
   * newest contents differ from the persisted ones. An in-flight line whose bytes did not change
   * looks the same either way and is no unit.
   */
  public int units() {
    return unitOffsets.length;
  }

  /** The range unit {@code u} covers. */
  public Range unit(int u) {
    return new Range(unitOffsets[u], unitContents[u].length);
  }

  /** True when every image is offered (2^units of them), false when they are sampled. */
  public boolean enumerated() {
    return units() <= options.maxEnumerated();
  }

  /** How many images are offered: 2^units when enumerated, else the sample count. */
  public long imageCount() {
    return enumerated() ? 1L << units() : options.samples();
  }

  /**
   * Image {@code index}. Enumerated: bit u of the index says whether unit u is applied, so image
   * 0 applies nothing and the last applies everything. Sampled: image 0 applies nothing, image 1
   * everything, and each later image every unit with probability 1/2 from the seed.
   */
  public CrashImage image(long index) {
    Objects.checkIndex(index, imageCount());
    boolean[] applied = appliedUnits(index);
    PageTable table = new PageTable(persisted, size);
    for (int u = 0; u < applied.length; u++) {
      if (applied[u]) {
        table.write(unitOffsets[u], unitContents[u], 0, unitContents[u].length);
      }
    }
    return new CrashImage(this, index, table, applied, poisonedLines(applied));
  }

  /** Every offered image in index order, each made when the iteration reaches it. */
  public Iterable<CrashImage> images() {
    return () -> new Iterator<>() {
      private long next;

      @Override
      public boolean hasNext() {
        return next < imageCount();
      }

      @Override
      public CrashImage next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return image(next++);
      }
    };
  }

  /** The units image {@code index} applies. */
  boolean[] appliedUnits(long index) {
    boolean[] applied = new boolean[units()];
    if (enumerated()) {
      for (int u = 0; u < applied.length; u++) {
        applied[u] = ((index >>> u) & 1) != 0;
      }
    } else if (index == 1) {
      Arrays.fill(applied, true);
    } else if (index > 1) {
      SplittableRandom random = new SplittableRandom(mix(options.seed(), index));
      for (int u = 0; u < applied.length; u++) {
        applied[u] = random.nextBoolean();
      }
    }
    return applied;
  }

  /**
   * A line is poisoned in an image as it is on the persisted media, unless the image applies
   * every unit of the line: then as it is now (a whole-line store may have cleared it).
   */
  private long[] poisonedLines(boolean[] applied) {
    long[] out = new long[persistedPoison.length + currentPoison.length];
    int n = 0;
    for (long line : union(persistedPoison, currentPoison)) {
      boolean poisoned = lineApplied(line, applied)
          ? Arrays.binarySearch(currentPoison, line) >= 0
          : Arrays.binarySearch(persistedPoison, line) >= 0;
      if (poisoned) {
        out[n++] = line;
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** True when line {@code line} has units and the image applies all of them. */
  private boolean lineApplied(long line, boolean[] applied) {
    long start = line * PmemRegion.CACHE_LINE;
    int u = lowerBound(unitOffsets, start);
    boolean any = false;
    for (; u < unitOffsets.length && unitOffsets[u] < start + PmemRegion.CACHE_LINE; u++) {
      if (!applied[u]) {
        return false;
      }
      any = true;
    }
    return any;
  }

  private static int lowerBound(long[] sorted, long key) {
    int i = Arrays.binarySearch(sorted, key);
    return i >= 0 ? i : -i - 1;
  }

  private static long[] union(long[] a, long[] b) {
    return java.util.stream.LongStream.concat(Arrays.stream(a), Arrays.stream(b))
        .distinct()
        .sorted()
        .toArray();
  }

  /** A well-spread seed for image {@code index} (splitmix64's finaliser). */
  private static long mix(long seed, long index) {
    long z = seed + index * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  String origin() {
    return origin;
  }

  @Override
  public String toString() {
    return "crash point " + label() + ": " + inFlight.length + " lines in flight, " + units()
        + (options.torn() ? " torn units, " : " units, ") + imageCount()
        + (enumerated() ? " images enumerated" : " images sampled (seed " + options.seed() + ")");
  }
}
