package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.tests.DmaCrashScript.Action;
import dev.daxfs.tests.DmaCrashScript.CutPinned;
import dev.daxfs.tests.DmaCrashScript.Delete;
import dev.daxfs.tests.DmaCrashScript.Dma;
import dev.daxfs.tests.DmaCrashScript.Land;
import dev.daxfs.tests.DmaCrashScript.Punch;
import dev.daxfs.tests.DmaCrashScript.Truncate;
import dev.daxfs.tests.DmaCrashScript.Write;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * DMA transfers, punches, truncates, writes, deletions and crashes, mixed at random: after any
 * crash (crash points frozen at random fences, images with any subset of the lines in flight)
 * and recovery, no block is owned twice and no orphan is lost (fsck, before and after the
 * recovery), and no DMA write is found outside the page it pinned; the same holds for the
 * running filesystem at the end. {@link #theCheckerFindsAStrayDmaWriteWithoutTheLayoutBreak}
 * runs the checker with the layout break switched off: it must report the damage.
 */
class DmaCrashProperties {

  /**
   * Set to true to run the property itself with the layout break switched off: it must then
   * fail (a manual proof beside {@link #theCheckerFindsAStrayDmaWriteWithoutTheLayoutBreak}).
   */
  static final String UNSAFE = "daxfs.dma.crash.unsafeSkipLayoutBreak";

  /** Few images per crash point: all subsets of up to 3 in-flight units, else 4 samples. */
  private static CrashImageOptions images(long seed) {
    return CrashImageOptions.DEFAULT.withMaxEnumerated(3).withSamples(4).withSeed(seed);
  }

  @Property(tries = 25)
  @AddLifecycleHook(Tries.class)
  void afterAnyCrashNoBlockIsOwnedTwiceNoOrphanIsLostAndNoDmaWriteStrays(
      @ForAll("scripts") List<Action> script,
      @ForAll("fences") Set<Long> crashFences,
      @ForAll long seed) {
    List<String> violations = new ArrayList<>();
    try (DmaCrashScript run = new DmaCrashScript(Boolean.getBoolean(UNSAFE), crashFences,
        images(seed))) {
      run.run(script);
      run.finish();
      run.crashNow(images(seed));
      Statistics.label("a layout break waited for DMA").collect(run.layoutWaits() > 0);
      Statistics.label("the reaper freed an orphan").collect(run.orphansReaped() > 0);
      Statistics.label("crash points").collect(Math.min(run.crashPoints().size(), 4));
      violations.addAll(run.liveViolations());
      if (run.misdirectedWrites() != 0) {
        violations.add(run.misdirectedWrites() + " DMA page writes misdirected (live)");
      }
      assertEquals(0, run.outstandingPins());
      for (CrashPoint point : run.crashPoints()) {
        for (CrashImage image : point.images()) {
          violations.addAll(run.imageViolations(image));
        }
      }
      for (var p : run.unmountAndCheck()) {
        violations.add("after the run, fsck: " + p);
      }
    }
    assertEquals(List.of(), violations, "script " + script);
  }

  /**
   * The checker can fail: a transfer pins a page, the page is punched without the layout
   * break, a plain file takes the freed block, and then the device writes. The running
   * filesystem and the crash image after the write must show the stray tag.
   */
  @Example
  void theCheckerFindsAStrayDmaWriteWithoutTheLayoutBreak() {
    List<Action> script = List.of(new Write(0, 0, 4), new Write(2, 0, 1), new Dma(0, 0, 1, 2),
        new Punch(0, 1, 2), new Write(2, 0, 6), new Land());
    try (DmaCrashScript run = new DmaCrashScript(true, Set.of(), images(1))) {
      run.run(script);
      run.finish();
      run.crashNow(images(1));
      List<String> live = run.liveViolations();
      assertFalse(live.isEmpty(), "the stray write is seen on the running filesystem");
      assertTrue(live.get(0).contains("plain2"), live.get(0));
      assertTrue(run.misdirectedWrites() > 0);
      List<String> afterCrash = new ArrayList<>();
      for (CrashImage image : run.crashPoints().get(0).images()) {
        afterCrash.addAll(run.imageViolations(image));
      }
      assertFalse(afterCrash.isEmpty(), "and in the crash image after recovery");
    }
  }

  @Provide
  Arbitrary<List<Action>> scripts() {
    // Layout changes mostly hit the files under DMA; plain files mostly take freed blocks.
    Arbitrary<Integer> cutFile = Arbitraries.frequency(
        net.jqwik.api.Tuple.of(4, 0), net.jqwik.api.Tuple.of(4, 1),
        net.jqwik.api.Tuple.of(1, 2), net.jqwik.api.Tuple.of(1, 3));
    Arbitrary<Integer> writeFile = Arbitraries.frequency(
        net.jqwik.api.Tuple.of(1, 0), net.jqwik.api.Tuple.of(1, 1),
        net.jqwik.api.Tuple.of(3, 2), net.jqwik.api.Tuple.of(3, 3));
    Arbitrary<Integer> dmaFile = Arbitraries.integers().between(0, DmaCrashScript.DMA_FILES - 1);
    Arbitrary<Integer> page = Arbitraries.integers().between(0, DmaCrashScript.MAX_PAGES - 1);
    Arbitrary<Integer> pages = Arbitraries.integers().between(1, 3);
    Arbitrary<Action> write = Combinators.combine(writeFile, page, pages)
        .as((f, p, n) -> new Write(f, Math.min(p, DmaCrashScript.MAX_PAGES - n), n));
    Arbitrary<Action> dma = Combinators.combine(dmaFile, Arbitraries.integers().between(0, 1),
        page, pages).as((f, d, p, n) -> new Dma(f, d, Math.min(p, DmaCrashScript.MAX_PAGES - n),
            n));
    Arbitrary<Action> land = Arbitraries.just(new Land());
    Arbitrary<Action> punch = Combinators.combine(cutFile, page, pages)
        .as((f, p, n) -> new Punch(f, p, n));
    Arbitrary<Action> truncate = Combinators.combine(cutFile,
        Arbitraries.integers().between(0, DmaCrashScript.MAX_PAGES - 1))
        .as((f, n) -> new Truncate(f, n));
    Arbitrary<Action> delete = cutFile.map(f -> (Action) new Delete(f));
    Arbitrary<Action> cutPinned = Arbitraries.frequency(net.jqwik.api.Tuple.of(3, 0),
        net.jqwik.api.Tuple.of(2, 1), net.jqwik.api.Tuple.of(1, 2)).map(CutPinned::new);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, write),
        net.jqwik.api.Tuple.of(6, dma),
        net.jqwik.api.Tuple.of(2, land),
        net.jqwik.api.Tuple.of(4, punch),
        net.jqwik.api.Tuple.of(3, truncate),
        net.jqwik.api.Tuple.of(1, delete),
        net.jqwik.api.Tuple.of(3, cutPinned))
        .list().ofMinSize(4).ofMaxSize(24);
  }

  /** Fences to crash at: a run makes some tens, the prologue and mount included. */
  @Provide
  Arbitrary<Set<Long>> fences() {
    return Arbitraries.longs().between(1, 90).set().ofMinSize(1).ofMaxSize(3);
  }

  /**
   * Takes the property's tries from {@code daxfs.dma.crash.tries} (default 25), so that long
   * local runs can raise the budget without slowing the build.
   */
  public static final class Tries implements AroundPropertyHook {
    static final String PROPERTY = "daxfs.dma.crash.tries";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
        PropertyExecutor property) {
      context.attributes().setTries(Integer.getInteger(PROPERTY, 25));
      return property.execute();
    }

    @Override
    public int aroundPropertyProximity() {
      return -100;
    }
  }
}
