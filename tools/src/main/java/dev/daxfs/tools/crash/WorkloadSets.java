package dev.daxfs.tools.crash;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Turns what {@code --workload} names into workloads: a generated set, a file or a directory. */
public final class WorkloadSets {
  private WorkloadSets() {}

  /**
   * The workloads {@code spec} names.
   *
   * @param spec seq1, seq2, random, a workload file, or a directory of them
   * @param seed seed of seq2's sample and of random workloads
   * @param count workloads drawn for seq2 and random; seq2 gives all pairs when negative
   * @throws IllegalArgumentException when {@code spec} is none of those, or a file does not
   *     parse (the message names the file and line)
   */
  public static List<Workload> resolve(String spec, long seed, int count) {
    switch (spec) {
      case "seq1":
        return Seq1.workloads();
      case "seq2":
        return count < 0 ? Seq2.all() : Seq2.sample(seed, count);
      case "random":
        return RandomWorkloads.workloads(seed, Math.max(count, 0));
      default:
        break;
    }
    Path p = Path.of(spec);
    if (Files.isDirectory(p)) {
      List<Workload> out = new ArrayList<>();
      try (Stream<Path> files = Files.list(p)) {
        for (Path f : files.filter(Files::isRegularFile)
            .filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList()) {
          out.add(file(f));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + p + ": " + e.getMessage(), e);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException("directory " + p + " holds no workload files");
      }
      return out;
    }
    if (Files.isRegularFile(p)) {
      return List.of(file(p));
    }
    throw new IllegalArgumentException("--workload takes seq1, seq2, random, a workload file "
        + "or a directory of them; '" + spec + "' is none of those");
  }

  /** The workload in file {@code f}, named by its path. */
  public static Workload file(Path f) {
    String text;
    try {
      text = Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read workload " + f + ": " + e.getMessage(), e);
    }
    return Workload.of(f.toString(), WorkloadParser.parse(f.toString(), text));
  }

  /**
   * The workload named {@code name} in the set {@code spec} (what a replay id names): found
   * directly for seq2 and random, searched for in seq1 and in files.
   */
  public static Workload named(String spec, String name, long seed) {
    if (spec.equals("seq2")) {
      Workload w = Seq2.named(name);
      if (w != null) {
        return w;
      }
    } else if (spec.equals("random")) {
      String prefix = "random-" + seed + "-";
      if (name.startsWith(prefix)) {
        try {
          return RandomWorkloads.seeded(seed, Integer.parseInt(name.substring(prefix.length())));
        } catch (NumberFormatException e) {
          // reported below
        }
      }
    } else {
      for (Workload w : resolve(spec, seed, 0)) {
        if (w.name().equals(name)) {
          return w;
        }
      }
    }
    throw new IllegalArgumentException("no workload named '" + name + "' in " + spec
        + (spec.equals("random") ? " with seed " + seed : ""));
  }
}
