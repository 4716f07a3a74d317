package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.tools.crash.CrashChecker;
import dev.daxfs.tools.crash.RandomWorkloads;
import dev.daxfs.tools.crash.Workload;
import dev.daxfs.tools.crash.WorkloadResult;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Random workloads of up to 20 operations, made by {@link RandomWorkloads} from jqwik's
 * integers so that a failing one shrinks to a short one; every crash state of every fence is
 * checked. Tries: {@code daxfs.crash.random.tries} (default 200).
 *
 * <p>A workload takes a few choices per operation; at least 160 of them keep jqwik's small
 * lists from making trivial workloads (past the end of the list every choice is 0).
 */
class CrashRandomProperties {

  private static CrashChecker checker;

  @BeforeContainer
  static void start() {
    checker = new CrashChecker(CrashSuite.options());
  }

  @AfterContainer
  static void stop() {
    checker.close();
  }

  @Property(shrinking = net.jqwik.api.ShrinkingMode.BOUNDED)
  @AddLifecycleHook(Tries.class)
  void everyCrashStateOfARandomWorkloadIsConsistent(
      @ForAll @Size(min = 160, max = 320)
          List<@IntRange(min = 0, max = 1 << 20) Integer> choices) {
    Workload w = RandomWorkloads.generate("w.wl", RandomWorkloads.Choices.of(choices));
    WorkloadResult r = checker.check(w);
    assertEquals(0, r.violationCount(), () -> "workload (save it as w.wl and replay with "
        + "tools/daxfs crashtest --workload w.wl --replay ID):\n" + w.text() + r.violations()
        .stream().map(v -> v.describe()).reduce("", (a, b) -> a + "\n" + b));
  }

  /** Takes the tries from {@code daxfs.crash.random.tries}. */
  static final class Tries implements AroundPropertyHook {
    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
        PropertyExecutor property) {
      context.attributes().setTries(Math.max(1, CrashSuite.intProperty(
          "daxfs.crash.random.tries", 200)));
      return property.execute();
    }

    @Override
    public int aroundPropertyProximity() {
      return -100;
    }
  }
}
