package dev.daxfs.tests;

import static dev.daxfs.tests.DmaFixture.P;
import static dev.daxfs.tests.DmaFixture.ROOT;
import static dev.daxfs.tests.DmaFixture.await;
import static dev.daxfs.tests.DmaFixture.differingPages;
import static dev.daxfs.tests.DmaFixture.eventually;
import static dev.daxfs.tests.DmaFixture.pattern;
import static dev.daxfs.tests.DmaFixture.tags;
import static dev.daxfs.tests.DmaFixture.withTags;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxEntry;
import dev.daxfs.dax.PageDescriptor;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.gup.DmaCompletion;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The race the layout break exists for, one operation at a time: a device has pages of file A
 * pinned and will write them; A is truncated, punched, zeroed or collapsed over them; file B is
 * written next and takes whatever blocks were freed; then the device writes. With the break the
 * operation waits for the device, and afterwards A holds exactly what the operation left of its
 * data and the DMA write, B holds exactly its own data, and no write is misdirected. Every
 * scenario also runs with the break switched off, where the same checks must find damage:
 * that is the proof that each test can fail.
 *
 * <p>No timing is guessed: the device's write is gated, so its pages stay pinned until the test
 * opens the gate, and an operation is known to wait when its thread sleeps in the page
 * descriptors' wait for an idle page.
 */
class DmaLayoutBreakTest {

  /** Pages of file A. */
  private static final int A_PAGES = 8;

  /** Pages file B writes after the cut: more than any cut frees. */
  private static final int B_PAGES = 16;

  /** The cuts: each with the bytes the device writes and what A must read as afterwards. */
  enum Cut {
    /** Shrink to 4 pages and 512 bytes while pages 5 and 6 are pinned. */
    TRUNCATE(5 * P + 64, P, true) {
      @Override
      void run(DmaFixture fx, FileHandle a) {
        fx.fs.setattr(ROOT, a.ino(), SetAttr.create().size(4 * P + 512).handle(a));
      }

      @Override
      byte[] expect(byte[] a) {
        return Arrays.copyOf(a, 4 * P + 512);
      }
    },
    /** Punch pages 2 to 4 while page 3 is pinned. */
    PUNCH(3 * P + 256, 2048, true) {
      @Override
      void run(DmaFixture fx, FileHandle a) {
        fx.fs.fallocate(ROOT, a, DmaFixture.PUNCH_HOLE | DmaFixture.KEEP_SIZE, 2 * P, 3 * P);
      }

      @Override
      byte[] expect(byte[] a) {
        return zeroed(a, 2 * P, 5 * P);
      }
    },
    /**
     * Zero from the middle of page 2 to the end of page 4 while page 2 is pinned: the partial
     * page is zeroed by copy-on-write once the device is done, or, without the break, in place
     * under the device, whose late write then shows through the zeroes.
     */
    ZERO(2 * P + 1024, 1024, false) {
      @Override
      void run(DmaFixture fx, FileHandle a) {
        fx.fs.fallocate(ROOT, a, DmaFixture.ZERO_RANGE | DmaFixture.KEEP_SIZE, 2 * P + 512,
            3 * P - 512);
      }

      @Override
      byte[] expect(byte[] a) {
        return zeroed(a, 2 * P + 512, 5 * P);
      }
    },
    /** Collapse pages 2 and 3 while page 3 is pinned. */
    COLLAPSE(3 * P, P, true) {
      @Override
      void run(DmaFixture fx, FileHandle a) {
        fx.fs.fallocate(ROOT, a, DmaFixture.COLLAPSE_RANGE, 2 * P, 2 * P);
      }

      @Override
      byte[] expect(byte[] a) {
        byte[] out = new byte[a.length - 2 * P];
        System.arraycopy(a, 0, out, 0, 2 * P);
        System.arraycopy(a, 4 * P, out, 2 * P, a.length - 4 * P);
        return out;
      }
    };

    /** Where the device writes in A. */
    final long dmaAddr;

    /** How many bytes it writes. */
    final int dmaLength;

    /** Whether the cut frees the pinned block (so that B can receive it). */
    final boolean freesPinnedBlock;

