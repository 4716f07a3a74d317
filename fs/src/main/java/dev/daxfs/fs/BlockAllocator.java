package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The free-block allocator: DRAM only, rebuilt at mount from the logs (after a crash) or from
 * the checkpoint a clean unmount wrote. Nothing on media records free space while mounted, so
 * a block becomes free in DRAM only after the log entry that stopped referencing it is durable.
 *
 * <p>The allocatable blocks are split into allocation groups, each with its own lock and its
 * own map of free extents, so that threads writing different files rarely meet; a thread
 * starts at the group of its hint (the block after the file's last one, which keeps sequential
 * files contiguous) or at a group chosen by its thread id, and moves on when a group is empty.
 *
 * <p>A reserve of blocks is kept back: ordinary allocations fail with ENOSPC when they would
 * dip into it, while the allocations of deleting operations (unlink, rmdir, truncate and punch
 * need log space to record what they free) may use it.
 */
final class BlockAllocator {

  /** Blocks per allocation group, at most; small regions get fewer, smaller groups. */
  private static final long GROUP_BLOCKS = 1L << 15;

  /** At most this many groups, so a huge region does not cost a lock per 128 MiB. */
  private static final int MAX_GROUPS = 64;

  /** First allocatable block. */
  private final long first;

  /** One past the last block. */
  private final long end;

  /** Free blocks kept back for deleting operations. */
  private final long reserve;

  /** Total free blocks; decremented before a group is searched, so it never overcommits. */
  private final AtomicLong free = new AtomicLong();

  /** The groups, in block order. */
  private final Group[] groups;

  /** Size of each group but possibly the last. */
  private final long groupSize;

  BlockAllocator(long first, long end, long reserve) {
    if (first < 0 || end <= first) {
      throw new IllegalArgumentException("empty allocatable range [" + first + ", " + end + ")");
    }
    this.first = first;
    this.end = end;
    this.reserve = reserve;
    long blocks = end - first;
    int n = (int) Math.max(1, Math.min(MAX_GROUPS, (blocks + GROUP_BLOCKS - 1) / GROUP_BLOCKS));
    this.groupSize = (blocks + n - 1) / n;
    this.groups = new Group[n];
    for (int i = 0; i < n; i++) {
      long gs = first + i * groupSize;
      groups[i] = new Group(gs, Math.min(end, gs + groupSize));
    }
  }

  /** Chooses the reserve for a filesystem of {@code blocks} blocks: 1%, within [64, 4096]. */
  static long defaultReserve(long blocks) {
    return Math.max(64, Math.min(4096, blocks / 100));
  }

  long firstBlock() {
    return first;
  }

  long endBlock() {
    return end;
  }

  long reserve() {
    return reserve;
  }

  /** Free blocks, including the reserve. */
  long freeBlocks() {
    return free.get();
  }

  /** Free blocks an ordinary allocation may still take. */
  long availableBlocks() {
    return Math.max(0, free.get() - reserve);
  }

  /** Marks {@code [start, start+len)} free; used while rebuilding and after frees commit. */
  void free(long start, long len) {
    if (len <= 0) {
      return;
    }
    if (start < first || start + len > end) {
      throw new IllegalArgumentException(
          "freeing [" + start + ", " + (start + len) + ") outside [" + first + ", " + end + ")");
    }
    long s = start;
    long e = start + len;
    while (s < e) {
      Group g = groups[groupOf(s)];
      long ge = Math.min(e, g.end);
      g.free(s, ge);
      s = ge;
    }
    free.addAndGet(len);
  }

  /**
   * Allocates {@code count} blocks as one or more extents, preferring to start at {@code hint}
   * (0 for none). Appends {@code {start, length}} pairs to {@code out}.
   *
   * @param mayUseReserve true for the allocations of deleting operations
   * @throws ErrnoException ENOSPC when not enough blocks are free; nothing is allocated then
   */
  void allocate(long count, long hint, boolean mayUseReserve, List<long[]> out) {
    if (count <= 0) {
      throw new IllegalArgumentException("allocation of " + count + " blocks");
    }
    long floor = mayUseReserve ? 0 : reserve;
    while (true) {
      long f = free.get();
      if (f - count < floor) {
        throw new ErrnoException(Errno.ENOSPC, "no free blocks for " + count + " more ("
            + f + " free, " + reserve + " reserved for deletes)");
      }
      if (free.compareAndSet(f, f - count)) {
        break;
      }
    }
    int start = hint >= first && hint < end
        ? groupOf(hint)
        : (int) (Thread.currentThread().getId() % groups.length);
    long need = count;
    for (int i = 0; i < groups.length && need > 0; i++) {
      Group g = groups[(start + i) % groups.length];
      need -= g.take(need, i == 0 ? hint : 0, out);
    }
    if (need > 0) {
      // The counter promised these blocks; groups not holding them means the counter is wrong.
      throw new IllegalStateException("allocator counted " + count + " free blocks but found "
          + (count - need));
    }
  }

