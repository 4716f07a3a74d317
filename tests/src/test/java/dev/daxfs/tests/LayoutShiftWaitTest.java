package dev.daxfs.tests;

import static dev.daxfs.tests.DmaFixture.P;
import static dev.daxfs.tests.DmaFixture.await;
import static dev.daxfs.tests.DmaFixture.pattern;
import static dev.daxfs.tests.DmaFixture.withTags;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.gup.DmaCompletion;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Collapse and insert renumber every page after their offset, so they break the layout from the
 * offset to EOF: a page pinned beyond the collapsed or inserted range makes them wait, although
 * they neither free nor touch its block. Afterwards the device's data is found where its page
 * moved to. Each also runs with the break switched off, where the operation returns while the
 * page is still pinned: that is the proof that the waiting check can fail.
 */
class LayoutShiftWaitTest {

  private static final int PAGES = 8;

  /** The pinned page: beyond both ranges below. */
  private static final int PINNED = 6;

  private static int mode(String op) {
    return op.equals("collapse") ? DmaFixture.COLLAPSE_RANGE : DmaFixture.INSERT_RANGE;
  }

  /** A's bytes after collapsing or inserting pages [1, 3). */
  private static byte[] shifted(String op, byte[] a) {
    if (op.equals("collapse")) {
      byte[] out = new byte[a.length - 2 * P];
      System.arraycopy(a, 0, out, 0, P);
      System.arraycopy(a, 3 * P, out, P, a.length - 3 * P);
      return out;
    }
    byte[] out = new byte[a.length + 2 * P];
    System.arraycopy(a, 0, out, 0, P);
    System.arraycopy(a, P, out, 3 * P, a.length - P);
    return out;
  }

  /** Runs the shift with page {@link #PINNED} pinned; returns whether it waited. */
  private static boolean shiftUnderDma(DmaFixture fx, String op) {
    byte[] a0 = pattern(PAGES * P, 1);
    FileHandle a = fx.file("/a", a0);
    CpuMapping m = fx.map(a);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> write = fx.nic.writeTagged(m, PINNED * P + 512, 2048, gate);
    DmaFixture.Op shift = new DmaFixture.Op(op, () -> fx.fs.fallocate(DmaFixture.ROOT, a,
        mode(op), P, 2 * P));
    boolean waited;
    if (fx.skipLayoutBreak) {
      shift.join();
      waited = false;
    } else {
      shift.awaitWaitingForDma();
      waited = !shift.isDone();
    }
    gate.complete(null);
    DmaCompletion c = await(write, "the DMA write");
    shift.join();
    byte[] model = shifted(op, withTags(a0, fx.nic, c.sequence(), PINNED * P + 512, 2048));
    assertArrayEquals(model, fx.read(a), op + ": the device's data moved with its page");
    m.close();
    fx.fs.release(a);
    return waited;
  }

  @ParameterizedTest
  @ValueSource(strings = {"collapse", "insert"})
  void aPagePinnedBeyondTheRangeMakesTheShiftWait(String op) {
    try (DmaFixture fx = DmaFixture.create(false)) {
      assertTrue(shiftUnderDma(fx, op), op + " waited for the page pinned beyond its range");
      assertEquals(1, fx.fs.stats().layoutWaits.sum());
      assertEquals(0, fx.dma.misdirectedWrites());
      fx.assertNoPinsLeft();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"collapse", "insert"})
  void withoutTheBreakTheShiftDoesNotWait(String op) {
    try (DmaFixture fx = DmaFixture.create(true)) {
      assertFalse(shiftUnderDma(fx, op), op + " returned while the page was pinned");
      assertEquals(0, fx.fs.stats().layoutWaits.sum());
      fx.assertNoPinsLeft();
    }
  }
}
