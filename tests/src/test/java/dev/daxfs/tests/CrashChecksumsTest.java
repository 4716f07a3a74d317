package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.tools.crash.Seq1;
import dev.daxfs.tools.crash.Summary;
import dev.daxfs.tools.crash.WorkloadResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * seq1 on a filesystem with per-block data checksums: stale marks and checksums must stay
 * right across every crash.
 *
 * <p>The known issue that a layout break drops dirty mapped pages shows here as a checksum
 * that fsync computed over stores it never wrote back (EIO after the crash); the model cannot
 * expect an EIO, so the workloads that run into that issue are the only ones allowed to fail.
 */
class CrashChecksumsTest {

  @Test
  void everyCrashStateOfSeq1WithDataChecksumsIsConsistent() {
    Summary s = new Summary();
    List<WorkloadResult> results = CrashSuite.results(Seq1.workloads(),
        CrashSuite.options().withDataChecksums(true), s);
    for (WorkloadResult r : results) {
      assertTrue(r.violationCount() == 0 || !r.exercised().isEmpty(),
          () -> r.workload() + " fails without running into a known issue:\n"
              + CrashSuite.describe(s));
    }
  }
}
