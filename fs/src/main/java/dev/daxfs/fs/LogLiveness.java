package dev.daxfs.fs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which entries of an inode's log still matter, counted per log page: the liveness the cleaner
 * needs (H2's chunks keep such counters for the same reason). Built by {@link Inode#apply} as
 * entries are replayed or committed, so it is exact without ever rereading the log.
 *
 * <p>An entry is live while it has a reason: it is the latest writer of an attribute, it holds
 * a directory entry or an extended attribute, or it is pinned (init, symlink target and range
 * entries, which only a rewrite of the whole log drops). The one other reason, mapping a file
 * page, is recorded in the block map (each page remembers the entry that mapped it) and
 * counted by the cleaner when it runs, so a write never touches the cold entry it supersedes. A removed
 * directory entry or extended attribute leaves a tombstone that pairs the entry that added it
 * with the one that removed it: neither may leave the log without the other, or a replay would
 * remove a name that was never added, or resurrect one.
 *
 * <p>Not thread-safe: the inode's metadata lock guards it.
 */
final class LogLiveness {

  /** Attributes whose latest writer is live. */
  static final int MODE = 0;

  static final int UID = 1;
  static final int GID = 2;
  static final int ATIME = 3;
  static final int MTIME = 4;
  static final int CTIME = 5;
  static final int SIZE = 6;
  static final int LINKS = 7;
  static final int PARENT = 8;
  static final int COOKIE = 9;
  private static final int FIELDS = 10;

  /** One log page's tally. */
  static final class Page {
    /** The page's block. */
    final long block;
    /** Bytes of live entries on it. */
    int liveBytes;
    /** Bytes of all entries on it. */
    int bytes;
    /** Tombstones with an entry on this page. */
    final List<Tombstone> tombstones = new ArrayList<>(0);
    /** Scratch mark of {@link #collectible} and {@link #forget}; false between calls. */
    boolean marked;

    Page(long block) {
      this.block = block;
    }
  }

  /** One entry: where it is, how long, and how many reasons keep it. */
  static final class Ref {
    /** Its page. */
    final Page page;
    /** Its region offset. */
    final long offset;
    /** Its length in bytes. */
    final int length;
    /** Reasons it is live; 0 = dead. */
    int reasons;
    /** Of {@link #reasons}, how many come from tombstones it is the removing side of. */
    int tombstoneReasons;
    /** The {@link #collectible} call that last counted it, so that it counts once per call. */
    int countedIn;

    Ref(Page page, long offset, int length) {
      this.page = page;
      this.offset = offset;
      this.length = length;
    }
  }

  /** An added-then-removed name (or attribute): both entries go, or neither. */
  record Tombstone(Ref added, Ref removed) {}

  /** Pages by block. */
  private final Map<Long, Page> pages = new HashMap<>();

  /** The last page looked up (appends go to one page at a time). */
  private Page lastPage;

  /** The latest writer of each attribute. */
  private final Ref[] writers = new Ref[FIELDS];

  /** Live bytes over all pages. */
  private long liveBytes;

  /** Bytes of all entries. */
  private long bytes;

  /** Calls of {@link #collectible} so far: the stamp of the current one. */
  private int collections;


  /** A new entry of {@code length} bytes at region offset {@code offset}; not yet live. */
  Ref entry(long offset, int length) {
    long block = offset >>> Layout.BLOCK_SHIFT;
    Page p = lastPage;
    if (p == null || p.block != block) {
      p = pages.computeIfAbsent(block, Page::new);
      lastPage = p;
    }
    p.bytes += length;
    bytes += length;
    return new Ref(p, offset, length);
  }

  void addReason(Ref r) {
    if (r.reasons++ == 0) {
      r.page.liveBytes += r.length;
      liveBytes += r.length;
    }
  }

  void dropReason(Ref r) {
    if (r == null) {
      return;
    }
    if (r.reasons <= 0) {
      throw new IllegalStateException("log entry liveness dropped below zero");
    }
    if (--r.reasons == 0) {
      r.page.liveBytes -= r.length;
      liveBytes -= r.length;
    }
  }

  /** {@code r} keeps its place whatever comes later (init, target, range). */
  void pin(Ref r) {
    addReason(r);
  }

  /** {@code r} is now the latest writer of {@code field}. */
  void wrote(int field, Ref r) {
    Ref old = writers[field];
    writers[field] = r;
    addReason(r);
    dropReason(old);
  }

  /** {@code added}'s name or attribute was removed by {@code removed}. */
  void tombstone(Ref added, Ref removed) {
    Tombstone t = new Tombstone(added, removed);
    addReason(removed);
    removed.tombstoneReasons++;
    added.page.tombstones.add(t);
    if (removed.page != added.page) {
      removed.page.tombstones.add(t);
    }
  }

  long liveBytes() {
    return liveBytes;
  }

  long bytes() {
    return bytes;
  }

  Page page(long block) {
    return pages.get(block);
  }

  /**
   * Of {@code candidates} (pages a fast clean may unlink), those that can go together: each has
   * no live entry but tombstones, and every tombstone on it has its other entry on a page that
   * goes too. Computed to a fixpoint.
   */
  List<Page> collectible(List<Page> candidates) {
    int stamp = ++collections;
    List<Page> going = new ArrayList<>();
    for (Page p : candidates) {
      // Each entry once, however many tombstones it is part of (an overwritten attribute's
      // value is the removing side of one pair and the added side of the next).
      int tombBytes = 0;
      for (Tombstone t : p.tombstones) {
        tombBytes += onlyTombstoned(t.added(), p, stamp) + onlyTombstoned(t.removed(), p, stamp);
      }
      if (p.liveBytes == tombBytes) {
        p.marked = true;
        going.add(p);
      }
    }
    boolean changed = true;
    while (changed) {
      changed = false;
      for (java.util.Iterator<Page> it = going.iterator(); it.hasNext(); ) {
        Page p = it.next();
        for (Tombstone t : p.tombstones) {
          if (!t.added().page.marked || !t.removed().page.marked) {
            p.marked = false;
            it.remove();
            changed = true;
            break;
          }
        }
      }
    }
    for (Page p : going) {
      p.marked = false;
    }
    return going;
  }

  /**
   * The length of {@code r} if it lies on {@code p}, is live only through tombstones, and was
   * not counted yet in call {@code stamp}; else 0.
   */
  private static int onlyTombstoned(Ref r, Page p, int stamp) {
    if (r.page != p || r.countedIn == stamp || r.reasons <= 0 || r.reasons != r.tombstoneReasons) {
      return 0;
    }
    r.countedIn = stamp;
    return r.length;
  }

  /** Pages unlinked from the chain: forget them and the tombstones they held. */
  void forget(List<Page> gone) {
    for (Page p : gone) {
      pages.remove(p.block);
      liveBytes -= p.liveBytes;
      bytes -= p.bytes;
      if (lastPage == p) {
        lastPage = null;
      }
      p.marked = true;
    }
    // The pages that stay drop the tombstones they shared with a page that went.
    List<Page> staying = new ArrayList<>();
    for (Page p : gone) {
      for (Tombstone t : p.tombstones) {
        Page other = t.added().page == p ? t.removed().page : t.added().page;
        if (!other.marked && !staying.contains(other)) {
          staying.add(other);
        }
      }
    }
    for (Page p : staying) {
      p.tombstones.removeIf(t -> t.added().page.marked || t.removed().page.marked);
    }
    for (Page p : gone) {
      p.tombstones.clear();
      p.marked = false;
    }
  }
}
