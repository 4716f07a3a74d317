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

  /** Blocks per chunk of a group's ownership bits (8 KiB of bits). */
  private static final int OWNED_CHUNK_SHIFT = 16;

  private static final long OWNED_CHUNK_MASK = (1L << OWNED_CHUNK_SHIFT) - 1;

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

  /**
   * Blocks never to be freed again: found owned twice at mount. Start to exclusive end;
   * guarded by this; empty on a healthy filesystem, so frees pay one volatile read.
   */
  private final TreeMap<Long, Long> quarantine = new TreeMap<>();

  /** Whether {@link #quarantine} holds anything. */
  private volatile boolean quarantined;

  /** Frees refused because the block was already free (a damaged image; fsck explains). */
  private final AtomicLong doubleFrees = new AtomicLong();

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

  /**
   * Marks {@code [start, start+len)} free; used while rebuilding and after frees commit. Blocks
   * already free (only a damaged image maps a free block) are counted and left alone, and
   * quarantined blocks are never freed.
   */
  void free(long start, long len) {
    if (len <= 0) {
      return;
    }
    if (start < first || start + len > end) {
      throw new IllegalArgumentException(
          "freeing [" + start + ", " + (start + len) + ") outside [" + first + ", " + end + ")");
    }
    if (quarantined) {
      synchronized (this) {
        long s = start;
        long e = start + len;
        Map.Entry<Long, Long> q = quarantine.floorEntry(s);
        if (q == null || q.getValue() <= s) {
          q = quarantine.higherEntry(s);
        }
        while (s < e) {
          if (q == null || q.getKey() >= e) {
            freeUnchecked(s, e - s);
            break;
          }
          long qs = Math.max(q.getKey(), s);
          if (s < qs) {
            freeUnchecked(s, qs - s);
          }
          s = Math.max(s, q.getValue());
          q = quarantine.higherEntry(q.getKey());
        }
        return;
      }
    }
    freeUnchecked(start, len);
  }

  private void freeUnchecked(long start, long len) {
    long s = start;
    long e = start + len;
    long freed = 0;
    while (s < e) {
      Group g = groups[groupOf(s)];
      long ge = Math.min(e, g.end);
      freed += g.free(s, ge);
      s = ge;
    }
    if (freed != len) {
      doubleFrees.addAndGet(len - freed);
    }
    free.addAndGet(freed);
  }

  /**
   * An inode being loaded uses {@code [start, start+len)}: those blocks leave the free space if
   * a checkpoint listed them free, and any already owned by another loaded inode are
   * quarantined (owned twice, they may never be handed to a third). Returns how many blocks
   * were owned twice.
   */
  long claim(long start, long len) {
    if (start < first || start + len > end || len <= 0) {
      return 0;
    }
    List<long[]> twice = new ArrayList<>();
    long s = start;
    long e = start + len;
    while (s < e) {
      Group g = groups[groupOf(s)];
      long ge = Math.min(e, g.end);
      long taken = g.claim(s, ge, twice);
      free.addAndGet(-taken);
      s = ge;
    }
    long n = 0;
    for (long[] t : twice) {
      quarantine(t[0], t[1]);
      n += t[1];
    }
    return n;
  }

  /** Keeps {@code [start, start+len)} out of the free space for good (owned twice). */
  synchronized void quarantine(long start, long len) {
    quarantine.put(start, start + len);
    quarantined = true;
  }

  /** Frees refused because the blocks were already free. */
  long doubleFrees() {
    return doubleFrees.get();
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
    debit(count, mayUseReserve);
    int start = firstGroup(hint);
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
    debit(1, mayUseReserve);
    int start = firstGroup(hint);
    for (int i = 0; i < groups.length; i++) {
      long b = groups[(start + i) % groups.length].takeOne(i == 0 ? hint : 0);
      if (b >= 0) {
        return b;
      }
    }
    throw new IllegalStateException("allocator counted a free block but found none");
  }

  /** Takes {@code count} blocks off the free counter, or throws ENOSPC. */
  private void debit(long count, boolean mayUseReserve) {
    long floor = mayUseReserve ? 0 : reserve;
    while (true) {
      long f = free.get();
      if (f - count < floor) {
        throw new ErrnoException(Errno.ENOSPC, "no free blocks for " + count + " more ("
            + f + " free, " + reserve + " reserved for deletes)");
      }
      if (free.compareAndSet(f, f - count)) {
        return;
      }
    }
  }

  /** The group an allocation searches first: the hint's, else one chosen by thread. */
  private int firstGroup(long hint) {
    return hint >= first && hint < end
        ? groupOf(hint)
        : (int) (Thread.currentThread().getId() % groups.length);
  }

  /** Every free extent as {@code {start, length}}, in block order (checkpoint, fsck). */
  List<long[]> freeExtents() {
    List<long[]> out = new ArrayList<>();
    for (Group g : groups) {
      g.freeRuns(out);
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

  /**
   * A contiguous run of blocks with its own lock and its own bitmaps: which blocks are free,
   * and which are owned (handed out by this allocator or claimed by a loading inode).
   * Allocation is lowest-first, from a cursor at or below the lowest free block, so freed
   * blocks are reused first (warm in cache and, on an emulated region, already backed).
   */
  private static final class Group {
    /** First block of the group. */
    final long start;

    /** One past the last block of the group. */
    final long end;

    /** Guards everything below. */
    final ReentrantLock lock = new ReentrantLock();

    /** One bit per block, set when free. */
    private final long[] free;

    /** One bit per word of {@link #free}, set when that word has a free block. */
    private final long[] freeWords;

    /** Owned bits, in chunks allocated on first use. */
    private final long[][] owned;

    /** No free block lies below this one. */
    private long lowest;

    Group(long start, long end) {
      this.start = start;
      this.end = end;
      this.free = new long[(int) ((end - start + 63) >>> 6)];
      this.freeWords = new long[(free.length + 63) >>> 6];
      this.owned = new long[(int) (((end - start) >>> OWNED_CHUNK_SHIFT) + 1)][];
      this.lowest = end;
    }

    private boolean isFreeBit(long b) {
      long i = b - start;
      return (free[(int) (i >>> 6)] & (1L << i)) != 0;
    }

    private void setFree(long b, boolean on) {
      long i = b - start;
      int w = (int) (i >>> 6);
      if (on) {
        free[w] |= 1L << i;
        freeWords[w >>> 6] |= 1L << w;
      } else if ((free[w] &= ~(1L << i)) == 0) {
        freeWords[w >>> 6] &= ~(1L << w);
      }
    }

    /** The first free block at or after {@code from}, or {@link #end}. */
    private long nextFree(long from) {
      if (from >= end) {
        return end;
      }
      long i = from - start;
      int w = (int) (i >>> 6);
      long word = free[w] & (-1L << i);
      if (word == 0) {
        // The summary skips 64 words (4096 blocks) of full bitmap per step.
        if (++w == free.length) {
          return end;
        }
        int s = w >>> 6;
        long summary = freeWords[s] & (-1L << w);
        while (summary == 0) {
          if (++s == freeWords.length) {
            return end;
          }
          summary = freeWords[s];
        }
        w = (s << 6) + Long.numberOfTrailingZeros(summary);
        word = free[w];
      }
      return Math.min(start + ((long) w << 6) + Long.numberOfTrailingZeros(word), end);
    }

    private boolean owned(long b) {
      long i = b - start;
      long[] c = owned[(int) (i >>> OWNED_CHUNK_SHIFT)];
      return c != null && (c[(int) ((i & OWNED_CHUNK_MASK) >>> 6)] & (1L << i)) != 0;
    }

    private void setOwned(long s, long e, boolean on) {
      for (long b = s; b < e; b++) {
        long i = b - start;
        int ci = (int) (i >>> OWNED_CHUNK_SHIFT);
        long[] c = owned[ci];
        if (c == null) {
          if (!on) {
            b = Math.min(e, start + ((long) (ci + 1) << OWNED_CHUNK_SHIFT)) - 1;
            continue;
          }
          c = owned[ci] = new long[1 << (OWNED_CHUNK_SHIFT - 6)];
        }
        int w = (int) ((i & OWNED_CHUNK_MASK) >>> 6);
        if (on) {
          c[w] |= 1L << i;
        } else {
          c[w] &= ~(1L << i);
        }
      }
    }

    /** Frees what of {@code [s, e)} is not free yet; returns how many blocks that was. */
    long free(long s, long e) {
      lock.lock();
      try {
        long freed = 0;
        for (long b = s; b < e; b++) {
          if (!isFreeBit(b)) {
            setFree(b, true);
            freed++;
          }
        }
        setOwned(s, e, false);
        if (freed > 0 && s < lowest) {
          lowest = s;
        }
        return freed;
      } finally {
        lock.unlock();
      }
    }

    /** Takes up to {@code want} blocks, starting at {@code hint} if it is free. */
    long take(long want, long hint, List<long[]> out) {
      lock.lock();
      try {
        long got = 0;
        if (hint >= start && hint < end && isFreeBit(hint)) {
          got += run(hint, want, out);
        }
        long b = nextFree(lowest);
        lowest = b;
        while (got < want && b < end) {
          got += run(b, want - got, out);
          b = nextFree(b);
          lowest = Math.min(lowest, b);
        }
        lowest = nextFree(lowest);
        return got;
      } finally {
        lock.unlock();
      }
    }

    /** Takes one block, {@code hint} if it is free; returns it, or -1 when none is free. */
    long takeOne(long hint) {
      lock.lock();
      try {
        long b = hint;
        if (hint < start || hint >= end || !isFreeBit(hint)) {
          b = nextFree(lowest);
          lowest = b;
          if (b >= end) {
            return -1;
          }
        }
        setFree(b, false);
        setOwned(b, b + 1, true);
        lowest = nextFree(lowest);
        return b;
      } finally {
        lock.unlock();
      }
    }

    /** Takes the free run at {@code at}, up to {@code want} blocks; returns its length. */
    private long run(long at, long want, List<long[]> out) {
      long n = 0;
      while (n < want && at + n < end && isFreeBit(at + n)) {
        setFree(at + n, false);
        n++;
      }
      setOwned(at, at + n, true);
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

    /** Free runs in block order, merged with {@code out}'s last run when adjacent. */
    void freeRuns(List<long[]> out) {
      lock.lock();
      try {
        long b = nextFree(start);
        while (b < end) {
          long e = b;
          while (e < end && isFreeBit(e)) {
            e++;
          }
          if (!out.isEmpty() && out.get(out.size() - 1)[0] + out.get(out.size() - 1)[1] == b) {
            out.get(out.size() - 1)[1] += e - b;
          } else {
            out.add(new long[] {b, e - b});
          }
          b = nextFree(e);
        }
      } finally {
        lock.unlock();
      }
    }

    boolean isFree(long s, long e) {
      lock.lock();
      try {
        for (long b = s; b < e; b++) {
          if (!isFreeBit(b)) {
            return false;
          }
        }
        return true;
      } finally {
        lock.unlock();
      }
    }

    /**
     * Marks {@code [s, e)} owned by a loading inode: blocks the free map holds are taken out of
     * it (a checkpoint that did not know them); blocks already owned are returned as runs
     * ({@code {start, length}}, owned twice).
     */
    long claim(long s, long e, List<long[]> twice) {
      lock.lock();
      try {
        long taken = 0;
        for (long b = s; b < e; b++) {
          if (owned(b)) {
            if (!twice.isEmpty() && twice.get(twice.size() - 1)[0]
                + twice.get(twice.size() - 1)[1] == b) {
              twice.get(twice.size() - 1)[1]++;
            } else {
              twice.add(new long[] {b, 1});
            }
            continue;
          }
          setOwned(b, b + 1, true);
          if (isFreeBit(b)) {
            setFree(b, false);
            taken++;
          }
        }
        return taken;
      } finally {
        lock.unlock();
      }
    }
  }
}
