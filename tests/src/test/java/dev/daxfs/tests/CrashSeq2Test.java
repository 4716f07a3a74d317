package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.tools.crash.CheckOptions;
import dev.daxfs.tools.crash.Seq2;
import dev.daxfs.tools.crash.Summary;
import dev.daxfs.tools.crash.Workload;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A seeded sample of seq2 (pairs of seq1 operations): {@code daxfs.crash.seq2.count} pairs
 * (default 500) drawn with {@code daxfs.crash.seq2.seed} (default 0). The full set:
 * {@code tools/daxfs crashtest --workload seq2 --all}.
 */
class CrashSeq2Test {

  @Test
  void everyCrashStateOfSampledPairsIsConsistent() {
    int count = CrashSuite.intProperty("daxfs.crash.seq2.count", 500);
    long seed = CrashSuite.intProperty("daxfs.crash.seq2.seed", 0);
    List<Workload> workloads = Seq2.sample(seed, count);
    CheckOptions options = CrashSuite.options().withSeed(seed);
    Summary s = CrashSuite.run(workloads, options);
    assertEquals(count, s.workloads());
    assertEquals(0, s.violations(), () -> CrashSuite.describe(s, "seq2", options));
  }
}