    Cut(long dmaAddr, int dmaLength, boolean freesPinnedBlock) {
      this.dmaAddr = dmaAddr;
      this.dmaLength = dmaLength;
      this.freesPinnedBlock = freesPinnedBlock;
    }

    abstract void run(DmaFixture fx, FileHandle a);

    /** What A must read as after the cut, given A's bytes with the DMA write in them. */
    abstract byte[] expect(byte[] a);

    static byte[] zeroed(byte[] a, int from, int to) {
      byte[] out = a.clone();
      Arrays.fill(out, from, to, (byte) 0);
      return out;
    }
  }

  /** What one scenario saw. */
  record Outcome(boolean waited, int badPagesOfA, int badPagesOfB, int tagsInB,
      long misdirected, int tagsInA, int tagsExpectedInA) {}

  private static Outcome race(DmaFixture fx, Cut cut) {
    byte[] a0 = pattern(A_PAGES * P, 1);
    FileHandle a = fx.file("/a", a0);
    CpuMapping m = fx.map(a);
    FileHandle b = fx.victim("/b");
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> write = fx.nic.writeTagged(m, cut.dmaAddr, cut.dmaLength,
        gate);
    long misdirectedBefore = fx.dma.misdirectedWrites();

    DmaFixture.Op op = new DmaFixture.Op(cut.name().toLowerCase(), () -> cut.run(fx, a));
    boolean waited;
    if (fx.skipLayoutBreak) {
      op.join(); // returns with the device's pages still pinned: the bug
      waited = false;
    } else {
      op.awaitWaitingForDma();
      waited = true;
      assertFalse(op.isDone());
      gate.complete(null);
      op.join();
    }
    fx.fill(b, B_PAGES, 2);
    gate.complete(null);
    DmaCompletion c = await(write, "the DMA write");

    byte[] model = cut.expect(withTags(a0, fx.nic, c.sequence(), cut.dmaAddr, cut.dmaLength));
    byte[] aNow = fx.read(a);
    byte[] bNow = fx.read(b);
    Outcome o = new Outcome(waited, differingPages(model, aNow),
        differingPages(pattern(B_PAGES * P, 2), bNow), tags(bNow),
        fx.dma.misdirectedWrites() - misdirectedBefore, tags(aNow), tags(model));
    m.close();
    fx.fs.release(a);
    fx.fs.release(b);
    return o;
  }

  @ParameterizedTest
  @EnumSource(Cut.class)
  void theCutWaitsForTheDeviceAndNoDataIsDamaged(Cut cut) {
    try (DmaFixture fx = DmaFixture.create(false)) {
      Outcome o = race(fx, cut);
      assertTrue(o.waited(), cut + " waited for the device");
      assertEquals(0, o.badPagesOfA(), cut + ": A reads as the cut left it, DMA write included");
      assertEquals(0, o.badPagesOfB(), cut + ": B holds its own data");
      assertEquals(0, o.tagsInB(), cut + ": no DMA tag in B");
      assertEquals(0, o.misdirected(), cut + ": no misdirected write");
      assertEquals(o.tagsExpectedInA(), o.tagsInA(), cut + ": every DMA tag accounted for");
      assertTrue(fx.fs.stats().layoutWaits.sum() >= 1);
      fx.assertNoPinsLeft();
      assertEquals(List.of(), fx.closeAndCheck(), cut + ": fsck after unmount");
    }
  }

  @ParameterizedTest
  @EnumSource(Cut.class)
  void withoutTheBreakTheSameRaceDamagesData(Cut cut) {
    try (DmaFixture fx = DmaFixture.create(true)) {
      Outcome o = race(fx, cut);
      assertFalse(o.waited());
      assertTrue(o.badPagesOfA() + o.badPagesOfB() > 0,
          cut + " without the break must damage data: " + o);
      if (cut.freesPinnedBlock) {
        assertTrue(o.tagsInB() > 0, cut + ": the device wrote into B's block: " + o);
        assertTrue(o.misdirected() > 0, cut + ": the emulator saw the misdirected write: " + o);
      }
      fx.assertNoPinsLeft();
    }
  }

