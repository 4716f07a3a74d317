package dev.daxfs.fs;

import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.OverlayRegion;
import dev.daxfs.pmem.PmemRegion;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The consistency checker: every invariant of an unmounted filesystem, checked in time
 * proportional to its metadata (logs are replayed; data blocks are never read).
 *
 * <p>The check never writes the image: it works on a {@link OverlayRegion}, where it rolls back
 * an unfinished journal transaction as a mount would, and judges the state a mount would see.
 * With repair it fixes what needs no guessing (orphan words, link counts, dangling directory
 * entries, a wrong "..", a stale allocator checkpoint, an unfinished journal) through the
 * filesystem's own commit machinery on a mount of the real image, unmounts cleanly, and checks
 * again. Exit codes follow e2fsck: 0 clean, 1 errors corrected, 4 errors left.
 */
public final class Fsck {

  /** One finding. {@code fixable} says whether repair knows how to fix it. */
  public record Problem(String kind, String where, String message, boolean fixable) {}

  /** Told about progress, for a progress bar. */
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  /** What a check found, and, after a repair, what it fixed. */
  public static final class Report {
    /** Problems found by the (last) check. */
    public final List<Problem> problems = new ArrayList<>();
    /** Problems the repair fixed (found by the first check, gone in the second). */
    public final List<Problem> fixed = new ArrayList<>();
    /** Counts of what the check saw. */
    public final Map<String, Long> counts = new LinkedHashMap<>();
    /** Set when a repair ran. */
    public boolean repaired;

    /** 0 clean, 1 errors corrected, 4 errors left (e2fsck's codes). */
    public int exitCode() {
      if (!problems.isEmpty()) {
        return 4;
      }
      return fixed.isEmpty() ? 0 : 1;
    }

    /** The report as maps and lists, for JSON. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("errors", problems.size());
      m.put("problems", problems.stream().map(Fsck::problemMap).toList());
      if (repaired) {
        m.put("fixed", fixed.stream().map(Fsck::problemMap).toList());
      }
      m.put("counts", counts);
      m.put("exit_code", exitCode());
      return m;
    }
  }

  private static Map<String, Object> problemMap(Problem p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", p.kind());
    m.put("where", p.where());
    m.put("message", p.message());
    m.put("fixable", p.fixable());
    return m;
  }

  private Fsck() {}

  /** Checks {@code region} without changing it. */
  public static Report check(PmemRegion region, Progress progress) {
    Report r = new Report();
    new Checker(region, r, progress).run();
    return r;
  }

  /**
   * Checks, then repairs what can be repaired and checks again. The region must be writable
   * and not mounted.
   */
  public static Report repair(PmemRegion region, Progress progress) {
    Report first = check(region, progress);
    if (first.problems.isEmpty() || first.problems.stream().noneMatch(Problem::fixable)
        || first.problems.stream().anyMatch(p -> p.kind().equals("fatal"))) {
      return first;
    }
    Repairer.repair(region, first);
    Report second = check(region, progress);
    second.repaired = true;
    for (Problem p : first.problems) {
      if (p.fixable() && second.problems.stream().noneMatch(q -> q.kind().equals(p.kind())
          && q.where().equals(p.where()))) {
        second.fixed.add(p);
      }
    }
    return second;
  }

  /** One read-only pass over an image. */
  private static final class Checker {
    private final PmemRegion image;
    private final Report report;
    private final Progress progress;

    /** Valid inodes as replayed, by number. */
    private final Map<Long, Inode> inodes = new HashMap<>();

    /** Slots as read (for orphan words). */
    private final Map<Long, InodeTable.Slot> slots = new HashMap<>();

    /** Inodes whose slot or log is damaged (their numbers stay taken). */
    private final java.util.Set<Long> damagedInos = new java.util.HashSet<>();

    /** Damaged inodes as far as their logs could be read: their blocks stay in use. */
    private final List<Inode> partial = new ArrayList<>();

