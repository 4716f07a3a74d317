package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Crash images against an independent model of x86 persistence, over random sequences of
 * stores, flushes and fences. Crash points are taken before every fence (through a fence
 * listener) and at the end; every image of every point is checked.
 *
 * <p>The model: a flush captures each covered line's current contents; a fence makes the
 * captured contents durable; a line is settled when its last store was captured and fenced.
 *
 * <p>Edge cases are off: an empty or one-operation sequence says little, and jqwik would spend
 * every try on them. Tries: {@code jqwik.tries.default} (1000 in junit-platform.properties); raise it with
 * {@code -Djqwik.tries.default=N} for a longer run.
 */
class CrashImageProperties {

  /** The window all operations touch: 8 lines straddling a page boundary, so at most 2^8 images. */
  static final int BASE = PageTable.PAGE - 256;

  static final int WINDOW = 512;

  static final int LINES = WINDOW / 64;

  static final int REGION = 2 * PageTable.PAGE;

  // ---- operations ----------------------------------------------------------------------

  sealed interface Op permits Store, StoreLong, Flush, Fence {}

  /** Stores {@code len} bytes drawn from {@code seed} at window offset {@code off}. */
  record Store(int off, int len, long seed) implements Op {}

  /** An aligned 8-byte store at window word {@code word}. */
  record StoreLong(int word, long value) implements Op {}

  record Flush(int off, int len) implements Op {}

  record Fence() implements Op {}

  @Provide
  Arbitrary<List<Op>> anyOps() {
    Arbitrary<Op> store = Combinators.combine(
            Arbitraries.integers().between(0, WINDOW - 1),
            Arbitraries.integers().between(1, 100),
            Arbitraries.longs())
        .as((off, len, seed) -> new Store(off, Math.min(len, WINDOW - off), seed));
    return Arbitraries.frequencyOf(
            Tuple.of(4, store), Tuple.of(4, storeLong()), Tuple.of(3, flush()), Tuple.of(2, fence()))
        .list().ofMaxSize(30);
  }

  @Provide
  Arbitrary<List<Op>> alignedOps() {
    return Arbitraries.frequencyOf(Tuple.of(6, storeLong()), Tuple.of(3, flush()), Tuple.of(2, fence()))
        .list().ofMaxSize(30);
  }

  private static Arbitrary<Op> storeLong() {
    return Combinators.combine(Arbitraries.integers().between(0, WINDOW / 8 - 1), Arbitraries.longs())
        .as(StoreLong::new);
  }

  private static Arbitrary<Op> flush() {
    return Combinators.combine(
            Arbitraries.integers().between(0, WINDOW - 1), Arbitraries.integers().between(1, 200))
        .as((off, len) -> new Flush(off, Math.min(len, WINDOW - off)));
  }

  private static Arbitrary<Op> fence() {
    return Arbitraries.just(new Fence());
  }

  // ---- the model -----------------------------------------------------------------------

  /** What x86 guarantees about the window, computed without the recorder. */
  static final class Model {
    /** What loads see. */
    final byte[] current;
    /** What the media is guaranteed to hold. */
    final byte[] durable;
    /** Contents captured by flushes since the last fence, by line. */
    final Map<Integer, byte[]> captured = new HashMap<>();
    /** Store sequence number of each line's last store, and of its last capture. */
    final long[] lastStore = new long[LINES];
    final long[] lastCapture = new long[LINES];
    /** Lines whose last store was captured and fenced. */
    final boolean[] settled = new boolean[LINES];
    /** Lines stored and not flushed since. */
    final boolean[] unflushed = new boolean[LINES];
    /** Every value each byte has held. */
    final boolean[][] byteValues = new boolean[WINDOW][256];
    /** Every value each aligned word has held through 8-byte stores (and its initial value). */
    final List<Set<Long>> wordValues = new ArrayList<>();
    long sequence;

    Model(byte[] initial) {
      current = initial.clone();
      durable = initial.clone();
      Arrays.fill(settled, true);
      for (int i = 0; i < WINDOW; i++) {
        byteValues[i][initial[i] & 0xff] = true;
      }
      for (int w = 0; w < WINDOW / 8; w++) {
        wordValues.add(new HashSet<>(Set.of(word(initial, w))));
      }
    }

