package dev.daxfs.tests;

import static dev.daxfs.tests.DmaFixture.P;
import static dev.daxfs.tests.DmaFixture.ROOT;
import static dev.daxfs.tests.DmaFixture.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.gup.Gup;
import dev.daxfs.gup.PinVector;
import dev.daxfs.gup.PinOwner;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The mmap path, as a driver uses it: map the file, pin pages through the mapping
 * (pin_user_pages), unmap. The pin outlives the mapping, as in Linux, and a truncate over the
 * page waits for the unpin. The driver writes through the pinned page frame, the way a device
 * does, after the truncate has started. With the break switched off the truncate returns while
 * the page is pinned and another file receives the block under the device.
 */
class DmaMmapPinTest {

  /** What the scenario saw. */
  record Outcome(boolean waited, long pinCountAfterMunmap, long ownerWhilePinned,
      byte[] victim, byte[] file) {}

  private static Outcome pinUnmapTruncate(DmaFixture fx) {
    byte[] a0 = pattern(4 * P, 1);
    FileHandle a = fx.file("/a", a0);
    CpuMapping m = fx.map(a);
    FileHandle b = fx.victim("/b");
    PinOwner driver = fx.gup.owner("driver");
    PinVector pin = driver.newPinVector();
    fx.gup.pinUserPages(pin, m, 2 * P, 1, Gup.FOLL_WRITE);
    long pfn = pin.pfn(0);
    m.close(); // munmap: the pin stays
    PageDescriptors pages = fx.fs.pageDescriptors();
    long pinsAfterMunmap = pages.pinCount(pfn);

    DmaFixture.Op truncate = new DmaFixture.Op("truncate", () ->
        fx.fs.setattr(ROOT, a.ino(), SetAttr.create().size(P).handle(a)));
    boolean waited;
    if (fx.skipLayoutBreak) {
      truncate.join();
      waited = false;
    } else {
      truncate.awaitWaitingForDma();
      waited = !truncate.isDone();
    }
    // Other files go on allocating while the truncate waits (or after it returned).
    fx.fill(b, 8, 2);
    long owner = pages.describe(pfn).ownerInode();
    // The device writes through the pinned frame, then the driver unpins.
    byte[] dmaData = new byte[P];
    Arrays.fill(dmaData, (byte) 0x7E);
    pages.region().store(pfn * P, dmaData, 0, P);
    fx.gup.unpinUserPages(pin, true);
    truncate.join();
    Outcome o = new Outcome(waited, pinsAfterMunmap, owner, fx.read(b), fx.read(a));
    fx.fs.release(a);
    fx.fs.release(b);
    return o;
  }

  @Test
  void thePinOutlivesTheMappingAndTruncateWaitsForTheUnpin() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      Outcome o = pinUnmapTruncate(fx);
      assertEquals(1, o.pinCountAfterMunmap(), "munmap does not release the pin");
      assertTrue(o.waited(), "truncate waited for the unpin");
      assertNotEquals(fx.fs.resolve(ROOT, "/b", false).ino(), o.ownerWhilePinned(),
          "the pinned block was not handed to another file");
      assertArrayEquals(pattern(8 * P, 2), o.victim(), "the other file holds its own data");
      assertArrayEquals(Arrays.copyOf(pattern(4 * P, 1), P), o.file());
      fx.assertNoPinsLeft();
    }
  }

  @Test
  void withoutTheBreakTruncateHandsThePinnedBlockToAnotherFile() {
    try (DmaFixture fx = DmaFixture.create(true)) {
      Outcome o = pinUnmapTruncate(fx);
      assertFalse(o.waited());
      assertEquals(fx.fs.resolve(ROOT, "/b", false).ino(), o.ownerWhilePinned(),
          "the other file received the block the driver still pinned");
      assertFalse(Arrays.equals(pattern(8 * P, 2), o.victim()),
          "the device's write landed in the other file");
      fx.assertNoPinsLeft();
    }
  }
}
