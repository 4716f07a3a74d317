package dev.daxfs.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Log cleaning: keeps per-inode logs from growing without bound. Cleaning copies live log
 * entries; it never moves a data block (DESIGN.md: anything that moves data goes through the
 * layout break).
 *
 * <ul>
 *   <li>Fast cleaning unlinks the log pages whose entries are all dead ({@link LogLiveness}):
 *       every changed next pointer is set in one journal transaction, so an added-then-removed
 *       name leaves with both of its entries or not at all.
 *   <li>Thorough cleaning, when live entries fill less than half of the log, writes a fresh log
 *       that states the inode as it is (init, extents, names, attributes), replays it to check
 *       that it does, and switches the log head and tail in one journal transaction.
 * </ul>
 *
 * <p>Both run under the inode's metadata lock, which every log append takes, including DAX
 * faults. A commit fast-cleans directories, symlinks and small files itself and reports the
 * others to a background worker; {@link #clean} is the on-demand call. A crash at any fence
 * leaves either the old log or the new one.
 */
final class LogCleaner {

  /** Logs shorter than this are never cleaned. */
  static final int MIN_PAGES = 4;

  /**
   * Files mapping at most this many pages are fast-cleaned by the committing thread: counting
   * their mapping entries costs less than waking the worker and handing it the inode's lock.
   */
  static final int FOREGROUND_MAPPED_PAGES = 64;

  /** The mapping entries of an inode without a block map. */
  private static final long[] NO_ENTRIES = new long[0];

  /** Most next pointers one fast clean changes (one journal transaction holds them all). */
  private static final int MAX_UNLINKS = Journal.MAX_ENTRIES - 2;

  /** The filesystem. */
  private final Volume vol;

  /** Inodes a commit flagged, from then until the worker has cleaned them. */
  private final Set<Inode> queued = ConcurrentHashMap.newKeySet();

  /** Wakes the worker. */
  private final Semaphore news = new Semaphore(0);

  /** The worker, started on the first queued inode; guarded by this. */
  private Thread worker;

  /** Set at unmount. */
  private volatile boolean stopping;

  LogCleaner(Volume vol) {
    this.vol = vol;
  }

  /** What one cleaning did. */
  record Result(int pagesFreedFast, int pagesFreedThorough, int pagesWritten) {
    static final Result NONE = new Result(0, 0, 0);

    Result plus(Result o) {
      return new Result(pagesFreedFast + o.pagesFreedFast,
          pagesFreedThorough + o.pagesFreedThorough, pagesWritten + o.pagesWritten);
    }
  }

  /**
   * How much a log grows between background cleanings. A rewrite copies every live entry, and
   * overwrites spread over a large file leave a live entry on nearly every page: at 2 the
   * cleaner rewrote one entry per entry appended, doubling the log work of a random write; at
   * 4 it rewrites one per three, and a log stays within four times its live entries.
   */
  static final int GROWTH_BETWEEN_CLEANINGS = 4;

  /**
   * The trigger: a log of several pages that has grown {@link #GROWTH_BETWEEN_CLEANINGS}-fold
   * since it was last cleaned or loaded. Cheap on every commit; the cleaning then measures
   * liveness exactly and rewrites only when live entries fill less than half of the log, so the
   * cost stays proportional to what was appended.
   */
  static boolean worthCleaning(Inode in) {
    if (in.log == null) {
      return false;
    }
    int pages = in.log.pageCount();
    return pages >= MIN_PAGES
        && pages >= GROWTH_BETWEEN_CLEANINGS * Math.max(1, in.logPagesAtLastClean);
  }

  /**
   * The log offsets of the entries that map the file's pages now, sorted and distinct. Counted
   * when needed rather than on every write, which would touch a cold entry per overwritten page;
   * primitive arrays, since a large file has an entry per page.
   */
  private static long[] mappingEntries(Inode in) {
    if (in.blocks == null) {
      return NO_ENTRIES;
    }
    long[][] acc = {new long[(int) Math.min(Math.max(16, in.blocks.mappedPages()), 1 << 24)]};
    int[] n = {0};
    in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
      long d = in.blocks.definer(page);
      if (d != 0) {
        if (n[0] == acc[0].length) {
          acc[0] = Arrays.copyOf(acc[0], n[0] * 2);
        }
        acc[0][n[0]++] = d;
      }
    });
    long[] d = acc[0];
    Arrays.sort(d, 0, n[0]);
    int distinct = 0;
    for (int i = 0; i < n[0]; i++) {
      if (distinct == 0 || d[distinct - 1] != d[i]) {
        d[distinct++] = d[i];
      }
    }
    return Arrays.copyOf(d, distinct);
  }

  /** Whether an entry of {@code entries} (sorted offsets) lies in log page {@code block}. */
  private static boolean holdsAny(long[] entries, long block) {
    long start = block << Layout.BLOCK_SHIFT;
    int i = Arrays.binarySearch(entries, start);
    int at = i >= 0 ? i : -i - 1;
    return at < entries.length && entries[at] >>> Layout.BLOCK_SHIFT == block;
  }

  /**
   * Bytes of live entries in {@code in}'s log. An extent that is also the latest writer of the
   * size or times is counted twice; there are at most three of those.
   */
  long liveBytes(Inode in) {
    return liveBytes(in, mappingEntries(in));
  }

  private long liveBytes(Inode in, long[] mapping) {
    long bytes = in.live.liveBytes();
    for (long offset : mapping) {
      bytes += vol.region.loadInt(offset) >>> 16;
    }
    return bytes;
  }

  /**
   * Called after a commit touched {@code in} (metadata lock held): cleans or queues it if due.
   * A directory, a symlink or a small file is fast-cleaned right here, as NOVA's fast GC runs
   * in the foreground: it costs a look at a few pages, while handing the inode to the worker
   * would cost a wake-up and two lock hand-offs between threads that both want its lock (a
   * directory under a stream of creates is cleaned every few hundred of them). Large files
   * go to the worker, which counts their mapping entries off the write path.
   */
  void committed(Inode in) {
    if (stopping || !vol.options.backgroundCleaning || !worthCleaning(in)) {
      return;
    }
    if (in.blocks == null || in.blocks.mappedPages() <= FOREGROUND_MAPPED_PAGES) {
      if (in.evicted || in.damage != null) {
        return;
      }
      try {
        long[] mapping = mappingEntries(in);
        counted(fast(in, mapping));
        if (!worthRewriting(in, mapping)) {
          return;
        }
      } catch (RuntimeException e) {
        // The operation that committed is durable and applied; cleaning is an optimisation, and
        // a failure here (a media error in the log, no space for the journal) must not turn it
        // into an error. The log stays as it was; the worker may try again later.
        return;
      } finally {
        in.logPagesAtLastClean = in.log.pageCount();
      }
    }
    if (queued.add(in)) {
      synchronized (this) {
        if (worker == null) {
          worker = new Thread(this::run, "daxfs-log-cleaner");
          worker.setDaemon(true);
          worker.start();
        }
      }
      news.release();
    }
  }

  private void run() {
    while (!stopping) {
      try {
        news.acquire();
      } catch (InterruptedException e) {
        return;
      }
      for (Inode in : queued) {
        if (stopping) {
          return;
        }
        try {
          clean(in, false);
        } catch (RuntimeException e) {
          // Cleaning is an optimisation: a failure (no space for a fresh log, a damaged inode)
          // leaves the log as it was, and the next commit may queue the inode again.
        } finally {
          // Queued until cleaned: the commits that meet the inode while its cleaning waits for
          // the lock or runs find it queued and wake nobody (a wake-up is a system call).
          queued.remove(in);
        }
      }
    }
  }

  void stop() {
    stopping = true;
    news.release();
    Thread w;
    synchronized (this) {
      w = worker;
    }
    if (w != null) {
      try {
        w.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Cleans {@code in}'s log now: fast cleaning, then thorough cleaning if live entries still
   * fill less than half of it (always, with {@code thorough}). Takes the metadata lock.
   */
  Result clean(Inode in, boolean thorough) {
    in.lock.writeLock().lock();
    try {
      if (in.evicted || in.damage != null || in.log == null) {
        return Result.NONE;
      }
      // Fast cleaning keeps every page an entry of the mapping lies on, so one count serves both.
      long[] mapping = mappingEntries(in);
      Result r = fast(in, mapping);
      if (thorough || worthRewriting(in, mapping)) {
        r = r.plus(rewrite(in));
      }
      in.logPagesAtLastClean = in.log.pageCount();
      counted(r);
      return r;
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  /** Whether live entries fill less than half of a log of several pages (after a fast clean). */
  private boolean worthRewriting(Inode in, long[] mapping) {
    long capacity = (long) in.log.pageCount() * LogPage.CAPACITY;
    return in.log.pageCount() >= MIN_PAGES && liveBytes(in, mapping) * 2 < capacity;
  }

  private void counted(Result r) {
    if (r.pagesFreedFast > 0 || r.pagesFreedThorough > 0) {
      vol.stats.logCleanings.increment();
      vol.stats.logPagesFreed.add(r.pagesFreedFast + r.pagesFreedThorough);
    }
  }

  /** Unlinks the pages with nothing live on them (never the head, nor the tail's page). */
  Result fast(Inode in) {
    return fast(in, mappingEntries(in));
  }

  private Result fast(Inode in, long[] mapping) {
    InodeLog log = in.log;
    int tailIndex = log.tailPageIndex();
    List<LogLiveness.Page> candidates = new ArrayList<>();
    Map<LogLiveness.Page, Integer> indexOf = new HashMap<>();
    long[] blocks = log.pageBlocks();
    for (int i = 1; i < tailIndex; i++) {
      if (holdsAny(mapping, blocks[i])) {
        continue; // an entry on it still maps a file page
      }
      LogLiveness.Page p = in.live.page(blocks[i]);
      if (p == null) {
        p = new LogLiveness.Page(blocks[i]);
      }
      candidates.add(p);
      indexOf.put(p, i);
    }
    List<LogLiveness.Page> going = in.live.collectible(candidates);
    if (going.isEmpty()) {
      return Result.NONE;
    }
    Set<Integer> gone = new HashSet<>();
    for (LogLiveness.Page p : going) {
      gone.add(indexOf.get(p));
    }
    // New next pointers: each kept page now points at the next kept one.
    Map<Long, Long> words = new HashMap<>();
    int kept = 0;
    for (int i = 1; i < log.pageCount(); i++) {
      if (gone.contains(i)) {
        continue;
      }
      if (i != kept + 1) {
        long off = Layout.offset(blocks[kept]) + LogPage.NEXT;
        words.put(off, TaggedWord.encode(blocks[i],
            LogPage.nextSalt(in.ino, log.sequenceAt(kept))));
      }
      kept = i;
    }
    if (kept != log.pageCount() - 1 || gone.contains(log.pageCount() - 1)) {
      throw new IllegalStateException("fast cleaning would drop the end of a log");
    }
    if (words.size() > MAX_UNLINKS) {
      return Result.NONE;
    }
    try (Journal.Tx tx = vol.journal.begin()) {
      words.forEach(tx::set);
      tx.commit();
    }
    in.log.removePages(gone);
    in.live.forget(going);
    for (LogLiveness.Page p : going) {
      vol.allocator.free(p.block, 1);
    }
    return new Result(going.size(), 0, 0);
  }

  /**
   * Writes a fresh log stating the inode as it is, checks that it replays to that state, and
   * switches to it in one journal transaction; the old pages are then freed.
   */
  Result rewrite(Inode in) {
    List<ByteBuffer> entries = statement(in);
    InodeLog fresh = InodeLog.create(vol.region, vol.allocator, in.ino, in.log.headBlock(),
        true);
    try {
      for (ByteBuffer e : entries) {
        fresh.append(e, vol.allocator, true, true);
      }
      vol.region.fence();
      Inode check = new Inode(in.ino, in.generation, in.type, vol.dataChecksums());
      long head = fresh.headBlock();
      long tail = fresh.pendingTail();
      check.log = InodeLog.open(vol.region, in.ino, head, tail, vol.blockCount(),
          (type, seq, payload, offset) ->
              check.apply(type, payload, offset, vol.blockCount(), Inode.Freed.NONE));
      String differs = sameState(in, check);
      if (differs != null) {
        throw new IllegalStateException("the rewritten log of inode " + in.ino
            + " does not replay to its state: " + differs);
      }
      long slot = vol.inodes.slotOffset(in.ino);
      try (Journal.Tx tx = vol.journal.begin()) {
        tx.set(slot + InodeTable.HEAD, InodeTable.headWord(in.ino, head));
        tx.set(slot + InodeTable.TAIL, InodeTable.tailWord(in.ino, tail));
        tx.commit();
      }
      InodeLog old = in.log;
      in.log = check.log;
      in.live = check.live;
      in.logPagesAtLastClean = check.log.pageCount();
      in.blocks = check.blocks;
      in.dir = check.dir;
      in.xattrs = check.xattrs;
      int freed = old.pageCount();
      old.freePages(vol.allocator);
      return new Result(0, freed, in.log.pageCount());
    } catch (RuntimeException e) {
      fresh.freePages(vol.allocator);
      throw e;
    }
  }

  /** The entries that state {@code in} as it is now. */
  private List<ByteBuffer> statement(Inode in) {
    List<ByteBuffer> out = new ArrayList<>();
    int targetLength = in.isSymlink() ? in.target.length : 0;
    out.add(Entries.init(in.mode, in.uid, in.gid, in.links, in.rdev, in.atime, in.mtime,
        in.ctime, in.parent, targetLength));
    for (int off = 0; off < targetLength; off += Entries.TARGET_PIECE) {
      out.add(Entries.target(in.target, off, Math.min(Entries.TARGET_PIECE, targetLength - off)));
    }
    if (in.isRegular()) {
      List<long[]> runs = new ArrayList<>(); // first page, first block, count, entry flags
      in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
        long block = BlockMap.block(e);
        long flags = e & ~BlockMap.BLOCK_MASK;
        if (!runs.isEmpty()) {
          long[] r = runs.get(runs.size() - 1);
          int max = in.blocks.checksums() ? Entries.MAX_EXTENT_PAGES_WITH_CRCS : 1 << 20;
          if (r[0] + r[2] == page && r[1] + r[2] == block && r[3] == flags && r[2] < max) {
            r[2]++;
            return;
          }
        }
        runs.add(new long[] {page, block, 1, flags});
      });
      for (long[] r : runs) {
        int flags = ((r[3] & BlockMap.UNWRITTEN) != 0 ? LogEntry.EXT_UNWRITTEN : 0)
            | ((r[3] & BlockMap.STALE) != 0 ? LogEntry.EXT_STALE : 0);
        int[] crcs = null;
        if (in.blocks.checksums()) {
          crcs = new int[(int) r[2]];
          for (int i = 0; i < crcs.length; i++) {
            crcs[i] = in.blocks.crc(r[0] + i);
          }
        }
        out.add(Entries.extent(r[0], r[1], (int) r[2], flags, in.size, 0, 0, crcs));
      }
    }
    if (in.isDir()) {
      for (Directory.Dentry d : in.dir.all()) {
        out.add(Entries.dentryAdd(d.name(), d.ino(), d.type(), d.cookie(), in.mtime));
      }
      out.add(Entries.dirstate(in.dir.reserveCookie()));
    }
    for (String name : in.xattrs.names()) {
      out.add(Entries.xattrSet(name, in.xattrs.get(name), in.ctime));
    }
    out.add(Entries.setattr(LogEntry.ATTR_ATIME | LogEntry.ATTR_MTIME | LogEntry.ATTR_CTIME
        | (in.isRegular() ? LogEntry.ATTR_SIZE : 0), 0, 0, 0, in.atime, in.mtime, in.ctime,
        in.isRegular() ? in.size : 0));
    return out;
  }

  /** Null when {@code b} states what {@code a} is; else what differs. */
  private static String sameState(Inode a, Inode b) {
    if (a.mode != b.mode || a.uid != b.uid || a.gid != b.gid || a.links != b.links
        || a.rdev != b.rdev || a.size != b.size || a.atime != b.atime || a.mtime != b.mtime
        || a.ctime != b.ctime || a.parent != b.parent) {
      return "attributes";
    }
    if (a.isSymlink() && !java.util.Arrays.equals(a.target, b.target)) {
      return "symlink target";
    }
    if (a.isRegular()) {
      List<long[]> ea = a.blocks.entries();
      List<long[]> eb = b.blocks.entries();
      if (ea.size() != eb.size()) {
        return "block map size";
      }
      for (int i = 0; i < ea.size(); i++) {
        if (ea.get(i)[0] != eb.get(i)[0] || ea.get(i)[1] != eb.get(i)[1]
            || a.blocks.crc(ea.get(i)[0]) != b.blocks.crc(eb.get(i)[0])) {
          return "block map at page " + ea.get(i)[0];
        }
      }
    }
    if (a.isDir()) {
      List<Directory.Dentry> da = a.dir.all();
      List<Directory.Dentry> db = b.dir.all();
      if (da.size() != db.size() || a.dir.reserveCookie() != b.dir.reserveCookie()) {
        return "directory entries";
      }
      for (int i = 0; i < da.size(); i++) {
        Directory.Dentry x = da.get(i);
        Directory.Dentry y = db.get(i);
        if (!x.name().equals(y.name()) || x.ino() != y.ino() || x.type() != y.type()
            || x.cookie() != y.cookie()) {
          return "directory entry " + x.name();
        }
      }
    }
    if (!a.xattrs.names().equals(b.xattrs.names())) {
      return "extended attribute names";
    }
    for (String n : a.xattrs.names()) {
      if (!java.util.Arrays.equals(a.xattrs.get(n), b.xattrs.get(n))) {
        return "extended attribute " + n;
      }
    }
    return null;
  }
}