    Checker(PmemRegion image, Report report, Progress progress) {
      this.image = image;
      this.report = report;
      this.progress = progress;
    }

    private void problem(String kind, String where, String message, boolean fixable) {
      report.problems.add(new Problem(kind, where, message, fixable));
    }

    void run() {
      Superblock sb = superblocks();
      if (sb == null) {
        return;
      }
      OverlayRegion view = new OverlayRegion(image);
      for (int lane = 0; lane < Journal.LANES; lane++) {
        long state = Journal.laneState(view, lane);
        if (state > 0) {
          problem("journal", "journal lane " + lane, "an operation was cut short; recovery "
              + "rolls it back", true);
        }
      }
      try {
        Journal.recover(view, TestSwitches.none());
      } catch (CorruptionException e) {
        problem("fatal", e.structure(), e.getMessage(), false);
        return;
      }
      Map<Long, String> damaged = new LinkedHashMap<>();
      List<InodeTable.Slot> found = new ArrayList<>();
      InodeTable table;
      try {
        table = InodeTable.load(view, sb.blockCount, found::add, damaged::put);
      } catch (CorruptionException e) {
        problem("fatal", e.structure(), e.getMessage(), false);
        return;
      }
      damaged.forEach((ino, why) -> problem("inode", "inode " + ino, why, false));
      damagedInos.addAll(damaged.keySet());
      BlockAllocator none = new BlockAllocator(Layout.FIRST_ALLOCATABLE, sb.blockCount, 0);
      Volume vol = new Volume(view, sb, none, table, null, TestSwitches.none(),
          MountOptions.defaults());
      long n = 0;
      for (InodeTable.Slot slot : found) {
        progress.update("inodes", ++n, found.size());
        slots.put(slot.ino(), slot);
        Inode in = InodeCache.replay(vol, slot);
        if (in.damage != null) {
          problem("inode", "inode " + slot.ino(), in.damage + " (the inode answers EIO)", false);
          damagedInos.add(slot.ino());
          partial.add(in);
          continue;
        }
        inodes.put(slot.ino(), in);
      }
      blocks(sb, table);
      if (sb.dataChecksums()) {
        Scrub.Report data = new Scrub.Report();
        for (Inode in : inodes.values()) {
          Scrub.scrub(view, in, data);
        }
        for (Scrub.Mismatch m : data.mismatches) {
          problem("data", "page " + m.page() + " of inode " + m.ino() + " (block " + m.block()
              + ")", m.problem() + ": reads of it answer EIO", false);
        }
        report.counts.put("data_blocks_verified", data.blocksVerified);
        report.counts.put("stale_blocks", data.staleBlocks);
      }
      tree();
      links();
      sizes();
      report.counts.put("inodes", (long) slots.size() + damaged.size());
      report.counts.put("directories", inodes.values().stream().filter(Inode::isDir).count());
      report.counts.put("regular_files",
          inodes.values().stream().filter(Inode::isRegular).count());
      report.counts.put("symlinks", inodes.values().stream().filter(Inode::isSymlink).count());
      report.counts.put("damaged_inodes", (long) damaged.size()
          + (slots.size() - inodes.size()));
    }

    private Superblock superblocks() {
      Superblock primary = null;
      Superblock backup = null;
      try {
        primary = Superblock.decode(image, Superblock.PRIMARY_BLOCK, "primary superblock");
      } catch (CorruptionException e) {
        problem("superblock", "primary superblock", e.getMessage(), true);
      }
      try {
        backup = Superblock.decode(image, Superblock.BACKUP_BLOCK, "backup superblock");
      } catch (CorruptionException e) {
        problem("superblock", "backup superblock", e.getMessage(), true);
      }
      if (primary == null && backup == null) {
        problem("fatal", "superblock", "neither superblock copy is usable", false);
        return null;
      }
      if (primary != null && backup != null && !java.util.Arrays.equals(primary.encode(),
          backup.encode())) {
        problem("superblock", "backup superblock", "differs from the primary", true);
      }
      return primary != null ? primary : backup;
    }

