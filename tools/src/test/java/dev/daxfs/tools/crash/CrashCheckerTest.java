package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CrashCheckerTest {

  private static CrashChecker checker;

  @BeforeAll
  static void start() {
    checker = new CrashChecker(CheckOptions.defaults().withThreads(1));
  }

  @AfterAll
  static void stop() {
    checker.close();
  }

  private static WorkloadResult check(CrashChecker c, String text) {
    return c.check(workload(text));
  }

  private static Workload workload(String text) {
    return Workload.of("test", WorkloadParser.parse("test", text));
  }

  @Test
  void aCorrectRunCoversEveryCrashStateAndFindsNothing() {
    WorkloadResult r;
    // A checker of its own: the fences of the first mount are checked once per checker.
    try (CrashChecker fresh = new CrashChecker(CheckOptions.defaults().withThreads(1))) {
      r = check(fresh, """
        mkdir A
        creat A/f
        write A/f 0 9000
        link A/f g
        rename A/f A/h
        mwrite A/h 100 64
        msync A/h
        unlink g
        """);
    }
    assertEquals(0, r.violationCount(), r.violations().toString());
    assertEquals(8, r.operations());
    assertTrue(r.fences() > 20, "fences: " + r.fences());
    assertEquals(r.fences() + 1, r.points(), "every fence and the end");
    assertTrue(r.crashStates() >= r.points());
    assertEquals(0, r.sampledPoints());
    assertEquals(r.total(), r.covered(), "every image covered");
    assertTrue(r.total().bitLength() > 141, "the 9000-byte write alone offers 2^141 images");
  }

  @Test
  void aReIntroducedBugIsCaughtAndReplaysAlone() {
    CheckOptions buggy = CheckOptions.defaults().withThreads(1)
        .withInjection(Injection.UNLINK_WRONG_ORDER);
    Workload w = workload("creat f\nlink f g\nunlink g\n");
    try (CrashChecker c = new CrashChecker(buggy)) {
      WorkloadResult r = c.check(w);
      assertTrue(r.violationCount() > 0);
      Violation v = r.violations().get(0);
      assertEquals("state", v.kind());
      assertEquals(3, v.op());
      assertEquals("unlink g", v.opText());
      assertTrue(v.detail().contains("link count 1, expected 2"), v.detail());
      String id = v.replayId();
      StringWriter out = new StringWriter();
      WorkloadResult again = c.replay(w, id.substring(id.indexOf('@') + 1),
          new PrintWriter(out, true));
      assertEquals(1, again.violationCount(), out.toString());
      assertTrue(out.toString().contains("recovered state:"), out.toString());
    }
  }

  @Test
  void recoveryInjectionsGoOnTheCheckersMounts() {
    CheckOptions buggy = CheckOptions.defaults().withThreads(1)
        .withInjection(Injection.RECOVERY_IGNORES_JOURNAL);
    try (CrashChecker c = new CrashChecker(buggy)) {
      WorkloadResult r = c.check(workload("mkdir A\ncreat A/f\nrename A/f g\n"));
      assertTrue(r.violationCount() > 0);
    }
  }

  @Test
  void fsyncMakesDurableTheMappedStoresALayoutBreakUnmapped() {
    // The page holding the new end of file keeps its block: its dirty stores must survive.
    for (String cut : new String[] {"truncate f 4100", "falloc f punch_hole|keep_size 4100 8",
        "falloc f collapse_range 0 4096"}) {
      WorkloadResult r = checker.check(workload("creat f\nwrite f 0 9000\nmwrite f 4096 64\n"
          + cut + "\nfsync f\n"));
      assertEquals(0, r.violationCount(), () -> cut + ": " + r.violations());
    }
  }

  @Test
  void aWriteIntoAMappedPageFsyncCleanedKeepsItsChecksumRight() {
    Workload w = workload("creat f\nwrite f 0 100\nmwrite f 8 8\nfsync f\nwrite f 0 8\n");
    CheckOptions sums = CheckOptions.defaults().withThreads(1).withDataChecksums(true);
    try (CrashChecker c = new CrashChecker(sums)) {
      WorkloadResult r = c.check(w);
      assertEquals(0, r.violationCount(), () -> r.violations().toString());
    }
    try (CrashChecker c = new CrashChecker(sums.withInjection(
        Injection.IN_PLACE_WRITE_BEFORE_STALE_MARK))) {
      WorkloadResult r = c.check(w);
      assertTrue(r.violationCount() > 0, "the page was stored before its stale mark");
      Violation v = r.violations().get(0);
      assertEquals("write f 0 8", v.opText());
      assertTrue(v.detail().contains("data checksum mismatch"), v.detail());
    }
  }

  @Test
  void anInjectionInDataChecksumsIsRefusedWithoutThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CrashChecker(CheckOptions.defaults().withThreads(1)
            .withInjection(Injection.IN_PLACE_WRITE_BEFORE_STALE_MARK)));
    assertTrue(e.getMessage().contains("needs data checksums"), e.getMessage());
  }

  @Test
  void aSetupRunsOnceUncheckedAndItsWorkloadsStartFromIt() {
    List<Op> setup = WorkloadParser.parse("setup", "mkdir A\ncreat A/f\nwrite A/f 0 100\n");
    Workload w = new Workload("w", setup, WorkloadParser.parse("w", "unlink A/f\n"), null);
    WorkloadResult r = checker.check(w);
    assertEquals(0, r.violationCount(), () -> r.violations().toString());
    assertEquals(1, r.operations());
  }

  @Test
  void everyOperationsResultIsComparedWithTheModel() {
    WorkloadResult r = checker.check(workload("mkdir A\nrmdir A\nrmdir A\nclose A\n"));
    assertEquals(0, r.violationCount(), "the failing rmdir and close are expected to fail: "
        + r.violations());
  }
}
