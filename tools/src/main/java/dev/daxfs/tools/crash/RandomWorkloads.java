package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random workloads of up to 20 operations over a small namespace, made from a stream of
 * choices: a seeded generator for the command line, or jqwik's generated (and shrinkable)
 * integers in the property test, so that a failing workload shrinks to a short one.
 *
 * <p>The generator keeps a model of what exists so that most operations act on something of
 * the right kind (a write on a file, an rmdir on a directory), while some deliberately miss
 * (errors must change nothing either).
 */
public final class RandomWorkloads {
  private RandomWorkloads() {}

  /** Most operations in one workload. */
  public static final int MAX_OPS = 20;

  /** A source of choices. */
  @FunctionalInterface
  public interface Choices {
    /** A number from 0 to {@code bound - 1}. */
    int choose(int bound);

    /** Choices from a seeded generator. */
    static Choices seeded(long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      return r::nextInt;
    }

    /** Choices read from {@code values} in turn (each taken modulo the bound), then zeros. */
    static Choices of(List<Integer> values) {
      int[] next = {0};
      return bound -> {
        if (next[0] >= values.size()) {
          return 0;
        }
        return Math.floorMod(values.get(next[0]++), bound);
      };
    }
  }

  private static final String[] NAMES = {"a", "b", "c", "d", "e"};
  private static final long[] OFFSETS = {0, 1, 100, 4000, 4096, 8192, 9000, 20000};
  private static final long[] LENGTHS = {1, 8, 100, 3000, 4096, 5000, 9000};
  private static final long[] SIZES = {0, 1, 100, 4096, 5000, 12288, 30000};
  private static final String[] FALLOC_MODES = {"0", "keep_size", "punch_hole|keep_size",
    "zero_range", "zero_range|keep_size", "collapse_range", "insert_range", "punch_hole"};
  private static final String[] MODES = {"0600", "0644", "0755", "04755", "01777", "02755"};
  private static final String[] XATTRS = {"user.a", "user.b", "trusted.c"};

  /** Workload {@code index} of the set drawn with {@code seed}. */
  public static Workload seeded(long seed, int index) {
    return generate("random-" + seed + "-" + index, Choices.seeded(mix(seed, index)));
  }

