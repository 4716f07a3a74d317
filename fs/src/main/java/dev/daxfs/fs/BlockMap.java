package dev.daxfs.fs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A regular file's DRAM block map: file page index to region block, rebuilt from the log at
 * load. Sparse: leaves of {@link #LEAF} pages are created on first use and dropped when empty,
 * so a hole costs nothing and a 1 TiB sparse file with a few blocks costs a few leaves.
 *
 * <p>Each mapped page is one packed long: the block number in the low 48 bits and flag bits
 * above ({@link #UNWRITTEN}: allocated by fallocate, reads as zero; {@link #STALE}: a device or
 * a writable mapping may change it, so its checksum is not to be trusted). 0 is a hole. With
 * data checksums on, each leaf also keeps the CRC32C of each page.
 *
 * <p>Not thread-safe: the owning inode's lock guards it.
 */
final class BlockMap {

  static final int LEAF_SHIFT = 9;
  static final int LEAF = 1 << LEAF_SHIFT;
  static final long BLOCK_MASK = (1L << 48) - 1;
  static final long UNWRITTEN = 1L << 48;
  static final long STALE = 1L << 49;

  /** Leaves by leaf index (page >>> LEAF_SHIFT), in page order. */
  private final TreeMap<Long, Leaf> leaves = new TreeMap<>();

  /** Whether leaves keep a checksum per page. */
  private final boolean checksums;

  /** Mapped pages (the file's block count for stat). */
  private long mapped;

  /** The last leaf looked up, to skip the tree on sequential access. */
  private Leaf lastLeaf;

  private long lastLeafIndex = -1;

  BlockMap(boolean checksums) {
    this.checksums = checksums;
  }

  private static final class Leaf {
    /** Packed entries of the leaf's pages; 0 = hole. */
    final long[] entries = new long[LEAF];
    /** CRC32C of each page's data when checksums are on, else null. */
    final int[] crcs;
    /** Non-zero entries. */
    int count;

    Leaf(boolean checksums) {
      crcs = checksums ? new int[LEAF] : null;
    }
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

  private Leaf leaf(long leafIndex, boolean create) {
    if (leafIndex == lastLeafIndex && lastLeaf != null) {
      return lastLeaf;
    }
    Leaf l = leaves.get(leafIndex);
    if (l == null && create) {
      l = new Leaf(checksums);
      leaves.put(leafIndex, l);
    }
    if (l != null) {
      lastLeaf = l;
      lastLeafIndex = leafIndex;
    }
    return l;
  }

  /** The packed entry of {@code page}, 0 for a hole. */
  long get(long page) {
    Leaf l = leaf(page >>> LEAF_SHIFT, false);
    return l == null ? 0 : l.entries[(int) (page & (LEAF - 1))];
  }

  int crc(long page) {
    Leaf l = leaf(page >>> LEAF_SHIFT, false);
    return l == null || l.crcs == null ? 0 : l.crcs[(int) (page & (LEAF - 1))];
  }

  /** Sets {@code page}'s entry (0 makes a hole); returns the previous entry. */
  long set(long page, long entry, int crc) {
    long li = page >>> LEAF_SHIFT;
    int i = (int) (page & (LEAF - 1));
    Leaf l = leaf(li, entry != 0);
    if (l == null) {
      return 0;
    }
    long old = l.entries[i];
    l.entries[i] = entry;
    if (l.crcs != null) {
      l.crcs[i] = crc;
    }
    if (old == 0 && entry != 0) {
      l.count++;
      mapped++;
    } else if (old != 0 && entry == 0) {
      l.count--;
      mapped--;
      if (l.count == 0) {
        dropLeaf(li);
      }
    }
    return old;
  }

  private void dropLeaf(long li) {
    leaves.remove(li);
    if (lastLeafIndex == li) {
      lastLeaf = null;
      lastLeafIndex = -1;
    }
  }

  /** Receives removed or visited entries. */
  interface EntrySink {
    void accept(long page, long entry);
  }

  /** Removes every entry of pages in {@code [from, to)}, passing each to {@code removed}. */
  void clear(long from, long to, EntrySink removed) {
    if (from >= to) {
      return;
    }
    List<Long> empty = new ArrayList<>();
    for (Map.Entry<Long, Leaf> e : leaves.subMap(from >>> LEAF_SHIFT, true,
        (to - 1) >>> LEAF_SHIFT, true).entrySet()) {
      long base = e.getKey() << LEAF_SHIFT;
      Leaf l = e.getValue();
      int lo = (int) Math.max(0, from - base);
      int hi = (int) Math.min(LEAF, to - base);
      for (int i = lo; i < hi && l.count > 0; i++) {
        long v = l.entries[i];
        if (v != 0) {
          l.entries[i] = 0;
          if (l.crcs != null) {
            l.crcs[i] = 0;
          }
          l.count--;
          mapped--;
          if (removed != null) {
            removed.accept(base + i, v);
          }
        }
      }
      if (l.count == 0) {
        empty.add(e.getKey());
      }
    }
    for (long li : empty) {
      dropLeaf(li);
    }
  }

  /** Visits every mapped page in {@code [from, to)} in page order. */
  void forEach(long from, long to, EntrySink sink) {
    if (from >= to) {
      return;
    }
    for (Map.Entry<Long, Leaf> e : leaves.subMap(from >>> LEAF_SHIFT, true,
        (to - 1) >>> LEAF_SHIFT, true).entrySet()) {
      long base = e.getKey() << LEAF_SHIFT;
      Leaf l = e.getValue();
      int lo = (int) Math.max(0, from - base);
      int hi = (int) Math.min(LEAF, to - base);
      for (int i = lo; i < hi; i++) {
        if (l.entries[i] != 0) {
          sink.accept(base + i, l.entries[i]);
        }
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
    List<Integer> crcs = new ArrayList<>();
    forEach(from, Long.MAX_VALUE, (p, v) -> {
      moved.add(new long[] {p, v});
      crcs.add(crc(p));
    });
    clear(from, Long.MAX_VALUE, null);
    for (int i = 0; i < moved.size(); i++) {
      long[] m = moved.get(i);
      if (get(m[0] + delta) != 0) {
        throw new IllegalStateException("shift onto mapped page " + (m[0] + delta));
      }
      set(m[0] + delta, m[1], crcs.get(i));
    }
  }

  /** The first mapped page at or after {@code from}, or -1. */
  long nextMapped(long from) {
    Map.Entry<Long, Leaf> e = leaves.ceilingEntry(from >>> LEAF_SHIFT);
    while (e != null) {
      long base = e.getKey() << LEAF_SHIFT;
      long[] entries = e.getValue().entries;
      for (int i = (int) Math.max(0, from - base); i < LEAF; i++) {
        if (entries[i] != 0) {
          return base + i;
        }
      }
      e = leaves.higherEntry(e.getKey());
    }
    return -1;
  }

  /** The last mapped page, or -1 when none is. */
  long lastMapped() {
    Map.Entry<Long, Leaf> e = leaves.lastEntry();
    if (e == null) {
      return -1;
    }
    long[] entries = e.getValue().entries;
    for (int i = LEAF - 1; i >= 0; i--) {
      if (entries[i] != 0) {
        return (e.getKey() << LEAF_SHIFT) + i;
      }
    }
    throw new IllegalStateException("empty leaf kept in the block map");
  }

  /** The first hole at or after {@code from}. */
  long nextHole(long from) {
    long page = from;
    while (true) {
      Leaf l = leaves.get(page >>> LEAF_SHIFT);
      if (l == null) {
        return page;
      }
      long base = (page >>> LEAF_SHIFT) << LEAF_SHIFT;
      for (int i = (int) (page - base); i < LEAF; i++) {
        if (l.entries[i] == 0) {
          return base + i;
        }
      }
      page = base + LEAF;
    }
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

  @Override
  public String toString() {
    return "BlockMap" + Arrays.deepToString(entries().toArray());
  }
}
