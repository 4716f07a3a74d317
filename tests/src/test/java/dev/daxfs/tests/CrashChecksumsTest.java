package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.tools.crash.CheckOptions;
import dev.daxfs.tools.crash.Seq1;
import dev.daxfs.tools.crash.Summary;
import org.junit.jupiter.api.Test;

/**
 * seq1 on a filesystem with per-block data checksums: stale marks and checksums must stay
 * right across every crash.
 */
class CrashChecksumsTest {

  @Test
  void everyCrashStateOfSeq1WithDataChecksumsIsConsistent() {
    CheckOptions options = CrashSuite.options().withDataChecksums(true);
    Summary s = CrashSuite.run(Seq1.workloads(), options);
    assertEquals(0, s.violations(), () -> CrashSuite.describe(s, "seq1", options));
  }
}
