package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.tools.crash.CheckOptions;
import dev.daxfs.tools.crash.Seq1;
import dev.daxfs.tools.crash.Summary;
import dev.daxfs.tools.crash.Workload;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * seq1 again with in-flight lines torn into 8-byte words (only aligned 8-byte stores are
 * failure-atomic on x86): far more crash states per point, so at most {@code
 * daxfs.crash.torn.maxImages} (default 64) are mounted per point and the rest sampled.
 */
class CrashTornTest {

  @Test
  void everyTornCrashStateOfSeq1IsConsistent() {
    List<Workload> workloads = Seq1.workloads();
    CheckOptions options = CrashSuite.options().withTorn(true)
        .withMaxImages(Math.max(2, CrashSuite.intProperty("daxfs.crash.torn.maxImages", 64)));
    Summary s = CrashSuite.run(workloads, options);
    assertTrue(s.crashStates() > 10 * workloads.size(), "crash states: " + s.crashStates());
    assertEquals(0, s.violations(), () -> CrashSuite.describe(s, "seq1", options));
  }
}
