package dev.daxfs.fs;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular file's DRAM block map: file page index to region block, rebuilt from the log at
 * load. A radix tree of 512-way nodes whose height grows with the file's last page (like
 * Linux's xarray): a lookup in a 256 MiB file is two array loads, and a hole costs nothing,
 * so a 1 TiB sparse file with a few blocks costs a few nodes.
 *
 * <p>Each mapped page is one packed long in a leaf: the block number in the low 48 bits and
 * flag bits above ({@link #UNWRITTEN}: allocated by fallocate, reads as zero; {@link #STALE}: a
 * device or a writable mapping may change it, so its checksum is not to be trusted). 0 is a
 * hole. With data checksums on, each leaf also keeps the CRC32C of each page.
 *
 * <p>Not thread-safe: the owning inode's metadata lock guards it.
 */
final class BlockMap {

  static final int SHIFT = 9;
  static final int FANOUT = 1 << SHIFT;
  static final int MASK = FANOUT - 1;
  static final long BLOCK_MASK = (1L << 48) - 1;
  static final long UNWRITTEN = 1L << 48;
  static final long STALE = 1L << 49;

  /** Pages below this many levels' reach: 512^height. */
  private static long reach(int height) {
    return height >= 7 ? Long.MAX_VALUE : 1L << (SHIFT * height);
  }

  /** An inner node: children by the next 9 bits of the page index. */
  private static final class Node {
    /** Children: Node below height 2, Leaf at height 2's children level. */
    final Object[] slots = new Object[FANOUT];
    /** Non-null slots. */
    int count;
  }

  /** A leaf: 512 consecutive pages. */
  private static final class Leaf {
    /** Packed entries; 0 = hole. */
    final long[] entries = new long[FANOUT];
    /** CRC32C of each page's data when checksums are on, else null. */
    final int[] crcs;
    /** Region offset of the log entry that mapped each page, when tracked, else null. */
    final long[] definers;
    /** Non-zero entries. */
    int count;

    Leaf(boolean checksums, boolean tracked) {
      crcs = checksums ? new int[FANOUT] : null;
      definers = tracked ? new long[FANOUT] : null;
    }
  }

  /** Whether leaves keep a checksum per page. */
  private final boolean checksums;

  /** Whether each page records the log entry that mapped it (what the cleaner counts). */
  private final boolean tracked;

  /** The root: a Leaf at height 1, a Node above; null when the map is empty. */
  private Object root;

  /** Levels of the tree (1 = the root is a leaf). */
  private int height = 1;

  /** Mapped pages (the file's block count for stat). */
  private long mapped;

  BlockMap(boolean checksums) {
    this(checksums, false);
  }

  BlockMap(boolean checksums, boolean tracked) {
    this.checksums = checksums;
    this.tracked = tracked;
  }

  static long block(long entry) {
    return entry & BLOCK_MASK;
  }

  static boolean isUnwritten(long entry) {
    return (entry & UNWRITTEN) != 0;
  }

  static boolean isStale(long entry) {
    return (entry & STALE) != 0;
  }

  /** The leaf holding {@code page}, or null. */
  private Leaf leaf(long page) {
    if (page < 0 || page >= reach(height)) {
      return null;
    }
    Object n = root;
    for (int h = height; h > 1 && n != null; h--) {
      n = ((Node) n).slots[(int) ((page >>> (SHIFT * (h - 1))) & MASK)];
    }
    return (Leaf) n;
  }

  /** The leaf holding {@code page}, created (and the tree grown) if missing. */
  private Leaf leafForWrite(long page) {
    while (page >= reach(height)) {
      if (root != null) {
        Node up = new Node();
        up.slots[0] = root;
        up.count = 1;
        root = up;
      }
      height++;
    }
    if (root == null) {
      root = height == 1 ? new Leaf(checksums, tracked) : new Node();
    }
    Object n = root;
    for (int h = height; h > 1; h--) {
      Node node = (Node) n;
      int i = (int) ((page >>> (SHIFT * (h - 1))) & MASK);
      Object child = node.slots[i];
      if (child == null) {
        child = h == 2 ? new Leaf(checksums, tracked) : new Node();
        node.slots[i] = child;
        node.count++;
      }
      n = child;
    }
    return (Leaf) n;
  }

  /** The packed entry of {@code page}, 0 for a hole. */
  long get(long page) {
    Leaf l = leaf(page);
    return l == null ? 0 : l.entries[(int) (page & MASK)];
  }

  /** Region offset of the log entry that mapped {@code page}, when tracked; 0 otherwise. */
  long definer(long page) {
    Leaf l = leaf(page);
    return l == null || l.definers == null ? 0 : l.definers[(int) (page & MASK)];
  }

  int crc(long page) {
    Leaf l = leaf(page);
    return l == null || l.crcs == null ? 0 : l.crcs[(int) (page & MASK)];
  }

  /** Sets {@code page}'s entry (0 makes a hole); returns the previous entry. */
  long set(long page, long entry, int crc) {
    return set(page, entry, crc, 0);
  }

  /**
   * Sets {@code page}'s entry, mapped by the log entry at region offset {@code definer};
   * returns the previous entry.
   */
  long set(long page, long entry, int crc, long definer) {
    if (entry == 0) {
      long[] old = new long[1];
      clear(page, page + 1, (p, e) -> old[0] = e);
      return old[0];
    }
    Leaf l = leafForWrite(page);
    int i = (int) (page & MASK);
    long old = l.entries[i];
    l.entries[i] = entry;
    if (l.crcs != null) {
      l.crcs[i] = crc;
    }
    if (l.definers != null) {
      l.definers[i] = definer;
    }
    if (old == 0) {
      l.count++;
      mapped++;
    }
    return old;
  }

  /** Receives removed or visited entries. */
  interface EntrySink {
    void accept(long page, long entry);
  }

  /** Removes every entry of pages in {@code [from, to)}, passing each to {@code removed}. */
  void clear(long from, long to, EntrySink removed) {
    if (root == null || from >= to || from >= reach(height)) {
      return;
    }
    if (clear(root, height, 0, Math.max(0, from), to, removed)) {
      root = null;
      height = 1;
    }
  }

  /** Clears within the subtree at {@code base}; returns true when it became empty. */
  private boolean clear(Object n, int h, long base, long from, long to, EntrySink removed) {
    long span = reach(h - 1);
    if (h == 1) {
      Leaf l = (Leaf) n;
      int lo = (int) Math.max(0, from - base);
      int hi = (int) Math.min(FANOUT, to - base);
      for (int i = lo; i < hi && l.count > 0; i++) {
        long v = l.entries[i];
        if (v != 0) {
          l.entries[i] = 0;
          if (l.crcs != null) {
            l.crcs[i] = 0;
          }
          if (l.definers != null) {
            l.definers[i] = 0;
          }
          l.count--;
          mapped--;
          if (removed != null) {
            removed.accept(base + i, v);
          }
        }
      }
      return l.count == 0;
    }
    Node node = (Node) n;
    int lo = (int) Math.max(0, (from - base) / span);
    long hiL = (to - base + span - 1) / span;
    int hi = (int) Math.min(FANOUT, hiL < 0 ? FANOUT : hiL);
    for (int i = lo; i < hi && node.count > 0; i++) {
      Object child = node.slots[i];
      if (child != null && clear(child, h - 1, base + i * span, from, to, removed)) {
        node.slots[i] = null;
        node.count--;
      }
    }
    return node.count == 0;
  }

  /** Visits every mapped page in {@code [from, to)} in page order. */
  void forEach(long from, long to, EntrySink sink) {
    if (root != null && from < to && from < reach(height)) {
      visit(root, height, 0, Math.max(0, from), to, sink);
    }
  }

  private void visit(Object n, int h, long base, long from, long to, EntrySink sink) {
    if (h == 1) {
      Leaf l = (Leaf) n;
      int lo = (int) Math.max(0, from - base);
      int hi = (int) Math.min(FANOUT, to - base);
      for (int i = lo; i < hi; i++) {
        if (l.entries[i] != 0) {
          sink.accept(base + i, l.entries[i]);
        }
      }
      return;
    }
    long span = reach(h - 1);
    Node node = (Node) n;
    int lo = (int) Math.max(0, (from - base) / span);
    long hiL = (to - base + span - 1) / span;
    int hi = (int) Math.min(FANOUT, hiL < 0 ? FANOUT : hiL);
    for (int i = lo; i < hi; i++) {
      Object child = node.slots[i];
      if (child != null) {
        visit(child, h - 1, base + i * span, from, to, sink);
      }
    }
  }

  /**
   * Moves every entry at or after {@code from} by {@code delta} pages (collapse: negative,
   * the pages in {@code [from + delta, from)} must be holes; insert: positive).
   */
  void shift(long from, long delta) {
    if (delta == 0) {
      return;
    }
    List<long[]> moved = new ArrayList<>();
    forEach(from, Long.MAX_VALUE, (p, v) -> moved.add(new long[] {p, v, crc(p), definer(p)}));
    clear(from, Long.MAX_VALUE, null);
    for (long[] m : moved) {
      if (get(m[0] + delta) != 0) {
        throw new IllegalStateException("shift onto mapped page " + (m[0] + delta));
      }
      set(m[0] + delta, m[1], (int) m[2], m[3]);
    }
  }

  /** The first mapped page at or after {@code from}, or -1. */
  long nextMapped(long from) {
    long[] found = {-1};
    if (root != null && from < reach(height)) {
      findMapped(root, height, 0, Math.max(0, from), found);
    }
    return found[0];
  }

  private boolean findMapped(Object n, int h, long base, long from, long[] found) {
    if (h == 1) {
      Leaf l = (Leaf) n;
      for (int i = (int) Math.max(0, from - base); i < FANOUT; i++) {
        if (l.entries[i] != 0) {
          found[0] = base + i;
          return true;
        }
      }
      return false;
    }
    long span = reach(h - 1);
    Node node = (Node) n;
    for (int i = (int) Math.max(0, (from - base) / span); i < FANOUT; i++) {
      Object child = node.slots[i];
      if (child != null && findMapped(child, h - 1, base + i * span, from, found)) {
        return true;
      }
    }
    return false;
  }

  /** The first hole at or after {@code from}. */
  long nextHole(long from) {
    long page = Math.max(0, from);
    while (true) {
      Leaf l = leaf(page);
      if (l == null) {
        return page;
      }
      long base = page & ~(long) MASK;
      for (int i = (int) (page - base); i < FANOUT; i++) {
        if (l.entries[i] == 0) {
          return base + i;
        }
      }
      page = base + FANOUT;
    }
  }

  /** The last mapped page, or -1 when none is. */
  long lastMapped() {
    if (root == null) {
      return -1;
    }
    Object n = root;
    long base = 0;
    for (int h = height; h > 1; h--) {
      Node node = (Node) n;
      int i = FANOUT - 1;
      while (node.slots[i] == null) {
        i--;
      }
      base += i * reach(h - 1);
      n = node.slots[i];
    }
    Leaf l = (Leaf) n;
    for (int i = FANOUT - 1; i >= 0; i--) {
      if (l.entries[i] != 0) {
        return base + i;
      }
    }
    throw new IllegalStateException("empty leaf kept in the block map");
  }

  /** Mapped pages. */
  long mappedPages() {
    return mapped;
  }

  boolean checksums() {
    return checksums;
  }

  /** Every entry as {@code {page, entry}}, in page order (inspect, fsck). */
  List<long[]> entries() {
    List<long[]> out = new ArrayList<>();
    forEach(0, Long.MAX_VALUE, (p, v) -> out.add(new long[] {p, v}));
    return out;
  }
}
