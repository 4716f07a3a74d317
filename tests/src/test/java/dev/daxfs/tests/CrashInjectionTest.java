package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.tools.crash.Injection;
import dev.daxfs.tools.crash.Seq1;
import dev.daxfs.tools.crash.Summary;
import dev.daxfs.tools.crash.Workload;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every known bug class, re-introduced in daxfs through its test switch, is caught: the seq1
 * workloads that exercise it (depth 1, without fsync) find violations, on a filesystem with
 * data checksums when the bug is in them.
 */
class CrashInjectionTest {

  /** The seq1 workloads that exercise {@code i}. */
  private static String workloadsFor(Injection i) {
    return switch (i) {
      case SKIP_ENTRY_FLUSH, SKIP_TAIL_FENCE -> "^(mkdir|write|setxattr|truncate)\\.[^.]*\\.d1$";
      case RENAME_IN_PLACE, RENAME_WITHOUT_JOURNAL -> "^rename\\.[^.]*\\.d1$";
      case UNLINK_WRONG_ORDER -> "^unlink\\.[^.]*\\.d1$";
      case RECOVERY_IGNORES_JOURNAL -> "^(rename|link|unlink)\\.[^.]*\\.d1$";
      case IN_PLACE_WRITE_BEFORE_STALE_MARK ->
          "^(write\\.in-place-synced|truncate\\.grow-mapped-synced)\\.d1$";
      case LATE_STALE_MARK -> "^mwrite\\.[^.]*\\.d1$";
    };
  }

  @ParameterizedTest
  @EnumSource(Injection.class)
  void theCheckerCatchesTheBug(Injection bug) {
    List<Workload> workloads = CrashSuite.matching(Seq1.workloads(), workloadsFor(bug));
    assertFalse(workloads.isEmpty());
    Summary s = CrashSuite.run(workloads, CrashSuite.options()
        .withDataChecksums(bug.needsDataChecksums()).withInjection(bug));
    assertTrue(s.violations() > 0, bug.cliName() + " went unnoticed in "
        + workloads.size() + " workloads (" + s.crashStates() + " crash states)");
  }
}
