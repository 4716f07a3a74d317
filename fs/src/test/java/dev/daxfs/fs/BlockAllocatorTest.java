package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class BlockAllocatorTest {

  private static BlockAllocator allFree(long first, long end, long reserve) {
    BlockAllocator a = new BlockAllocator(first, end, reserve);
    a.free(first, end - first);
    return a;
  }

  private static long total(List<long[]> extents) {
    return extents.stream().mapToLong(e -> e[1]).sum();
  }

  @Test
  void countsFreeAndAvailableBlocks() {
    BlockAllocator a = allFree(10, 1010, 100);
    assertEquals(1000, a.freeBlocks());
    assertEquals(900, a.availableBlocks());
    List<long[]> out = new ArrayList<>();
    a.allocate(250, 0, false, out);
    assertEquals(250, total(out));
    assertEquals(750, a.freeBlocks());
    assertEquals(650, a.availableBlocks());
    for (long[] e : out) {
      assertTrue(e[0] >= 10 && e[0] + e[1] <= 1010, "extent inside the allocatable range");
      assertFalse(a.isFree(e[0], e[1]));
    }
  }

  @Test
  void theReserveIsOnlyForDeletingOperations() {
    BlockAllocator a = allFree(10, 1010, 100);
    List<long[]> out = new ArrayList<>();
    a.allocate(900, 0, false, out);
    assertEquals(0, a.availableBlocks());
    FsTesting.assertErrno(Errno.ENOSPC, () -> a.allocate(1, 0, false, new ArrayList<>()));
    assertEquals(100, a.freeBlocks(), "a failed allocation takes nothing");
    List<long[]> reserve = new ArrayList<>();
    a.allocate(100, 0, true, reserve);
    assertEquals(100, total(reserve));
    assertEquals(0, a.freeBlocks());
    FsTesting.assertErrno(Errno.ENOSPC, () -> a.allocate(1, 0, true, new ArrayList<>()));
  }

  @Test
  void anAllocationTooLargeFailsWholeAndTakesNothing() {
    BlockAllocator a = allFree(10, 110, 0);
    FsTesting.assertErrno(Errno.ENOSPC, () -> a.allocate(101, 0, false, new ArrayList<>()));
    assertEquals(100, a.freeBlocks());
    assertTrue(a.isFree(10, 100));
  }

  @Test
  void prefersTheHintAndStaysContiguous() {
    BlockAllocator a = allFree(10, 10_010, 0);
    assertEquals(5000, a.allocateOne(5000, false));
    assertEquals(5001, a.allocateOne(5001, false));
    List<long[]> out = new ArrayList<>();
    a.allocate(64, 5002, false, out);
    assertEquals(1, out.size(), "a free run after the hint gives one extent");
    assertArrayEquals(new long[] {5002, 64}, out.get(0));
  }

  @Test
  void aTakenHintIsNotHandedOutAgain() {
    BlockAllocator a = allFree(10, 100, 0);
    long b = a.allocateOne(50, false);
    assertEquals(50, b);
    assertNotEquals(50, a.allocateOne(50, false));
  }

  @Test
  void doubleFreeIsCountedAndRefusedAndForeignBlocksThrow() {
    BlockAllocator a = allFree(10, 100, 0);
    long before = a.freeBlocks();
    a.free(20, 1);
    assertEquals(before, a.freeBlocks(), "a free block freed again stays counted once");
    assertEquals(1, a.doubleFrees());
    long b = a.allocateOne(30, false);
    a.free(b, 1);
    a.free(b - 1, 3);
    assertEquals(before, a.freeBlocks());
    assertEquals(4, a.doubleFrees());
    assertThrows(IllegalArgumentException.class, () -> a.free(5, 2));
    assertThrows(IllegalArgumentException.class, () -> a.free(99, 2));
    assertThrows(IllegalArgumentException.class, () -> a.allocate(0, 0, false, new ArrayList<>()));
  }

  @Test
  void quarantinedBlocksAreNeverFreedAgain() {
    BlockAllocator a = allFree(10, 100, 0);
    java.util.List<long[]> got = new ArrayList<>();
    a.allocate(10, 40, false, got);
    a.quarantine(43, 2);
    a.free(40, 10);
    assertTrue(a.isFree(40, 3));
    assertFalse(a.isFree(43, 1));
    assertFalse(a.isFree(44, 1));
    assertTrue(a.isFree(45, 5));
    assertEquals(88, a.freeBlocks());
  }

  @Test
  void freeExtentsAreMergedAcrossGroups() {
    // Large enough for several allocation groups.
    long first = 100;
    long end = first + 5 * (1L << 15) + 17;
    BlockAllocator a = allFree(first, end, 0);
    List<long[]> ext = a.freeExtents();
    assertEquals(1, ext.size(), "one free run however many groups hold it");
    assertArrayEquals(new long[] {first, end - first}, ext.get(0));
    List<long[]> out = new ArrayList<>();
    a.allocate(end - first, 0, false, out);
    assertTrue(a.freeExtents().isEmpty());
    for (long[] e : out) {
      a.free(e[0], e[1]);
    }
    assertEquals(1, a.freeExtents().size());
    assertEquals(end - first, a.freeBlocks());
  }

  @Test
  void randomAllocationsAndFreesMatchABitmap() {
    SplittableRandom rnd = new SplittableRandom(7);
    long first = 50;
    long end = 50 + 3 * (1L << 15) + 1000;
    BlockAllocator a = allFree(first, end, 500);
    BitSet used = new BitSet();
    List<long[]> held = new ArrayList<>();
    for (int step = 0; step < 5000; step++) {
      if (held.isEmpty() || rnd.nextInt(3) > 0) {
        int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 3000);
        long hint = rnd.nextBoolean() ? 0 : rnd.nextLong(first, end);
        List<long[]> out = new ArrayList<>();
        long avail = a.availableBlocks();
        if (n > avail) {
          FsTesting.assertErrno(Errno.ENOSPC, () -> a.allocate(n, hint, false, out));
          continue;
        }
        a.allocate(n, hint, false, out);
        assertEquals(n, total(out));
        for (long[] e : out) {
          for (long b = e[0]; b < e[0] + e[1]; b++) {
            assertTrue(b >= first && b < end);
            assertFalse(used.get((int) b), "block " + b + " handed out twice");
            used.set((int) b);
          }
          held.add(e);
        }
      } else {
        long[] e = held.remove(rnd.nextInt(held.size()));
        a.free(e[0], e[1]);
        used.clear((int) e[0], (int) (e[0] + e[1]));
      }
      assertEquals((end - first) - used.cardinality(), a.freeBlocks());
    }
    long listed = total(a.freeExtents());
    assertEquals(a.freeBlocks(), listed);
    for (long[] e : a.freeExtents()) {
      assertTrue(used.nextSetBit((int) e[0]) < 0 || used.nextSetBit((int) e[0]) >= e[0] + e[1],
          "a listed free extent holds a used block");
    }
  }

  @Test
  void concurrentAllocationsNeverShareABlock() throws Exception {
    long first = 10;
    long end = 10 + 4 * (1L << 15);
    BlockAllocator a = allFree(first, end, 0);
    ConcurrentLinkedQueue<long[]> all = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int seed = t;
      threads.add(new Thread(() -> {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<long[]> mine = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
          if (!mine.isEmpty() && rnd.nextInt(4) == 0) {
            long[] e = mine.remove(mine.size() - 1);
            a.free(e[0], e[1]);
            continue;
          }
          List<long[]> out = new ArrayList<>();
          a.allocate(1 + rnd.nextInt(16), rnd.nextBoolean() ? 0 : rnd.nextLong(first, end),
              false, out);
          mine.addAll(out);
        }
        all.addAll(mine);
      }));
    }
    for (Thread t : threads) {
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    BitSet used = new BitSet();
    long n = 0;
    for (long[] e : all) {
      for (long b = e[0]; b < e[0] + e[1]; b++) {
        assertFalse(used.get((int) b), "block " + b + " held by two threads");
        used.set((int) b);
        n++;
      }
    }
    assertEquals(end - first - n, a.freeBlocks());
    assertEquals(a.freeBlocks(), total(a.freeExtents()));
  }

  @Test
  void defaultReserveIsOnePercentWithinBounds() {
    assertEquals(64, BlockAllocator.defaultReserve(4096));
    assertEquals(1000, BlockAllocator.defaultReserve(100_000));
    assertEquals(4096, BlockAllocator.defaultReserve(100_000_000));
  }
}
