package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mount and unmount: what the DRAM state is built from, and what a clean unmount leaves for
 * the next mount.
 *
 * <p>Mount: read the superblock (primary, else backup); roll back journal lanes that were
 * active; walk the inode table. After a clean unmount the allocator comes from the checkpoint
 * and inodes load lazily; otherwise every log is replayed, the allocator is the complement of
 * every block a log, a block map or the inode table references, and inodes left on the orphan
 * list are freed. Either way the superblock is then marked MOUNTED, so a crash from here on is
 * recognised as one.
 */
final class Recovery {
  private Recovery() {}

  static DaxFs mount(PmemRegion region, MountOptions options, DaxFs.Factory factory) {
    long t0 = System.nanoTime();
    Superblock sb = Superblock.load(region);
    TestSwitches switches = options.switches;
    int undone = Journal.recover(region, switches);

    Map<Long, String> damagedSlots = new HashMap<>();
    List<InodeTable.Slot> slots = new ArrayList<>();
    InodeTable table = InodeTable.load(region, sb.blockCount, slots::add, damagedSlots::put);
    if (table.chunkCount() < sb.inodeChunks) {
      throw new CorruptionException("inode table", Layout.offset(Layout.FIRST_INODE_CHUNK),
          "its chain ends after " + table.chunkCount() + " chunks; the superblock records "
              + sb.inodeChunks);
    }
    BlockAllocator allocator = new BlockAllocator(Layout.FIRST_ALLOCATABLE, sb.blockCount,
        sb.reserveBlocks);
    Journal journal = new Journal(region, switches, sb.mountCount + 1);
    Volume vol = new Volume(region, sb, allocator, table, journal, switches, options);
    Eviction eviction = new Eviction(vol);

    // mkfs leaves the superblock clean, never mounted and without a checkpoint; the first
    // mount marks it MOUNTED before any operation runs, so nothing else looks like this.
    boolean firstMount = sb.state == Superblock.STATE_CLEAN && undone == 0
        && sb.mountCount == 0 && sb.checkpointBlock == 0;
    String[] why = new String[1];
    List<long[]> free = null;
    if (firstMount) {
      why[0] = "first mount since mkfs: nothing to recover";
    } else if (sb.state == Superblock.STATE_CLEAN && undone == 0) {
      free = Checkpoint.read(region, sb, why);
    } else {
      why[0] = undone > 0
          ? "not cleanly unmounted; " + undone + " unfinished operation(s) rolled back"
          : "not cleanly unmounted (crash or kill)";
    }
    boolean clean = free != null;
    long scanned = 0;
    long crossLinked = 0;
    long damaged = damagedSlots.size();
    String reason;
    if (clean) {
      for (long[] e : free) {
        allocator.free(e[0], e[1]);
      }
      reason = "clean unmount: allocator checkpoint loaded";
    } else {
      UsedBlocks used = new UsedBlocks();
      for (long chunk : table.chunkBlocks()) {
        if (chunk >= Layout.FIRST_ALLOCATABLE) {
          used.add(chunk, InodeTable.CHUNK_BLOCKS);
        }
      }
      for (InodeTable.Slot slot : slots) {
        Inode in = InodeCache.replay(vol, slot);
        vol.cache.put(in);
        scanned++;
        if (in.damage != null) {
          damaged++;
        }
        addUsed(in, used);
      }
      for (long[] e : used.complement(Layout.FIRST_ALLOCATABLE, sb.blockCount)) {
        allocator.free(e[0], e[1]);
      }
      for (long[] x : used.overlaps()) {
        // Owned twice: neither owner may ever release it to a third.
        allocator.quarantine(x[0], x[1]);
        crossLinked += x[1];
      }
      reason = firstMount ? why[0] : why[0] + "; " + scanned + " inode logs replayed";
    }

    Inode root = vol.cache.peek(InodeTable.ROOT_INO);
    if (root == null) {
      InodeTable.Slot rootSlot = table.readSlot(InodeTable.ROOT_INO);
      if (rootSlot == null) {
        throw new CorruptionException("root directory", table.slotOffset(InodeTable.ROOT_INO),
            "its inode slot is free");
      }
      root = InodeCache.replay(vol, rootSlot);
      vol.cache.put(root);
    }
    if (root.damage != null || !root.isDir()) {
      throw new CorruptionException("root directory", table.slotOffset(InodeTable.ROOT_INO),
          root.damage != null ? root.damage : "inode 1 is not a directory");
    }

    long orphans = 0;
    for (InodeTable.Slot slot : slots) {
      if (slot.orphan()) {
        Inode in = vol.cache.peek(slot.ino());
        if (in == null) {
          in = InodeCache.replay(vol, slot);
          vol.cache.put(in);
        }
        if (in.damage != null || in.evicted) {
          continue;
        }
        if (in.links > 0) {
          // A named inode marked orphan (damage, or a crash in a repair): it keeps its data.
          eviction.clearOrphanMark(in);
          continue;
        }
        eviction.released(in);
        orphans++;
      }
    }

    sb.state = Superblock.STATE_MOUNTED;
    sb.inodeChunks = table.chunkCount();
    sb.mountCount++;
    sb.lastMount = System.currentTimeMillis() * 1_000_000L;
    sb.checkpointBlock = 0;
    sb.checkpointBlocks = 0;
    sb.checkpointCrc = 0;
    sb.store(region);

    MountReport report = new MountReport(clean, reason, System.nanoTime() - t0, undone, scanned,
        orphans, damaged, sb.fromBackup, firstMount);
    return factory.create(vol, eviction, report);
  }