    void store(int off, byte[] bytes) {
      System.arraycopy(bytes, 0, current, off, bytes.length);
      sequence++;
      for (int i = 0; i < bytes.length; i++) {
        byteValues[off + i][bytes[i] & 0xff] = true;
      }
      for (int line = off / 64; line <= (off + bytes.length - 1) / 64; line++) {
        lastStore[line] = sequence;
        settled[line] = false;
        unflushed[line] = true;
      }
      if (bytes.length == 8 && off % 8 == 0) {
        wordValues.get(off / 8).add(word(current, off / 8));
      }
    }

    void flush(int off, int len) {
      for (int line = off / 64; line <= (off + len - 1) / 64; line++) {
        captured.put(line, Arrays.copyOfRange(current, line * 64, line * 64 + 64));
        lastCapture[line] = sequence;
        unflushed[line] = false;
      }
    }

    void fence() {
      for (Map.Entry<Integer, byte[]> c : captured.entrySet()) {
        int line = c.getKey();
        System.arraycopy(c.getValue(), 0, durable, line * 64, 64);
        if (lastCapture[line] == lastStore[line]) {
          settled[line] = true;
        }
      }
      captured.clear();
    }

    /** Lines whose current bytes differ from the durable ones: the units a crash varies. */
    int changedLines() {
      int n = 0;
      for (int line = 0; line < LINES; line++) {
        if (!Arrays.equals(current, line * 64, line * 64 + 64, durable, line * 64, line * 64 + 64)) {
          n++;
        }
      }
      return n;
    }

    static long word(byte[] b, int w) {
      long v = 0;
      for (int i = 7; i >= 0; i--) {
        v = (v << 8) | (b[w * 8 + i] & 0xff);
      }
      return v;
    }
  }

  // ---- running a sequence ----------------------------------------------------------------

  /**
   * Runs {@code ops} on a recorder and the model side by side, calling {@code check} with each
   * crash point (before every fence and at the end) and the model as it stood then.
   */
  private static void run(List<Op> ops, CrashImageOptions options, PointCheck check) {
    byte[] initial = CrashRecordingRegionTest.random(REGION, ops.hashCode());
    HeapRegion media = new HeapRegion(REGION);
    media.store(0, initial, 0, REGION);
    CrashRecordingRegion r = new CrashRecordingRegion(media);
    Model model = new Model(Arrays.copyOfRange(initial, BASE, BASE + WINDOW));
    r.addFenceListener((fence, region) -> check.accept(region.crashPoint(options), model));
    for (Op op : ops) {
      if (op instanceof Store s) {
        byte[] bytes = new byte[s.len()];
        new Random(s.seed()).nextBytes(bytes);
        r.store(BASE + s.off(), bytes, 0, bytes.length);
        model.store(s.off(), bytes);
      } else if (op instanceof StoreLong s) {
        r.storeLong(BASE + s.word() * 8L, s.value());
        byte[] bytes = new byte[8];
        for (int i = 0; i < 8; i++) {
          bytes[i] = (byte) (s.value() >>> (8 * i));
        }
        model.store(s.word() * 8, bytes);
      } else if (op instanceof Flush f) {
        r.flush(BASE + f.off(), f.len());
        model.flush(f.off(), f.len());
      } else {
        r.fence(); // the listener checks the point before the fence
        model.fence();
      }
    }
    check.accept(r.crashPoint(options), model);
    // Outside the window nothing was ever stored: it is exactly as it was in every image.
    for (CrashImage image : r.crashPoint(options).images()) {
      assertArrayEquals(Arrays.copyOf(initial, BASE), CrashRecordingRegionTest.read(image, 0, BASE));
    }
  }

  @FunctionalInterface
  interface PointCheck {
    void accept(CrashPoint point, Model model);
  }

  private static byte[] window(PmemRegion image) {
    return CrashRecordingRegionTest.read(image, BASE, WINDOW);
  }

  private static void eachImage(CrashPoint p, Consumer<CrashImage> check) {
    for (CrashImage image : p.images()) {
      check.accept(image);
    }
  }

  // ---- properties ------------------------------------------------------------------------

  @Property(edgeCases = EdgeCasesMode.NONE)
  void everyImageHoldsEveryPersistedStore(@ForAll("anyOps") List<Op> ops) {
    run(ops, CrashImageOptions.DEFAULT, (p, model) -> {
      eachImage(p, image -> {
        byte[] w = window(image);
        for (int line = 0; line < LINES; line++) {
          if (model.settled[line]) {
            int l = line;
            assertArrayEquals(Arrays.copyOfRange(model.durable, line * 64, line * 64 + 64),
                Arrays.copyOfRange(w, line * 64, line * 64 + 64),
                () -> "settled line " + l + " in " + image.describe());
          }
        }
      });
      // Nothing applied is exactly the durable state; everything applied is exactly the current one.
      assertArrayEquals(model.durable, window(p.image(0)), "durable state, " + p);
      assertArrayEquals(model.current, window(p.image(p.enumerated() ? p.imageCount() - 1 : 1)),
          "current state, " + p);
    });
  }

