package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.tools.crash.CheckOptions;
import dev.daxfs.tools.crash.KnownIssue;
import dev.daxfs.tools.crash.Seq1;
import dev.daxfs.tools.crash.Summary;
import dev.daxfs.tools.crash.Workload;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The daxfs bugs the other crash suites tolerate still reproduce. When one is fixed this
 * fails: delete the issue from {@link KnownIssue}, and the suites check it strictly again.
 */
class CrashKnownIssuesTest {

  @ParameterizedTest
  @EnumSource(KnownIssue.class)
  void theIssueStillReproducesAndIsToleratedWhereDeclared(KnownIssue issue) {
    List<Workload> example = CrashSuite.matching(Seq1.workloads(),
        "^" + issue.example().replace(".", "\\.") + "$");
    assertEquals(1, example.size(), issue.example());
    CheckOptions options = CrashSuite.options().withDataChecksums(issue.needsDataChecksums());
    Summary strict = CrashSuite.run(example, options.withTolerated(Set.of()));
    assertTrue(strict.violations() > 0, issue.cliName() + " no longer reproduces in "
        + issue.example() + ": remove it from KnownIssue");
    Summary tolerant = CrashSuite.run(example, options.withTolerated(Set.of(issue)));
    assertEquals(0, tolerant.violations(), () -> CrashSuite.describe(tolerant));
  }
}