    /** Each block has one owner: metadata, an inode-table chunk, a log page, or file data. */
    private void blocks(Superblock sb, InodeTable table) {
      List<long[]> runs = new ArrayList<>(); // start, length, ino (0 = metadata), page (-1 log)
      for (long chunk : table.chunkBlocks()) {
        if (chunk >= Layout.FIRST_ALLOCATABLE) {
          runs.add(new long[] {chunk, InodeTable.CHUNK_BLOCKS, 0, -2});
        }
      }
      long logPages = 0;
      long dataBlocks = 0;
      for (Inode in : inodes.values()) {
        for (long p : in.log.pageBlocks()) {
          runs.add(new long[] {p, 1, in.ino, -1});
          logPages++;
        }
        if (in.blocks != null) {
          long[] cur = {-1, 0, in.ino, 0};
          List<long[]> mine = new ArrayList<>();
          in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
            long b = BlockMap.block(e);
            if (cur[0] >= 0 && cur[0] + cur[1] == b && cur[3] + cur[1] == page) {
              cur[1]++;
            } else {
              if (cur[0] >= 0) {
                mine.add(cur.clone());
              }
              cur[0] = b;
              cur[1] = 1;
              cur[3] = page;
            }
          });
          if (cur[0] >= 0) {
            mine.add(cur.clone());
          }
          runs.addAll(mine);
          dataBlocks += in.blocks.mappedPages();
        }
      }
      for (Inode in : partial) {
        // What a damaged inode's log still shows it uses stays used, as recovery keeps it.
        Recovery.UsedBlocks mine = new Recovery.UsedBlocks();
        Recovery.addUsed(in, mine);
        for (long[] m : mine.merged()) {
          runs.add(new long[] {m[0], m[1], in.ino, -3});
        }
      }
      runs.sort((a, b) -> Long.compare(a[0], b[0]));
      long[] prev = null;
      Recovery.UsedBlocks used = new Recovery.UsedBlocks();
      for (long[] run : runs) {
        if (prev != null && run[0] < prev[0] + prev[1]) {
          problem("blocks", "block " + run[0], "belongs to both " + owner(prev, run[0])
              + " and " + owner(run, run[0]), false);
        }
        if (prev == null || run[0] + run[1] > prev[0] + prev[1]) {
          prev = run;
        }
        used.add(run[0], run[1]);
      }
      List<long[]> free = used.complement(Layout.FIRST_ALLOCATABLE, sb.blockCount);
      long freeBlocks = free.stream().mapToLong(e -> e[1]).sum();
      report.counts.put("blocks", sb.blockCount);
      report.counts.put("data_blocks", dataBlocks);
      report.counts.put("log_pages", logPages);
      report.counts.put("free_blocks", freeBlocks);
      if (sb.state == Superblock.STATE_CLEAN && sb.checkpointBlock != 0 && damagedInos.isEmpty()) {
        // With a damaged inode the blocks past its damage are unknown here, while the
        // checkpoint (written before the damage) knew them: no comparison can be trusted.
        String[] why = new String[1];
        List<long[]> saved = Checkpoint.read(image, sb, why);
        if (saved == null) {
          problem("allocator", "allocator checkpoint", why[0], true);
        } else if (!sameExtents(saved, free)) {
          problem("allocator", "allocator checkpoint", "the saved free space ("
              + saved.stream().mapToLong(e -> e[1]).sum() + " blocks) differs from the blocks "
              + "no structure uses (" + freeBlocks + ")", true);
        }
      }
    }

