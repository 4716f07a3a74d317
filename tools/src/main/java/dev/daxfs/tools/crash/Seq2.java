package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The seq2 set: every ordered pair of seq1's single-operation workloads (each variant at each
 * depth, without the fsync), run one after the other after seq1's setup. There are n^2 of them
 * for n singles; {@link #sample} draws a seeded subset that fits a time budget, {@link #all}
 * gives every pair.
 */
public final class Seq2 {
  private Seq2() {}

  /** A seq1 workload's name and lines, without fsync. */
  private record Single(String name, String text) {}

  private static List<Single> singles() {
    List<Single> out = new ArrayList<>();
    for (Seq1.Variant v : Seq1.variants()) {
      for (int d = 1; d <= 2; d++) {
        Seq1.Paths p = d == 1 ? Seq1.DEPTH1 : Seq1.DEPTH2;
        out.add(new Single(v.op().keyword() + "." + v.variant() + ".d" + d, v.lines().apply(p)));
      }
    }
    return out;
  }

  /** How many pairs there are. */
  public static long size() {
    long n = singles().size();
    return n * n;
  }

  /** Every pair, in order. */
  public static List<Workload> all() {
    List<Single> s = singles();
    List<Workload> out = new ArrayList<>();
    List<Op> setup = Seq1.setup();
    for (Single a : s) {
      for (Single b : s) {
        out.add(pair(setup, a, b));
      }
    }
    return out;
  }

  /** {@code count} distinct pairs drawn with {@code seed}, in the order drawn. */
  public static List<Workload> sample(long seed, int count) {
    List<Single> s = singles();
    long n = (long) s.size() * s.size();
    if (count >= n) {
      return all();
    }
    SplittableRandom random = new SplittableRandom(seed);
    Set<Long> chosen = new LinkedHashSet<>();
    while (chosen.size() < count) {
      chosen.add(random.nextLong(n));
    }
    List<Op> setup = Seq1.setup();
    List<Workload> out = new ArrayList<>();
    for (long i : chosen) {
      out.add(pair(setup, s.get((int) (i / s.size())), s.get((int) (i % s.size()))));
    }
    return out;
  }

  /** The pair named {@code name} ("A+B"), or null. */
  public static Workload named(String name) {
    int plus = name.indexOf('+');
    if (plus < 0) {
      return null;
    }
    Single a = null;
    Single b = null;
    for (Single s : singles()) {
      if (s.name().equals(name.substring(0, plus))) {
        a = s;
      }
      if (s.name().equals(name.substring(plus + 1))) {
        b = s;
      }
    }
    return a == null || b == null ? null : pair(Seq1.setup(), a, b);
  }

  private static Workload pair(List<Op> setup, Single a, Single b) {
    String name = a.name() + "+" + b.name();
    return new Workload(name, setup, WorkloadParser.parse("seq2 " + name, a.text() + "\n"
        + b.text()), null);
  }
}