  /** What the copy-on-write scenario saw. */
  record CopyOnWrite(long a, long pfn, long ownerAfterWrite, long ownerIndexAfterWrite,
      long inPlaceWrites, long ownerAfterVictim, int badPagesOfA, int badPagesOfB, int tagsInB,
      long misdirected) {}

  /**
   * A device pins page 3 of A for a gated write and the mapping goes; write() then rewrites
   * page 3, B is written next and takes whatever blocks are free, and the device writes.
   */
  private static CopyOnWrite writeOverAPinnedPage(DmaFixture fx, FileHandle a, FileHandle b,
      byte[] a0, byte[] x) {
    CpuMapping m = fx.map(a);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> write = fx.nic.writeTagged(m, 3 * P + 256, 1024, gate);
    DaxEntry entry = m.space().entry(3);
    long pfn = entry.pfn();
    m.close(); // the pin outlives the mapping
    assertEquals(1, fx.fs.pageDescriptors().pinCount(pfn));

    fx.fs.write(ROOT, a, 3 * P, ByteBuffer.wrap(x)); // does not wait for the device
    PageDescriptor d = fx.fs.pageDescriptors().describe(pfn);
    long inPlace = fx.fs.stats().inPlaceWrites.sum();
    fx.fill(b, B_PAGES, 2);
    long ownerAfterVictim = fx.fs.pageDescriptors().describe(pfn).ownerInode();
    gate.complete(null);
    DmaCompletion c = await(write, "the DMA write");

    byte[] model = a0.clone();
    System.arraycopy(x, 0, model, 3 * P, P);
    model = withTags(model, fx.nic, c.sequence(), 3 * P + 256, 1024);
    byte[] bNow = fx.read(b);
    return new CopyOnWrite(a.ino(), pfn, d.ownerInode(), d.ownerIndex(), inPlace,
        ownerAfterVictim, differingPages(model, fx.read(a)),
        differingPages(pattern(B_PAGES * P, 2), bNow), tags(bNow), fx.dma.misdirectedWrites());
  }

  /**
   * write() over a page a device has pinned (and no mapping holds any more) goes in place: the
   * block stays the file's, is not freed, and so is never handed to another file while the
   * device may write it. The test switch skipLayoutBreak also lets copy-on-write move pages a
   * device holds ({@code Layouts.mayMove}, {@code Layouts.pageMoving}): the switched-off twin
   * below shows the damage that does.
   */
  @Test
  void aCopyOnWriteWriteNeverMovesAPinnedPage() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      byte[] a0 = pattern(A_PAGES * P, 1);
      FileHandle a = fx.file("/a", a0);
      FileHandle b = fx.victim("/b");
      byte[] x = pattern(P, 7);
      CopyOnWrite o = writeOverAPinnedPage(fx, a, b, a0, x);
      assertEquals(a.ino(), o.ownerAfterWrite(), "the pinned block is still A's: " + o);
      assertEquals(3, o.ownerIndexAfterWrite());
      assertEquals(1, o.inPlaceWrites(), "the write went in place");
      assertEquals(a.ino(), o.ownerAfterVictim(), "B did not receive the pinned block");
      assertEquals(0, o.badPagesOfA(), "A has the write() and, over it, the DMA write");
      assertEquals(0, o.badPagesOfB(), "B holds its own data");
      assertEquals(0, o.tagsInB());
      assertEquals(0, o.misdirected());

