package dev.daxfs.tests;

import static dev.daxfs.tests.DmaFixture.ROOT;
import static dev.daxfs.tests.DmaFixture.await;
import static dev.daxfs.tests.DmaFixture.pattern;
import static dev.daxfs.tests.DmaFixture.tags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.Fsck;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.MountOptions.PinnedFsync;
import dev.daxfs.gup.DmaCompletion;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Unmount frees the orphans, so it is an eviction like any other: it waits until no device
 * pins an orphan's block (Linux's final layout break), and the blocks it frees are safe for the
 * next mount to hand out.
 */
class UnmountUnderDmaTest {

  private static final int A_PAGES = 8;
  private static final int B_PAGES = 16;

  @Test
  void unmountWaitsForTheDeviceBeforeFreeingAnOrphan() {
    try (DmaFixture fx = DmaFixture.create(false, proceed())) {
      Scenario s = Scenario.start(fx);
      DmaFixture.Op unmount = new DmaFixture.Op("unmount", fx.fs::unmount);
      try {
        unmount.awaitWaitingForDma();
        assertFalse(unmount.isDone(), "unmount returned while the orphan's block was pinned");
      } finally {
        s.gate.complete(null);
      }
      await(s.write, "the DMA write");
      unmount.join();
      byte[] b = s.fillBOnANewMount(fx);
      assertEquals(0, tags(b), "the device's write reached the next mount's file");
      assertEquals(List.of(), Fsck.check(fx.region, Fsck.Progress.NONE).problems);
    }
  }

  /** The switched-off twin: unmount frees the pinned block and the late write corrupts B. */
  @Test
  void withoutTheBreakUnmountFreesABlockADeviceStillWrites() {
    try (DmaFixture fx = DmaFixture.create(true, proceed())) {
      Scenario s = Scenario.start(fx);
      DmaFixture.Op unmount = new DmaFixture.Op("unmount", fx.fs::unmount);
      unmount.join();
      byte[] b = s.fillBOnANewMount(fx, () -> {
        s.gate.complete(null);
        await(s.write, "the DMA write");
      });
      assertTrue(tags(b) > 0, "without the break the device writes into the next mount's B");
    }
  }

  /**
   * fsync proceeds past short-term pins: unmount syncs first, and a sync that waited for the
   * device would hide whether the eviction at unmount does.
   */
  private static MountOptions proceed() {
    return MountOptions.defaults().pinnedFsync(PinnedFsync.PROCEED);
  }

  /**
   * File A, pinned by a gated device write, then unmapped and unlinked while still open (as a
   * mount's files are when its process ends): an orphan that only the unmount frees.
   */
  private record Scenario(CompletableFuture<Void> gate, CompletableFuture<DmaCompletion> write) {

    static Scenario start(DmaFixture fx) {
      FileHandle a = fx.file("/a", pattern(A_PAGES * DmaFixture.P, 1));
      CpuMapping m = fx.map(a);
      CompletableFuture<Void> gate = new CompletableFuture<>();
      CompletableFuture<DmaCompletion> write =
          fx.nic.writeTagged(m, 2 * DmaFixture.P, 2 * DmaFixture.P, gate);
      m.close();
      fx.fs.unlink(ROOT, "/a");
      assertEquals(0, fx.fs.getattr(a.ino()).nlink(), "A has no name left, only its handle");
      return new Scenario(gate, write);
    }

    byte[] fillBOnANewMount(DmaFixture fx) {
      return fillBOnANewMount(fx, () -> {});
    }

    /** Mounts the region again, writes B over the lowest free blocks, runs {@code then}, reads B. */
    byte[] fillBOnANewMount(DmaFixture fx, Runnable then) {
      DaxFs next = DaxFs.mount(fx.region, MountOptions.defaults());
      try {
        FileHandle b = next.open(ROOT, "/b", FileHandle.O_CREAT | FileHandle.O_EXCL
            | FileHandle.O_RDWR, 0644);
        next.write(ROOT, b, 0, ByteBuffer.wrap(pattern(B_PAGES * DmaFixture.P, 2)));
        then.run();
        ByteBuffer got = ByteBuffer.allocate(B_PAGES * DmaFixture.P);
        while (got.hasRemaining() && next.read(b, got.position(), got) > 0) {
          // read on until EOF
        }
        next.release(b);
        return got.array();
      } finally {
        next.unmount();
      }
    }
  }
}