  @Property(edgeCases = EdgeCasesMode.NONE)
  void noImageHoldsAValueNeverStoredThere(@ForAll("anyOps") List<Op> ops, @ForAll boolean torn) {
    run(ops, CrashImageOptions.DEFAULT.withTorn(torn), (p, model) ->
        eachImage(p, image -> {
          byte[] w = window(image);
          for (int i = 0; i < WINDOW; i++) {
            if (!model.byteValues[i][w[i] & 0xff]) {
              throw new AssertionError("byte " + i + " = " + w[i] + " was never stored there, in "
                  + image.describe());
            }
          }
          if (!torn) {
            // Whole lines only: each line is entirely as durable or entirely as current.
            for (int line = 0; line < LINES; line++) {
              int lo = line * 64;
              if (!Arrays.equals(w, lo, lo + 64, model.durable, lo, lo + 64)
                  && !Arrays.equals(w, lo, lo + 64, model.current, lo, lo + 64)) {
                throw new AssertionError(
                    "line " + line + " mixes old and new bytes in " + image.describe());
              }
            }
          }
        }));
  }

  @Property(edgeCases = EdgeCasesMode.NONE)
  void noAlignedStoreAppearsHalfWritten(@ForAll("alignedOps") List<Op> ops, @ForAll boolean torn) {
    run(ops, CrashImageOptions.DEFAULT.withTorn(torn), (p, model) ->
        eachImage(p, image -> {
          byte[] w = window(image);
          for (int word = 0; word < WINDOW / 8; word++) {
            long v = Model.word(w, word);
            if (!model.wordValues.get(word).contains(v)) {
              throw new AssertionError("word " + word + " = " + Long.toHexString(v)
                  + " is half of a store, in " + image.describe());
            }
          }
        }));
  }

  @Property(edgeCases = EdgeCasesMode.NONE)
  void everySubsetOfChangedLinesIsEnumeratedOnce(@ForAll("anyOps") List<Op> ops) {
    run(ops, CrashImageOptions.DEFAULT.withMaxEnumerated(LINES), (p, model) -> {
      int k = model.changedLines();
      Statistics.label("changed lines at a crash point").collect(k);
      assertEquals(k, p.units(), p.toString());
      assertTrue(p.enumerated());
      assertEquals(1L << k, p.imageCount());
      Set<List<Range>> subsets = new HashSet<>();
      Set<String> contents = new HashSet<>();
      eachImage(p, image -> {
        subsets.add(image.applied());
        contents.add(Arrays.toString(window(image)));
      });
      assertEquals(1 << k, subsets.size(), "distinct applied subsets");
      assertEquals(1 << k, contents.size(), "distinct images");
    });
  }

  @Property(edgeCases = EdgeCasesMode.NONE)
  void anUnappliedLineHoldsItsPersistedBytesNotZeroes(@ForAll("anyOps") List<Op> ops) {
    run(ops, CrashImageOptions.DEFAULT, (p, model) ->
        eachImage(p, image -> {
          byte[] w = window(image);
          for (Range unit : image.notApplied()) {
            int lo = (int) (unit.offset() - BASE);
            assertArrayEquals(Arrays.copyOfRange(model.durable, lo, lo + 64),
                Arrays.copyOfRange(w, lo, lo + 64), () -> "unapplied " + unit + " in " + image.describe());
          }
          // In particular a line stored and never flushed since: where it is not applied it
          // shows the persisted bytes (random, so zeroes would show up as a difference).
          List<Range> applied = image.applied();
          for (int line = 0; line < LINES; line++) {
            int lo = line * 64;
            int l = line;
            if (model.unflushed[line] && !applied.contains(new Range(BASE + lo, 64))) {
              assertArrayEquals(Arrays.copyOfRange(model.durable, lo, lo + 64),
                  Arrays.copyOfRange(w, lo, lo + 64), () -> "unflushed line " + l + " in " + image.describe());
            }
          }
        }));
  }
}