  /** {@code count} workloads drawn with {@code seed}. */
  public static List<Workload> workloads(long seed, int count) {
    List<Workload> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(seeded(seed, i));
    }
    return out;
  }

  /** One workload of 1 to {@link #MAX_OPS} operations made from {@code c}. */
  public static Workload generate(String name, Choices c) {
    int n = 1 + c.choose(MAX_OPS);
    Model model = new Model();
    List<Op> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String line = next(c, model);
      Op op = WorkloadParser.parseLine(name, i + 1, line);
      model.apply(op, i + 1);
      ops.add(op);
    }
    return Workload.of(name, ops);
  }

  /** Relative weights of the operations a step chooses from, in {@link #next}'s order. */
  private static final int[] WEIGHTS = {
    5, 7, 14, 6, 4, 3, 5, 5, 4, 3, 7, 2, 3, 2, 5, 4, 4, 3, 2, 2
  };

  /** One operation's line, chosen for the state {@code m} is in. */
  private static String next(Choices c, Model m) {
    Map<String, Integer> paths = m.paths();
    List<String> files = new ArrayList<>();
    List<String> dirs = new ArrayList<>(List.of(""));
    List<String> all = new ArrayList<>();
    for (Map.Entry<String, Integer> e : paths.entrySet()) {
      all.add(e.getKey());
      if (e.getValue() == Model.S_IFREG) {
        files.add(e.getKey());
      } else if (e.getValue() == Model.S_IFDIR) {
        dirs.add(e.getKey());
      }
    }
    all.sort(null);
    files.sort(null);
    dirs.sort(null);
    List<String> open = m.openHandles();
    List<String> mapped = m.mappedHandles();
    String fresh = fresh(c, dirs);
    String file = files.isEmpty() || c.choose(10) == 0 ? fresh : pick(c, files);
    String any = all.isEmpty() || c.choose(10) == 0 ? fresh : pick(c, all);
    String dir = pick(c, dirs);
    int kind = files.isEmpty() && c.choose(2) == 0 ? 1 : weighted(c);
    switch (kind) {
      case 0:
        return "mkdir " + fresh + (c.choose(2) == 0 ? "" : " " + pick(c, MODES));
      case 1:
        return "creat " + (c.choose(4) == 0 ? any : fresh);
      case 2:
        return "write " + file + " " + pick(c, OFFSETS) + " " + pick(c, LENGTHS);
      case 3:
        return "mwrite " + file + " " + pick(c, OFFSETS) + " " + pick(c, LENGTHS);
      case 4: {
        String h = !mapped.isEmpty() ? pick(c, mapped) : open.isEmpty() ? file : pick(c, open);
        return (c.choose(3) == 0 ? "munmap " : "msync ") + h;
      }
      case 5:
        return "close " + (open.isEmpty() || c.choose(8) == 0 ? any : pick(c, open));
      case 6:
        return "truncate " + file + " " + pick(c, SIZES);
      case 7:
        return "falloc " + file + " " + pick(c, FALLOC_MODES) + " " + 4096 * c.choose(4) + " "
            + (c.choose(2) == 0 ? 4096 * (1 + c.choose(3)) : pick(c, LENGTHS));
      case 8:
        return "link " + any + " " + fresh;
      case 9:
        return "symlink " + (c.choose(4) == 0 ? "nowhere" : c.choose(2) == 0 ? "/" + any
            : lastName(any)) + " " + fresh;
      case 10: {
        String[] flags = {"", "", "", " noreplace", " exchange"};
        return "rename " + any + " " + (c.choose(2) == 0 || all.isEmpty() ? fresh
            : pick(c, all)) + pick(c, flags);
      }
      case 11:
        return "mknod " + fresh + " " + pick(c, new String[] {"fifo", "sock", "chr", "blk"});
      case 12:
        return c.choose(2) == 0 ? "chown " + any + " " + c.choose(3) + " " + c.choose(3)
            : "chmod " + any + " " + pick(c, MODES);
      case 13:
        return "utimens " + any + " " + pick(c, new String[] {"now", "omit", "1000"}) + " "
            + pick(c, new String[] {"now", "omit", "2000000000"});
      case 14:
        if (c.choose(3) == 0 && !dir.isEmpty()) {
          return "rmdir " + dir;
        }
        return "unlink " + any;
      case 15:
        return c.choose(3) == 0 ? "removexattr " + any + " " + pick(c, XATTRS)
            : "setxattr " + any + " " + pick(c, XATTRS) + " " + (c.choose(2) == 0 ? "v"
                + c.choose(9) : "bytes=" + (1 + c.choose(2000)));
      case 16:
        return (c.choose(2) == 0 ? "fsync " : "fdatasync ") + (c.choose(3) == 0 && !dir
            .isEmpty() ? dir : file);
      case 17:
        return c.choose(2) == 0 ? "sync" : "open " + any;
      case 18:
        return "clean " + (c.choose(2) == 0 ? "all" : any);
      default:
        return "remount";
    }
  }

  private static int weighted(Choices c) {
    int total = 0;
    for (int w : WEIGHTS) {
      total += w;
    }
    int r = c.choose(total);
    for (int i = 0; i < WEIGHTS.length; i++) {
      r -= WEIGHTS[i];
      if (r < 0) {
        return i;
      }
    }
    return WEIGHTS.length - 1;
  }

  /** A new name in an existing directory (or, now and then, in one that does not exist). */
  private static String fresh(Choices c, List<String> dirs) {
    String d = c.choose(10) == 0 ? "x" : pick(c, dirs);
    String n = NAMES[c.choose(NAMES.length)];
    return d.isEmpty() ? n : d + "/" + n;
  }

  private static String lastName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static <T> T pick(Choices c, List<T> from) {
    return from.get(c.choose(from.size()));
  }

  private static String pick(Choices c, String[] from) {
    return from[c.choose(from.length)];
  }

  private static long pick(Choices c, long[] from) {
    return from[c.choose(from.length)];
  }

  private static long mix(long seed, long index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