      // Once nothing holds the page, copy-on-write moves it again.
      fx.fs.write(ROOT, a, 3 * P, ByteBuffer.wrap(x));
      assertEquals(0, fx.fs.pageDescriptors().describe(o.pfn()).ownerInode(),
          "unpinned, the page was copied and its old block freed");
      fx.fs.release(a);
      fx.fs.release(b);
      fx.assertNoPinsLeft();
      assertEquals(List.of(), fx.closeAndCheck(), "fsck after unmount");
    }
  }

  /**
   * The switched-off twin of {@link #aCopyOnWriteWriteNeverMovesAPinnedPage}: with
   * skipLayoutBreak, write() copies the pinned page to a new block and frees the old one, B
   * receives it, and the device's late write lands in B's block instead of A's page.
   */
  @Test
  void withoutTheBreakCopyOnWriteMovesAPinnedPageAndTheDeviceWritesIntoB() {
    try (DmaFixture fx = DmaFixture.create(true)) {
      byte[] a0 = pattern(A_PAGES * P, 1);
      FileHandle a = fx.file("/a", a0);
      FileHandle b = fx.victim("/b");
      CopyOnWrite o = writeOverAPinnedPage(fx, a, b, a0, pattern(P, 7));
      assertEquals(0, o.inPlaceWrites(), "the write moved the pinned page: " + o);
      assertEquals(b.ino(), o.ownerAfterVictim(), "B received the pinned block: " + o);
      assertTrue(o.tagsInB() > 0, "the device wrote into B's block: " + o);
      assertTrue(o.misdirected() > 0, "the emulator saw the misdirected write: " + o);
      assertTrue(o.badPagesOfA() > 0 && o.badPagesOfB() > 0,
          "A lacks the DMA write and B's data is damaged: " + o);
      fx.fs.release(a);
      fx.fs.release(b);
      fx.assertNoPinsLeft();
    }
  }

  /**
   * Eviction: the last name of a file a device still writes goes away with its last handle and
   * mapping. Unlink does not block; the file waits on the orphan list, its blocks are not handed
   * out, and the unpin wakes the reaper, which frees them.
   */
  @Test
  void aDeletedFileUnderDmaIsFreedOnlyAfterTheUnpin() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      Eviction e = evictUnderDma(fx);
      assertEquals(1, e.orphansWhileBusy(), "the file waits on the orphan list");
      assertEquals(e.a(), e.ownerAfterVictim(), "B did not receive the pinned block");
      assertEquals(0, e.badPagesOfB());
      assertEquals(0, e.tagsInB());
      assertEquals(0, e.misdirected());
      eventually(() -> fx.fs.orphansPending() == 0, "the reaper freeing the orphan");
      assertEquals(1, fx.fs.stats().orphansReaped.sum());
      // Freed now: the next file written receives the block.
      FileHandle c = fx.victim("/c");
      fx.fill(c, B_PAGES, 3);
      assertEquals(c.ino(), fx.fs.pageDescriptors().describe(e.pfn()).ownerInode());
      fx.fs.release(c);
      fx.assertNoPinsLeft();
      assertEquals(List.of(), fx.closeAndCheck(), "fsck after unmount");
    }
  }

  /**
   * The switched-off twin of {@link #aDeletedFileUnderDmaIsFreedOnlyAfterTheUnpin}: with the
   * busy check skipped, eviction frees the pinned block at once and the device's late write
   * lands in the next file.
   */
  @Test
  void withoutTheBreakEvictionFreesABusyFile() {
    try (DmaFixture fx = DmaFixture.create(true)) {
      Eviction e = evictUnderDma(fx);
      assertTrue(e.tagsInB() > 0 && e.misdirected() > 0,
          "without the break the device writes into B's block: " + e);
    }
  }

  /** What the eviction scenario saw. */
  record Eviction(long a, long pfn, int orphansWhileBusy, long ownerAfterVictim,
      int badPagesOfB, int tagsInB, long misdirected) {}

  private static Eviction evictUnderDma(DmaFixture fx) {
    FileHandle a = fx.file("/a", pattern(A_PAGES * P, 1));
    CpuMapping m = fx.map(a);
    FileHandle b = fx.victim("/b");
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> write = fx.nic.writeTagged(m, 2 * P, 2 * P, gate);
    long pfn = m.space().entry(2).pfn();
    m.close();
    fx.fs.release(a);
    DmaFixture.Op unlink = new DmaFixture.Op("unlink", () -> fx.fs.unlink(ROOT, "/a"));
    unlink.join(); // never waits for the device
    int orphans = fx.fs.orphansPending();
    fx.fill(b, B_PAGES, 2);
    long owner = fx.fs.pageDescriptors().describe(pfn).ownerInode();
    gate.complete(null);
    await(write, "the DMA write");
    byte[] bNow = fx.read(b);
    fx.fs.release(b);
    return new Eviction(a.ino(), pfn, orphans, owner,
        differingPages(pattern(B_PAGES * P, 2), bNow), tags(bNow), fx.dma.misdirectedWrites());
  }
}
