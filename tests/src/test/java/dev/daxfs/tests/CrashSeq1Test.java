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
 * seq1 in full: every operation of the workload language on every kind of target, at two
 * depths, with and without fsync, each crash state of every fence checked.
 */
class CrashSeq1Test {

  @Test
  void everyCrashStateOfEverySeq1WorkloadIsConsistent() {
    List<Workload> workloads = Seq1.workloads();
    assertTrue(workloads.size() >= 300, "seq1 has " + workloads.size() + " workloads");
    CheckOptions options = CrashSuite.options();
    Summary s = CrashSuite.run(workloads, options);
    assertEquals(workloads.size(), s.workloads());
    assertTrue(s.crashStates() > 5 * workloads.size(), "crash states: " + s.crashStates());
    assertEquals(0, s.violations(), () -> CrashSuite.describe(s, "seq1", options));
  }
}
