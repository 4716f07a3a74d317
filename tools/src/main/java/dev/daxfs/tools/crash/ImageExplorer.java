package dev.daxfs.tools.crash;

import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.Range;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Covers every crash image of a crash point with as few mounts as it can, exactly.
 *
 * <p>A crash point with n in-flight units offers 2^n images. Checking an image tells which
 * 64-byte lines the check read ({@link ReadTrackingRegion}); daxfs is deterministic, so every
 * image that agrees with it on the units in those lines is checked by the same check. The
 * explorer therefore builds a decision tree over the units that checks actually read: it
 * checks the image with nothing applied, picks an unfixed unit the check read, and explores
 * both of its values, until every branch ends in an image whose check read none of its unfixed
 * units. Units in lines nothing reads (data blocks not yet referenced, free log space) never
 * cost a mount. Images with the same applied units are checked once.
 *
 * <p>The image with every unit applied is always checked. When the tree needs more mounts than
 * the budget, exploration stops there and a few images are sampled with the seed instead.
 */
final class ImageExplorer {

  /** What checking one image means to the caller. */
  interface Check {
    ImageChecker.Verdict check(PmemRegion image);
  }

  /** The outcome of exploring one point. */
  record Outcome(int mounts, BigInteger covered, BigInteger total, boolean exhaustive,
      List<Failure> failures) {}

  /** A failing image, with the crash states it stands for. */
  record Failure(BitSet applied, ImageChecker.Verdict verdict, BigInteger equivalent) {}

  /** The crash point. */
  private final CrashPoint point;

  /** Line number of each unit. */
  private final int[] unitLine;

  /** The newest contents of each unit, read from the all-applied image. */
  private byte[][] unitBytes;

  /** Checks made so far, by applied units. */
  private final Map<BitSet, ImageChecker.Verdict> checked = new HashMap<>();

  ImageExplorer(CrashPoint point) {
    this.point = point;
    this.unitLine = new int[point.units()];
    for (int u = 0; u < unitLine.length; u++) {
      unitLine[u] = (int) (point.unit(u).offset() / PmemRegion.CACHE_LINE);
    }
  }

  /** Units of the point. */
  int units() {
    return unitLine.length;
  }

  /**
   * The image applying exactly {@code applied}: the point's own image when it enumerates its
   * images, else the nothing-applied image with the chosen units' newest bytes stored into it
   * (the same bytes, since images are the persisted state plus applied units).
   */
  PmemRegion image(BitSet applied) {
    if (point.enumerated()) {
      long index = applied.isEmpty() ? 0 : applied.toLongArray()[0];
      return point.image(index);
    }
    if (unitBytes == null) {
      CrashImage all = point.image(1);
      unitBytes = new byte[unitLine.length][];
      for (int u = 0; u < unitLine.length; u++) {
        Range r = point.unit(u);
        unitBytes[u] = new byte[(int) r.length()];
        all.load(r.offset(), unitBytes[u], 0, unitBytes[u].length);
      }
    }
    CrashImage img = point.image(0);
    for (int u = applied.nextSetBit(0); u >= 0; u = applied.nextSetBit(u + 1)) {
      img.store(point.unit(u).offset(), unitBytes[u], 0, unitBytes[u].length);
    }
    return img;
  }

  /** Checks the one image applying {@code applied}. */
  ImageChecker.Verdict checkOne(BitSet applied, Check check) {
    return check.check(image(applied));
  }