  /** Allocates one block, preferring {@code hint}. */
  long allocateOne(long hint, boolean mayUseReserve) {
    List<long[]> out = new ArrayList<>(1);
    allocate(1, hint, mayUseReserve, out);
    return out.get(0)[0];
  }

  /** Every free extent as {@code {start, length}}, in block order (checkpoint, fsck). */
  List<long[]> freeExtents() {
    List<long[]> out = new ArrayList<>();
    for (Group g : groups) {
      g.lock.lock();
      try {
        for (Map.Entry<Long, Long> e : g.extents.entrySet()) {
          long s = e.getKey();
          long len = e.getValue() - s;
          if (!out.isEmpty()) {
            long[] last = out.get(out.size() - 1);
            if (last[0] + last[1] == s) {
              last[1] += len;
              continue;
            }
          }
          out.add(new long[] {s, len});
        }
      } finally {
        g.lock.unlock();
      }
    }
    return out;
  }

  /** True when every block of {@code [start, start+len)} is free (fsck, tests). */
  boolean isFree(long start, long len) {
    long s = start;
    long e = start + len;
    while (s < e) {
      if (s < first || s >= end) {
        return false;
      }
      Group g = groups[groupOf(s)];
      long ge = Math.min(e, g.end);
      if (!g.isFree(s, ge)) {
        return false;
      }
      s = ge;
    }
    return true;
  }

  private int groupOf(long block) {
    return (int) ((block - first) / groupSize);
  }

  /** A contiguous run of blocks with its own free map. */
  private static final class Group {
    /** First block of the group. */
    final long start;

    /** One past the last block of the group. */
    final long end;

    /** Guards {@link #extents}. */
    final ReentrantLock lock = new ReentrantLock();

    /** Free extents: start to exclusive end, never adjacent (merged on free). */
    final TreeMap<Long, Long> extents = new TreeMap<>();

    Group(long start, long end) {
      this.start = start;
      this.end = end;
    }

    void free(long s, long e) {
      lock.lock();
      try {
        Map.Entry<Long, Long> before = extents.floorEntry(s);
        if (before != null && before.getValue() > s) {
          throw new IllegalStateException("double free of block " + s + " (free extent ["
              + before.getKey() + ", " + before.getValue() + "))");
        }
        Map.Entry<Long, Long> after = extents.ceilingEntry(s);
        if (after != null && after.getKey() < e) {
          throw new IllegalStateException("double free of block " + after.getKey());
        }
        long ns = s;
        long ne = e;
        if (before != null && before.getValue() == s) {
          ns = before.getKey();
          extents.remove(before.getKey());
        }
        if (after != null && after.getKey() == e) {
          ne = after.getValue();
          extents.remove(after.getKey());
        }
        extents.put(ns, ne);
      } finally {
        lock.unlock();
      }
    }

    /** Takes up to {@code want} blocks, starting at {@code hint} if it is free. */
    long take(long want, long hint, List<long[]> out) {
      lock.lock();
      try {
        long got = 0;
        if (hint > 0) {
          Map.Entry<Long, Long> e = extents.floorEntry(hint);
          if (e != null && e.getValue() > hint) {
            got += carve(e.getKey(), e.getValue(), hint, want, out);
          }
        }
        while (got < want && !extents.isEmpty()) {
          Map.Entry<Long, Long> e = extents.firstEntry();
          got += carve(e.getKey(), e.getValue(), e.getKey(), want - got, out);
        }
        return got;
      } finally {
        lock.unlock();
      }
    }

    /** Removes up to {@code want} blocks at {@code at} from the free extent [s, e). */
    private long carve(long s, long e, long at, long want, List<long[]> out) {
      long n = Math.min(want, e - at);
      extents.remove(s);
      if (s < at) {
        extents.put(s, at);
      }
      if (at + n < e) {
        extents.put(at + n, e);
      }
      if (!out.isEmpty()) {
        long[] last = out.get(out.size() - 1);
        if (last[0] + last[1] == at) {
          last[1] += n;
          return n;
        }
      }
      out.add(new long[] {at, n});
      return n;
    }

    boolean isFree(long s, long e) {
      lock.lock();
      try {
        Map.Entry<Long, Long> f = extents.floorEntry(s);
        return f != null && f.getValue() >= e;
      } finally {
        lock.unlock();
      }
    }
  }
}