  /** Clean unmount: orphans freed, allocator checkpoint written, superblock marked clean. */
  static void unmount(Volume vol, Eviction eviction) {
    vol.cleaner.stop();
    eviction.reaper.stop();
    for (Inode in : new ArrayList<>(vol.cache.all())) {
      if (in.orphan && !in.evicted && in.damage == null) {
        eviction.freeAtUnmount(in);
      }
    }
    Superblock sb = vol.sb;
    List<long[]> free = vol.allocator.freeExtents();
    long need = Checkpoint.blocksFor(free.size());
    List<long[]> got = new ArrayList<>();
    try {
      vol.allocator.allocate(need, 0, true, got);
    } catch (dev.daxfs.dax.ErrnoException e) {
      got.clear();
    }
    if (got.size() == 1) {
      long block = got.get(0)[0];
      sb.checkpointCrc = Checkpoint.write(vol.region, block, need, free, sb.mountCount);
      sb.checkpointBlock = block;
      sb.checkpointBlocks = need;
    } else {
      // Too fragmented for one contiguous checkpoint: the next mount scans instead.
      for (long[] g : got) {
        vol.allocator.free(g[0], g[1]);
      }
      sb.checkpointBlock = 0;
      sb.checkpointBlocks = 0;
      sb.checkpointCrc = 0;
    }
    sb.state = Superblock.STATE_CLEAN;
    sb.inodeChunks = vol.inodes.chunkCount();
    sb.lastUnmount = System.currentTimeMillis() * 1_000_000L;
    vol.region.fence();
    sb.store(vol.region);
  }

  /**
   * Adds the blocks {@code in} uses: its log pages (up to the damage, for a damaged log) and
   * every mapped block (those replay reached, for a damaged one).
   */
  static void addUsed(Inode in, UsedBlocks used) {
    long[] pages = in.log != null ? in.log.pageBlocks() : in.damagedLogPages;
    if (pages != null) {
      for (long page : pages) {
        used.add(page, 1);
      }
    }
    if (in.blocks != null) {
      in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> used.add(BlockMap.block(e), 1));
    }
  }

  /** Blocks in use, collected as runs, then turned into the free complement. */
  static final class UsedBlocks {
    /** Pairs of (start, length), unsorted, possibly overlapping. */
    private long[] runs = new long[1024];

    /** Number of longs used in {@link #runs}. */
    private int n;

    void add(long start, long len) {
      if (n >= 2 && runs[n - 2] + runs[n - 1] == start) {
        runs[n - 1] += len;
        return;
      }
      if (n + 2 > runs.length) {
        runs = Arrays.copyOf(runs, runs.length * 2);
      }
      runs[n++] = start;
      runs[n++] = len;
    }

    /** Sorted, merged runs. */
    List<long[]> merged() {
      long[][] pairs = new long[n / 2][];
      for (int i = 0; i < n; i += 2) {
        pairs[i / 2] = new long[] {runs[i], runs[i + 1]};
      }
      Arrays.sort(pairs, (a, b) -> Long.compare(a[0], b[0]));
      List<long[]> out = new ArrayList<>();
      for (long[] p : pairs) {
        if (!out.isEmpty()) {
          long[] last = out.get(out.size() - 1);
          if (p[0] <= last[0] + last[1]) {
            last[1] = Math.max(last[1], p[0] + p[1] - last[0]);
            continue;
          }
        }
        out.add(new long[] {p[0], p[1]});
      }
      return out;
    }

    /** Blocks covered by more than one run, as {@code {start, length}}. */
    List<long[]> overlaps() {
      long[][] pairs = new long[n / 2][];
      for (int i = 0; i < n; i += 2) {
        pairs[i / 2] = new long[] {runs[i], runs[i + 1]};
      }
      Arrays.sort(pairs, (a, b) -> Long.compare(a[0], b[0]));
      List<long[]> out = new ArrayList<>();
      long reach = -1;
      for (long[] p : pairs) {
        if (p[0] < reach) {
          long end = Math.min(reach, p[0] + p[1]);
          out.add(new long[] {p[0], end - p[0]});
        }
        reach = Math.max(reach, p[0] + p[1]);
      }
      return out;
    }

    /** The free extents of {@code [first, end)} not covered by any run. */
    List<long[]> complement(long first, long end) {
      List<long[]> free = new ArrayList<>();
      long cur = first;
      for (long[] r : merged()) {
        long rs = Math.max(r[0], first);
        long re = Math.min(r[0] + r[1], end);
        if (re <= rs) {
          continue;
        }
        if (rs > cur) {
          free.add(new long[] {cur, rs - cur});
        }
        cur = Math.max(cur, re);
      }
      if (cur < end) {
        free.add(new long[] {cur, end - cur});
      }
      return free;
    }
  }
}