    private static boolean sameExtents(List<long[]> a, List<long[]> b) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i)[0] != b.get(i)[0] || a.get(i)[1] != b.get(i)[1]) {
          return false;
        }
      }
      return true;
    }

    private static String owner(long[] run, long block) {
      if (run[2] == 0) {
        return "the inode table";
      }
      if (run[3] == -1) {
        return "the log of inode " + run[2];
      }
      if (run[3] == -3) {
        return "damaged inode " + run[2];
      }
      return "page " + (run[3] + block - run[0]) + " of inode " + run[2];
    }

    /** Names per non-directory inode, found by the walk. */
    private final Map<Long, Integer> names = new HashMap<>();

    /** Directories reached by the walk. */
    private final Map<Long, Long> reachedFrom = new HashMap<>();

    /** The tree from the root: connected, acyclic, ".." right, entries pointing at inodes. */
    private void tree() {
      Inode root = inodes.get(InodeTable.ROOT_INO);
      if (root == null || !root.isDir()) {
        problem("fatal", "inode 1", "the root directory is missing or not a directory", false);
        return;
      }
      if (root.parent != InodeTable.ROOT_INO) {
        problem("tree", "inode 1", "the root's \"..\" names inode " + root.parent, true);
      }
      ArrayDeque<Inode> unvisited = new ArrayDeque<>();
      unvisited.add(root);
      reachedFrom.put(root.ino, root.ino);
      while (!unvisited.isEmpty()) {
        Inode dir = unvisited.poll();
        for (Directory.Dentry d : dir.dir.all()) {
          String where = "entry \"" + d.name() + "\" of directory " + dir.ino;
          Inode child = inodes.get(d.ino());
          if (child == null) {
            boolean damagedChild = damagedInos.contains(d.ino());
            problem(damagedChild ? "inode" : "dangling", where, damagedChild
                ? "names inode " + d.ino() + ", whose log is damaged"
                : "names inode " + d.ino() + ", which is not in use", !damagedChild);
            continue;
          }
          if ((child.type & Mode.S_IFMT) != (d.type() & Mode.S_IFMT)) {
            problem("tree", where, "records type " + Inspector.typeName(d.type())
                + " for a " + Inspector.typeName(child.type), false);
          }
          if (child.isDir()) {
            Long earlier = reachedFrom.putIfAbsent(child.ino, dir.ino);
            if (earlier != null) {
              problem("tree", where, "directory " + child.ino + " is also reached from "
                  + "directory " + earlier + " (a second name or a cycle)", false);
              continue;
            }
            if (child.parent != dir.ino) {
              problem("tree", "directory " + child.ino, "its \"..\" names inode "
                  + child.parent + " but it lives in directory " + dir.ino, true);
            }
            unvisited.add(child);
          } else {
            names.merge(child.ino, 1, Integer::sum);
          }
        }
      }
    }

    /** Link counts against names; orphan words against link counts. */
    private void links() {
      for (Inode in : inodes.values()) {
        InodeTable.Slot slot = slots.get(in.ino);
        String where = "inode " + in.ino;
        if (in.isDir()) {
          boolean reached = reachedFrom.containsKey(in.ino);
          if (!reached && in.links > 0) {
            problem("tree", where, "directory is not reachable from the root", false);
          }
          if (reached && in.links == 0) {
            problem("links", where, "directory in the tree records no link", false);
          }
          if (in.links == 0 && !slot.orphan()) {
            problem("orphan", where, "removed directory is not on the orphan list", true);
          }
          if (in.links > 0 && slot.orphan()) {
            problem("orphan", where, "directory on the orphan list still has a name", true);
          }
          continue;
        }
        int n = names.getOrDefault(in.ino, 0);
        if (n > 0 && in.links != n) {
          problem("links", where, "link count " + in.links + " but " + n + " names", true);
        }
        if (n == 0 && in.links > 0 && !slot.orphan()) {
          problem("tree", where, "has " + in.links + " links but no name (lost)", false);
        }
        if (n == 0 && in.links == 0 && !slot.orphan()) {
          problem("orphan", where, "no name and no link, but not on the orphan list", true);
        }
        if (n > 0 && slot.orphan()) {
          problem("orphan", where, "on the orphan list but named", true);
        }
      }
    }

    /** Sizes agree with block maps: no written block lies beyond the end of file. */
    private void sizes() {
      for (Inode in : inodes.values()) {
        if (!in.isRegular()) {
          continue;
        }
        long firstBeyond = FileIo.pagesFor(in.size);
        long[] bad = {-1};
        in.blocks.forEach(firstBeyond, Long.MAX_VALUE, (page, e) -> {
          if (bad[0] < 0 && !BlockMap.isUnwritten(e)) {
            bad[0] = page;
          }
        });
        if (bad[0] >= 0) {
          problem("size", "inode " + in.ino, "written page " + bad[0] + " lies beyond the "
              + "size " + in.size, false);
        }
      }
    }
  }

  /** Applies the fixes through a mount of the image. */
  private static final class Repairer {
    static void repair(PmemRegion region, Report found) {
      Superblock sb = Superblock.load(region);
      if (found.problems.stream().anyMatch(p -> p.kind().equals("allocator"))
          || sb.fromBackup) {
        // A mount must scan rather than trust the checkpoint; a store rewrites both copies.
        sb.state = Superblock.STATE_MOUNTED;
        sb.checkpointBlock = 0;
        sb.checkpointBlocks = 0;
        sb.checkpointCrc = 0;
        sb.store(region);
      } else if (found.problems.stream().anyMatch(p -> p.kind().equals("superblock"))) {
        sb.store(region);
      }
      DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
      Volume vol = fs.volume();
      try {
        fixTree(vol);
      } finally {
        fs.unmount();
      }
    }

    /** Dangling entries, wrong "..", link counts and orphan words, from the mounted state. */
    private static void fixTree(Volume vol) {
      Map<Long, Integer> names = new HashMap<>();
      ArrayDeque<Inode> unvisited = new ArrayDeque<>();
      Inode root = vol.cache.get(InodeTable.ROOT_INO);
      unvisited.add(root);
      java.util.Set<Long> seen = new java.util.HashSet<>();
      seen.add(root.ino);
      while (!unvisited.isEmpty()) {
        Inode dir = unvisited.poll();
        for (Directory.Dentry d : dir.dir.all()) {
          Inode child;
          try {
            child = vol.cache.get(d.ino());
          } catch (ErrnoException e) {
            if (e.errno() == dev.daxfs.dax.Errno.ENOENT) {
              commit(vol, dir, Entries.dentryDel(d.name(), d.cookie(), vol.now()));
            }
            continue;
          }
          if (child.isDir()) {
            if (seen.add(child.ino)) {
              if (child.parent != dir.ino) {
                commit(vol, child, Entries.parent(dir.ino, vol.now()));
              }
              unvisited.add(child);
            }
          } else {
            names.merge(child.ino, 1, Integer::sum);
          }
        }
      }
      if (root.parent != root.ino) {
        commit(vol, root, Entries.parent(root.ino, vol.now()));
      }
      for (Inode in : new ArrayList<>(vol.cache.all())) {
        if (in.damage != null || in.evicted || in.isDir()) {
          continue;
        }
        int n = names.getOrDefault(in.ino, 0);
        if (n > 0 && in.links != n) {
          commit(vol, in, Entries.link(n, vol.now()));
        }
        long orphanWord = vol.inodes.slotOffset(in.ino) + InodeTable.ORPHAN;
        if (n > 0 && in.orphan) {
          setWord(vol, orphanWord, InodeTable.orphanWord(in.ino, false));
          in.orphan = false;
        } else if (n == 0 && in.links == 0 && !in.orphan) {
          setWord(vol, orphanWord, InodeTable.orphanWord(in.ino, true));
          in.orphan = true;
        }
      }
    }

    private static void commit(Volume vol, Inode in, java.nio.ByteBuffer entry) {
      in.lock.writeLock().lock();
      try {
        Txn txn = new Txn(vol, true);
        txn.append(in, entry);
        txn.commit();
      } finally {
        in.lock.writeLock().unlock();
      }
    }

    private static void setWord(Volume vol, long offset, long value) {
      Txn txn = new Txn(vol, true);
      txn.word(offset, value);
      txn.commit();
    }
  }
}