  /** Covers the point's images within {@code budget} mounts; samples beyond it. */
  Outcome explore(Check check, int budget, int samples, long seed) {
    int n = unitLine.length;
    BigInteger total = BigInteger.ONE.shiftLeft(n);
    List<Failure> failures = new ArrayList<>();
    BitSet all = new BitSet();
    all.set(0, n);
    int[] mounts = {0};
    verdict(all, check, mounts);
    BigInteger covered = BigInteger.ZERO;
    boolean exhaustive = true;
    // A frame: the units applied, and the units fixed (applied or not) on the way down.
    Deque<BitSet[]> unexplored = new ArrayDeque<>();
    unexplored.push(new BitSet[] {new BitSet(), new BitSet()});
    while (!unexplored.isEmpty()) {
      BitSet[] f = unexplored.pop();
      BitSet applied = f[0];
      BitSet fixed = f[1];
      ImageChecker.Verdict v = checked.get(applied);
      if (v == null) {
        if (mounts[0] >= budget) {
          exhaustive = false;
          break;
        }
        v = verdict(applied, check, mounts);
      }
      int next = -1;
      int free = 0;
      for (int u = 0; u < n; u++) {
        if (!fixed.get(u)) {
          free++;
          if (next < 0 && v.linesRead().get(unitLine[u])) {
            next = u;
          }
        }
      }
      if (next < 0) {
        BigInteger states = BigInteger.ONE.shiftLeft(free);
        covered = covered.add(states);
        if (!v.ok()) {
          credit(failures, applied, states);
        }
        continue;
      }
      BitSet fixedMore = (BitSet) fixed.clone();
      fixedMore.set(next);
      BitSet with = (BitSet) applied.clone();
      with.set(next);
      unexplored.push(new BitSet[] {with, fixedMore});
      unexplored.push(new BitSet[] {applied, fixedMore});
    }
    if (!exhaustive) {
      // Images checked outside a finished branch stand for themselves.
      for (Map.Entry<BitSet, ImageChecker.Verdict> e : checked.entrySet()) {
        if (!e.getValue().ok() && failures.stream().noneMatch(f -> f.applied().equals(
            e.getKey()))) {
          failures.add(new Failure(e.getKey(), e.getValue(), BigInteger.ONE));
        }
      }
      SplittableRandom random = new SplittableRandom(seed ^ point.fencesCompleted());
      for (int s = 0; s < samples; s++) {
        BitSet applied = new BitSet();
        for (int u = 0; u < n; u++) {
          if (random.nextBoolean()) {
            applied.set(u);
          }
        }
        if (!checked.containsKey(applied)) {
          ImageChecker.Verdict v = verdict(applied, check, mounts);
          covered = covered.add(BigInteger.ONE);
          if (!v.ok()) {
            failures.add(new Failure(applied, v, BigInteger.ONE));
          }
        }
      }
    }
    return new Outcome(mounts[0], covered.min(total), total, exhaustive, failures);
  }

  /** The verdict on {@code applied}, checked now unless it was before. */
  private ImageChecker.Verdict verdict(BitSet applied, Check check, int[] mounts) {
    ImageChecker.Verdict v = checked.get(applied);
    if (v != null) {
      return v;
    }
    v = checkOne(applied, check);
    mounts[0]++;
    checked.put((BitSet) applied.clone(), v);
    return v;
  }

  /** Adds {@code states} to the failure recorded for {@code applied} (recording it first). */
  private void credit(List<Failure> failures, BitSet applied, BigInteger states) {
    for (int i = 0; i < failures.size(); i++) {
      Failure f = failures.get(i);
      if (f.applied().equals(applied)) {
        failures.set(i, new Failure(f.applied(), f.verdict(), f.equivalent().add(states)));
        return;
      }
    }
    failures.add(new Failure((BitSet) applied.clone(), checked.get(applied), states));
  }

  /** The hexadecimal mask of applied units, as replay ids write it. */
  static String mask(BitSet applied) {
    if (applied.isEmpty()) {
      return "0";
    }
    return new BigInteger(1, reverse(applied.toByteArray())).toString(16);
  }

  /** The units a mask written by {@link #mask} applies. */
  static BitSet parseMask(String hex) {
    byte[] big = new BigInteger(hex, 16).toByteArray();
    return BitSet.valueOf(reverse(big));
  }

  private static byte[] reverse(byte[] b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[b.length - 1 - i];
    }
    return out;
  }
}
