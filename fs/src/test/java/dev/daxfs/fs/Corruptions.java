package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Ways to damage a {@link FuzzImage}: raw bit and byte flips in its metadata blocks, and
 * structure-aware changes of one field with every checksum recomputed, so that the checks
 * behind the checksums (ranges, loops, sequences, lengths, types, names, the tree) are what
 * must catch them. Each returns the {@link Damage} it did, or null when the image has nothing
 * it applies to.
 */
final class Corruptions {
  private Corruptions() {}

  /**
   * What was damaged.
   *
   * @param what description for failure messages
   * @param involved inodes the damage may legitimately affect (EIO, changed content, fsck
   *     findings naming them); everything else must read back exactly as before
   * @param allowedKinds fsck problem kinds the damage may cause whatever they name
   * @param mustDetect true when fsck of the damaged image must report a problem
   */
  record Damage(String what, Set<Long> involved, Set<String> allowedKinds, boolean mustDetect) {
    static Damage detect(String what, Set<Long> involved, String... kinds) {
      return new Damage(what, involved, Set.of(kinds), true);
    }

    static Damage silent(String what, Set<Long> involved, String... kinds) {
      return new Damage(what, involved, Set.of(kinds), false);
    }
  }

  /** One kind of damage. */
  interface Mutation {
    Damage apply(FuzzImage img, PmemRegion r, SplittableRandom rnd);
  }

  /** A mutation and its name (for the per-mutation tally). */
  record Named(String name, Mutation mutation) {}

  // ---- raw flips ---------------------------------------------------------------------------

  /** A metadata byte range to flip bits in, and who may notice. */
  private record Target(String what, long off, int len, Set<Long> involved, Set<String> kinds) {}

  /**
   * Raw damage: one bit, one byte, a few bytes, or one aligned word, inside a metadata
   * structure chosen at random (superblocks, journal lanes, inode-table chunk headers, valid
   * and free slots, log page headers, committed entries, bytes beyond a tail, the allocator
   * checkpoint).
   */
  static Damage rawFlip(FuzzImage img, PmemRegion r, SplittableRandom rnd) {
    Target t = target(img, rnd);
    if (t == null) {
      return null;
    }
    String how;
    switch (rnd.nextInt(4)) {
      case 0 -> {
        long at = t.off + rnd.nextInt(t.len);
        int bit = rnd.nextInt(8);
        r.storeByte(at, (byte) (r.loadByte(at) ^ (1 << bit)));
        how = "bit " + bit + " of byte " + at;
      }
      case 1 -> {
        long at = t.off + rnd.nextInt(t.len);
        byte old = r.loadByte(at);
        byte b = (byte) (old ^ (1 + rnd.nextInt(255)));
        r.storeByte(at, b);
        how = "byte " + at + " " + old + " -> " + b;
      }
      case 2 -> {
        int n = 2 + rnd.nextInt(7);
        StringBuilder s = new StringBuilder(n + " bytes at");
        for (int i = 0; i < n; i++) {
          long at = t.off + rnd.nextInt(t.len);
          r.storeByte(at, (byte) rnd.nextInt(256));
          s.append(' ').append(at);
        }
        how = s.toString();
      }
      default -> {
        long at = (t.off + rnd.nextInt(t.len)) & ~7L;
        at = Math.max(at, t.off & ~7L);
        long v = switch (rnd.nextInt(3)) {
          case 0 -> 0L;
          case 1 -> ~r.loadLong(at);
          default -> rnd.nextLong();
        };
        r.storeLong(at, v);
        how = "word " + at + " = " + Long.toHexString(v);
      }
    }
    return new Damage("raw " + t.what + ": " + how, t.involved, t.kinds, false);
  }

  private static Target target(FuzzImage img, SplittableRandom rnd) {
    List<Long> inos = new ArrayList<>(img.slots.keySet());
    long ino = inos.get(rnd.nextInt(inos.size()));
    Set<Long> mine = involve(img, ino);
    switch (rnd.nextInt(12)) {
      case 0 -> {
        return new Target("primary superblock", 0, Superblock.HEADER_LENGTH, Set.of(),
            Set.of("superblock"));
      }
      case 1 -> {
        return new Target("backup superblock", Layout.BLOCK, Superblock.HEADER_LENGTH,
            Set.of(), Set.of("superblock"));
      }
      case 2 -> {
        int lane = rnd.nextInt(Journal.LANES);
        long off = Layout.offset(Layout.JOURNAL_BLOCK + lane);
        return rnd.nextBoolean()
            ? new Target("journal lane " + lane + " state", off, 8, Set.of(), Set.of("journal"))
            : new Target("journal lane " + lane, off, Layout.BLOCK, Set.of(), Set.of("journal"));
      }
      case 3 -> {
        int c = rnd.nextInt(img.chunks.size());
        return new Target("inode-table chunk " + c + " header", Layout.offset(img.chunks.get(c)),
            32, Set.of(), Set.of());
      }
      case 4, 5 -> {
        // A flip of the valid word frees the inode: the blocks it held leave the used set,
        // which the saved free space of a clean image then no longer matches.
        return new Target("slot of inode " + ino, img.slotOffset(ino), InodeTable.SLOT_SIZE,
            mine, Set.of("allocator"));
      }
      case 6 -> {
        if (img.freeSlots.isEmpty()) {
          return null;
        }
        long free = img.freeSlots.first();
        return new Target("free slot " + free, img.slotOffset(free), InodeTable.SLOT_SIZE,
            Set.of(free), Set.of());
      }
      case 7 -> {
        List<long[]> pages = img.pages.get(ino);
        long[] p = pages.get(rnd.nextInt(pages.size()));
        return new Target("header of log page " + p[0] + " of inode " + ino,
            Layout.offset(p[0]), 40, mine, Set.of());
      }
      case 8 -> {
        List<FuzzImage.Entry> es = img.entries.get(ino);
        if (es.isEmpty()) {
          return null;
        }
        FuzzImage.Entry e = es.get(rnd.nextInt(es.size()));
        return new Target(LogEntry.typeName(e.type()) + " entry at " + e.offset()
            + " of inode " + ino, e.offset(), e.length(), mine, Set.of());
      }
      case 9 -> {
        long tail = img.slots.get(ino).tail();
        long end = (tail & ~(Layout.BLOCK - 1L)) + Layout.BLOCK;
        if (end - tail < 8) {
          return null;
        }
        return new Target("bytes beyond the tail of inode " + ino, tail, (int) (end - tail),
            mine, Set.of());
      }
      case 11 -> {
        // File data: not metadata, but with data checksums a read must notice.
        List<Long> files = new ArrayList<>(img.dataBlocks.keySet());
        files.removeIf(f -> img.dataBlocks.get(f).isEmpty());
        if (files.isEmpty()) {
          return null;
        }
        files.sort(null);
        long f = files.get(rnd.nextInt(files.size()));
        List<Long> blocks = img.dataBlocks.get(f);
        long b = blocks.get(rnd.nextInt(blocks.size()));
        return new Target("data block " + b + " of inode " + f, Layout.offset(b), Layout.BLOCK,
            involve(img, f), Set.of());
      }
      default -> {
        if (!img.clean || img.sb.checkpointBlock == 0) {
          return null;
        }
        return new Target("allocator checkpoint", Layout.offset(img.sb.checkpointBlock),
            (int) (img.sb.checkpointBlocks * Layout.BLOCK), Set.of(), Set.of("allocator"));
      }
    }
  }

  /** A directory, the inodes named, and every directory's children (their names may go). */
  static Set<Long> involveWithChildren(FuzzImage img, long dir, long... named) {
    Set<Long> out = new HashSet<>();
    out.add(dir);
    for (long child : img.listing.getOrDefault(dir, Map.of()).values()) {
      out.addAll(involve(img, child));
    }
    for (long n : named) {
      out.addAll(involve(img, n));
    }
    return out;
  }

  /** An inode, everything below it if it is a directory, and itself if unreachable. */
  static Set<Long> involve(FuzzImage img, long... inos) {
    Set<Long> out = new HashSet<>();
    for (long ino : inos) {
      out.add(ino);
      out.addAll(img.subtree(ino));
    }
    return out;
  }

  // ---- editing helpers ---------------------------------------------------------------------

  static byte[] load(PmemRegion r, long off, int len) {
    byte[] b = new byte[len];
    r.load(off, b, 0, len);
    return b;
  }

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Edits the entry at {@code off} (its bytes to the end of the page), resealing its CRC. */
  static void editEntry(PmemRegion r, long off, java.util.function.Consumer<ByteBuffer> edit) {
    int rest = (int) (Layout.BLOCK - (off & (Layout.BLOCK - 1)));
    byte[] b = load(r, off, rest);
    ByteBuffer bb = le(b);
    edit.accept(bb);
    int len = bb.getShort(2) & 0xFFFF;
    if (len >= LogEntry.HEADER && len <= rest) {
      bb.putInt(4, LogEntry.crc(java.util.Arrays.copyOf(b, len)));
    }
    r.store(off, b, 0, rest);
  }

  /** Edits a log page header, resealing its CRC. */
  static void editPage(PmemRegion r, long block, java.util.function.Consumer<ByteBuffer> edit) {
    long off = Layout.offset(block);
    byte[] h = load(r, off, 40);
    ByteBuffer b = le(h);
    edit.accept(b);
    b.putInt(28, Crc.crc32c(h, 0, 28));
    r.store(off, h, 0, 40);
  }

  /** Edits an inode slot's static fields, resealing its CRC. */
  static void editSlot(PmemRegion r, long slotOff, java.util.function.Consumer<ByteBuffer> edit) {
    byte[] s = load(r, slotOff, 64);
    ByteBuffer b = le(s);
    edit.accept(b);
    b.putInt(InodeTable.SLOT_CRC, Crc.crc32c(s, InodeTable.INO,
        InodeTable.SLOT_CRC - InodeTable.INO));
    r.store(slotOff, s, 0, 64);
  }

  /** Edits an inode-table chunk header, resealing its CRC (bytes 0..15 and 24..27). */
  static void editChunk(PmemRegion r, long block, java.util.function.Consumer<ByteBuffer> edit) {
    long off = Layout.offset(block);
    byte[] h = load(r, off, 32);
    ByteBuffer b = le(h);
    edit.accept(b);
    byte[] covered = new byte[20];
    System.arraycopy(h, 0, covered, 0, 16);
    System.arraycopy(h, 24, covered, 16, 4);
    b.putInt(28, Crc.crc32c(covered, 0, 20));
    r.store(off, h, 0, 32);
  }

  /** Edits the superblock copies named, resealing each CRC. */
  static void editSuperblock(PmemRegion r, boolean primary, boolean backup,
      java.util.function.Consumer<ByteBuffer> edit) {
    for (long block : new long[] {0, 1}) {
      if ((block == 0 && !primary) || (block == 1 && !backup)) {
        continue;
      }
      long off = Layout.offset(block);
      byte[] h = load(r, off, Superblock.HEADER_LENGTH);
      ByteBuffer b = le(h);
      edit.accept(b);
      b.putInt(Superblock.CRC_OFFSET, Crc.crc32c(h, 0, Superblock.CRC_OFFSET));
      r.store(off, h, 0, h.length);
    }
  }

  /**
   * Commits {@code entry} at the end of {@code ino}'s log, as the filesystem would (sealed with
   * the next sequence, tail word moved); false when the tail page has no room for it.
   */
  static boolean append(FuzzImage img, PmemRegion r, long ino, ByteBuffer entry) {
    InodeTable.Slot slot = img.slots.get(ino);
    List<FuzzImage.Entry> es = img.entries.get(ino);
    long seq = es.isEmpty() ? 1 : es.get(es.size() - 1).sequence() + 1;
    byte[] sealed = LogEntry.seal(entry, seq);
    long tail = slot.tail();
    long end = (tail & ~(Layout.BLOCK - 1L)) + Layout.BLOCK;
    if (tail + sealed.length > end) {
      return false;
    }
    r.store(tail, sealed, 0, sealed.length);
    r.storeLong(img.slotOffset(ino) + InodeTable.TAIL, InodeTable.tailWord(ino,
        tail + sealed.length));
    return true;
  }

  /** A directory entry with raw name bytes (which {@link Entries} would refuse). */
  static ByteBuffer rawDentry(byte[] name, int declaredLength, long child, long cookie,
      int mode) {
    ByteBuffer b = LogEntry.start(LogEntry.DENTRY_ADD, 32 + name.length);
    b.putLong(child).putLong(cookie).putInt(mode).putShort((short) declaredLength)
        .putShort((short) 0).putLong(1L).put(name);
    return b;
  }

  /** The image has nothing a mutation applies to. */
  static final class NotApplicable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotApplicable() {
      super(null, null, false, false);
    }
  }

  static <T> T pick(List<T> l, SplittableRandom rnd) {
    if (l.isEmpty()) {
      throw new NotApplicable();
    }
    return l.get(rnd.nextInt(l.size()));
  }

  static long any(List<Long> l, SplittableRandom rnd) {
    return pick(l, rnd);
  }

  private static long tagged(long value, long salt) {
    return TaggedWord.encode(value, salt);
  }

  private static long nextSalt(long ino, long seq) {
    return LogPage.nextSalt(ino, seq);
  }

  /** A cookie no real entry has. */
  private static long cookie(SplittableRandom rnd) {
    return 1_000_000 + rnd.nextInt(1_000_000);
  }

  // ---- structure-aware mutations -----------------------------------------------------------

  static final List<Named> STRUCTURED = new ArrayList<>();

  private static void add(String name, Mutation m) {
    STRUCTURED.add(new Named(name, m));
  }

  static {
    // Extents.
    add("extent block out of range", (img, r, rnd) -> {
      long ino = pickWith(img, LogEntry.EXTENT, rnd);
      if (ino < 0) {
        return null;
      }
      FuzzImage.Entry e = pick(img.entriesOf(ino, LogEntry.EXTENT), rnd);
      long[] bad = {img.sb.blockCount, img.sb.blockCount + 1000, 1, Layout.FIRST_ALLOCATABLE - 1,
          Long.MAX_VALUE / 2, -1};
      long b = bad[rnd.nextInt(bad.length)];
      editEntry(r, e.offset(), x -> x.putLong(24, b));
      return Damage.detect("extent at " + e.offset() + " of inode " + ino + " -> block " + b,
          involve(img, ino));
    });
    add("extent count impossible", (img, r, rnd) -> {
      long ino = pickWith(img, LogEntry.EXTENT, rnd);
      if (ino < 0) {
        return null;
      }
      FuzzImage.Entry e = pick(img.entriesOf(ino, LogEntry.EXTENT), rnd);
      int[] bad = {0, -1, Integer.MAX_VALUE, (int) img.sb.blockCount};
      int n = bad[rnd.nextInt(bad.length)];
      editEntry(r, e.offset(), x -> x.putInt(32, n));
      return Damage.detect("extent at " + e.offset() + " of inode " + ino + " count " + n,
          involve(img, ino));
    });
    add("extent page out of range", (img, r, rnd) -> {
      long ino = pickWith(img, LogEntry.EXTENT, rnd);
      if (ino < 0) {
        return null;
      }
      FuzzImage.Entry e = pick(img.entriesOf(ino, LogEntry.EXTENT), rnd);
      long p = rnd.nextBoolean() ? -1 : Inode.MAX_PAGES;
      editEntry(r, e.offset(), x -> x.putLong(16, p));
      return Damage.detect("extent at " + e.offset() + " of inode " + ino + " page " + p,
          involve(img, ino));
    });
    add("extent new size impossible", (img, r, rnd) -> {
      long ino = pickWith(img, LogEntry.EXTENT, rnd);
      if (ino < 0) {
        return null;
      }
      FuzzImage.Entry e = pick(img.entriesOf(ino, LogEntry.EXTENT), rnd);
      long s = rnd.nextBoolean() ? -4096 : Inode.MAX_SIZE + 1;
      editEntry(r, e.offset(), x -> x.putLong(40, s));
      return Damage.detect("extent at " + e.offset() + " of inode " + ino + " size " + s,
          involve(img, ino));
    });
    add("extent maps a written page beyond the size", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFREG), rnd);
      List<Long> free = img.freeBlocks();
      if (free.isEmpty()) {
        return null;
      }
      long block = free.get(rnd.nextInt(free.size()));
      long page = 100 + rnd.nextInt(100);
      long size = sizeOf(img, ino);
      if (!append(img, r, ino, Entries.extent(page, block, 1, LogEntry.EXT_SIZE, size, 0, 0,
          null))) {
        return null;
      }
      // It maps a block the saved free space lists as free: that disagreement is the damage too.
      return Damage.detect("inode " + ino + " maps page " + page + " beyond its size " + size,
          involve(img, ino), "allocator");
    });
    add("extent crosses into another file's block", (img, r, rnd) -> {
      List<Long> files = new ArrayList<>(img.dataBlocks.keySet());
      files.removeIf(f -> img.dataBlocks.get(f).isEmpty());
      if (files.size() < 2) {
        return null;
      }
      long victim = any(files, rnd);
      long thief = any(files, rnd);
      if (victim == thief) {
        return null;
      }
      long block = any(img.dataBlocks.get(victim), rnd);
      if (!append(img, r, thief, Entries.extent(200 + rnd.nextInt(50), block, 1, 0, 0, 0, 0,
          null))) {
        return null;
      }
      // The thief's size is unchanged: the stolen page lies beyond it as well. A mount keeps
      // the block out of the free space for good, so the saved free space may disagree later.
      return Damage.detect("inode " + thief + " maps block " + block + " of inode " + victim,
          involve(img, thief, victim), "allocator");
    });
    add("extent maps a free block", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFREG), rnd);
      List<Long> free = img.freeBlocks();
      if (free.isEmpty()) {
        return null;
      }
      long block = free.get(rnd.nextInt(free.size()));
      if (!append(img, r, ino, Entries.extent(0, block, 1, LogEntry.EXT_SIZE | LogEntry.EXT_TIMES,
          Math.max(4096, sizeOf(img, ino)), 1, 1, null))) {
        return null;
      }
      return Damage.silent("inode " + ino + " maps free block " + block, involve(img, ino),
          "allocator");
    });
    add("range with an unknown operation", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFREG), rnd);
      if (!append(img, r, ino, Entries.range(5 + rnd.nextInt(100), 0, 1, 0, 0, 0))) {
        return null;
      }
      return Damage.detect("range op of inode " + ino, involve(img, ino));
    });
    add("range out of range", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFREG), rnd);
      if (!append(img, r, ino, Entries.range(LogEntry.RANGE_PUNCH, -5, 1, 0, 0, 0))) {
        return null;
      }
      return Damage.detect("range first page -5 of inode " + ino, involve(img, ino));
    });

    // Entry headers.
    add("entry sequence goes backwards", (img, r, rnd) -> {
      long ino = any(withEntries(img, 2), rnd);
      List<FuzzImage.Entry> es = img.entries.get(ino);
      int i = 1 + rnd.nextInt(es.size() - 1);
      long prev = es.get(i - 1).sequence();
      long s = switch (rnd.nextInt(3)) {
        case 0 -> prev;
        case 1 -> prev - 1;
        default -> 0;
      };
      editEntry(r, es.get(i).offset(), x -> x.putLong(8, s));
      return Damage.detect("entry " + i + " of inode " + ino + " sequence " + s + " after "
          + prev, involve(img, ino));
    });
    add("entry of unknown type", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      FuzzImage.Entry e = pick(img.entries.get(ino), rnd);
      int t = LogEntry.MAX_TYPE + 1 + rnd.nextInt(0xFFFF - LogEntry.MAX_TYPE);
      editEntry(r, e.offset(), x -> x.putShort(0, (short) t));
      return Damage.detect("entry at " + e.offset() + " of inode " + ino + " type " + t,
          involve(img, ino));
    });
    add("entry turned into padding", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      FuzzImage.Entry e = pick(img.entries.get(ino), rnd);
      editEntry(r, e.offset(), x -> x.putShort(0, (short) LogEntry.PAD));
      // Padding ends a page's entries; in the tail's page it must reach the tail.
      return Damage.silent("entry at " + e.offset() + " of inode " + ino + " made padding",
          involve(img, ino));
    });
    add("entry length impossible", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      FuzzImage.Entry e = pick(img.entries.get(ino), rnd);
      int room = (int) (Layout.BLOCK - (e.offset() & (Layout.BLOCK - 1)));
      int[] bad = {0, 8, e.length() + 4, room + 8, 0xFFF8, 12};
      int len = bad[rnd.nextInt(bad.length)];
      editEntry(r, e.offset(), x -> x.putShort(2, (short) len));
      return Damage.detect("entry at " + e.offset() + " of inode " + ino + " length " + len,
          involve(img, ino));
    });
    add("entry cut short, checksum resealed", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      FuzzImage.Entry e = pick(img.entries.get(ino), rnd);
      if (e.length() <= LogEntry.HEADER) {
        return null;
      }
      int len = rnd.nextBoolean() ? LogEntry.HEADER
          : LogEntry.HEADER + 8 * rnd.nextInt((e.length() - LogEntry.HEADER) / 8);
      editEntry(r, e.offset(), x -> x.putShort(2, (short) len));
      return Damage.detect(LogEntry.typeName(e.type()) + " entry at " + e.offset() + " of inode "
          + ino + " cut from " + e.length() + " to " + len + " bytes", involve(img, ino));
    });

    // Semantic entries appended with valid checksums.
    add("directory entry names a free inode", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      long child = img.freeSlots.isEmpty() || rnd.nextBoolean()
          ? (long) img.chunks.size() * InodeTable.SLOTS_PER_CHUNK + 1 + rnd.nextInt(1000)
          : img.freeSlots.first();
      if (!append(img, r, dir, Entries.dentryAdd(Name.of("ghost" + rnd.nextInt(100)), child,
          Mode.S_IFREG | 0644, cookie(rnd), 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " names free inode " + child,
          Set.of(dir, child));
    });
    add("directory entry makes a cycle", (img, r, rnd) -> {
      List<Long> deep = new ArrayList<>();
      for (long d : img.directories()) {
        if (img.parentOf.get(d) != InodeTable.ROOT_INO && d != InodeTable.ROOT_INO) {
          deep.add(d);
        }
      }
      long dir = any(deep, rnd);
      List<Long> ancestors = new ArrayList<>(List.of(dir));
      for (long a = img.parentOf.get(dir); ; a = img.parentOf.get(a)) {
        ancestors.add(a);
        if (a == InodeTable.ROOT_INO) {
          break;
        }
      }
      long anc = any(ancestors, rnd);
      if (!append(img, r, dir, Entries.dentryAdd(Name.of("loop"), anc, Mode.S_IFDIR | 0755,
          cookie(rnd), 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " names its ancestor " + anc,
          Set.of(dir, anc));
    });
    add("directory entry reuses a cookie", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      Map<String, Long> live = img.cookies.get(dir);
      if (live == null || live.isEmpty()) {
        return null;
      }
      String holder = pick(new ArrayList<>(live.keySet()), rnd);
      long taken = live.get(holder);
      long child = any(new ArrayList<>(img.expect.keySet()), rnd);
      if (child == InodeTable.ROOT_INO) {
        return null;
      }
      int mode = img.slots.get(child).type();
      if (!append(img, r, dir, Entries.dentryAdd(Name.of("samecookie"), child, mode | 0644,
          taken, 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " gives the cookie " + taken + " of " + holder
          + " to a second entry", involveWithChildren(img, dir, child));
    });
    add("name added twice", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      Map<String, Long> names = img.listing.get(dir);
      if (names == null || names.isEmpty()) {
        return null;
      }
      String n = pick(new ArrayList<>(names.keySet()), rnd);
      long child = any(new ArrayList<>(img.ofType(Mode.S_IFREG)), rnd);
      if (names.get(n) == child) {
        return null; // the same name for the same inode: no damage
      }
      if (!append(img, r, dir, Entries.dentryAdd(Name.of(n), child, Mode.S_IFREG | 0644,
          cookie(rnd), 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " adds " + n + " again, for inode " + child,
          involveWithChildren(img, dir, child, names.get(n)));
    });
    add("range count huge", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFREG), rnd);
      int op = new int[] {LogEntry.RANGE_TRUNCATE, LogEntry.RANGE_PUNCH, LogEntry.RANGE_COLLAPSE,
          LogEntry.RANGE_INSERT}[rnd.nextInt(4)];
      long[] counts = {Long.MAX_VALUE, Inode.MAX_PAGES, Inode.MAX_PAGES - 1, 1L << 40};
      long count = counts[rnd.nextInt(counts.length)];
      long first = rnd.nextBoolean() ? 0 : Inode.MAX_PAGES;
      if (!append(img, r, ino, Entries.range(op, first, count, sizeOf(img, ino), 1, 1))) {
        return null;
      }
      return Damage.silent("range op " + op + " of inode " + ino + " [" + first + ", +" + count
          + ")", involve(img, ino), "allocator");
    });
    add("next cookie at the limit", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      long c = rnd.nextBoolean() ? Long.MAX_VALUE : Long.MAX_VALUE - 1;
      if (!append(img, r, dir, Entries.dirstate(c))) {
        return null;
      }
      return Damage.silent("directory " + dir + " next cookie " + c, involve(img, dir));
    });
    add("directory gets a second name", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      long other = any(img.directories(), rnd);
      if (other == InodeTable.ROOT_INO || other == dir) {
        return null;
      }
      if (!append(img, r, dir, Entries.dentryAdd(Name.of("again"), other, Mode.S_IFDIR | 0755,
          cookie(rnd), 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " names directory " + other + " again",
          Set.of(dir, other));
    });
    add("directory entry records the wrong type", (img, r, rnd) -> {
      long file = any(img.ofType(Mode.S_IFREG), rnd);
      long dir = any(img.directories(), rnd);
      if (!append(img, r, dir, Entries.dentryAdd(Name.of("typo"), file, Mode.S_IFDIR | 0755,
          cookie(rnd), 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " names file " + file + " as a directory",
          Set.of(dir, file));
    });
    add("directory entry is impossible", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      ByteBuffer e = switch (rnd.nextInt(3)) {
        case 0 -> Entries.dentryAdd(Name.of("zero"), 0, Mode.S_IFREG, cookie(rnd), 1);
        case 1 -> Entries.dentryAdd(Name.of("cookie"), 2, Mode.S_IFREG, 1, 1);
        default -> Entries.dentryAdd(Name.of("mode"), 2, 0170000, cookie(rnd), 1);
      };
      if (!append(img, r, dir, e)) {
        return null;
      }
      return Damage.detect("impossible entry in directory " + dir, involve(img, dir));
    });
    add("name with a slash, NUL or dot", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      byte[][] names = {"a/b".getBytes(StandardCharsets.UTF_8), {'x', 0, 'y'}, {'.'},
          {'.', '.'}, {'/'}};
      byte[] n = names[rnd.nextInt(names.length)];
      long child = any(new ArrayList<>(img.slots.keySet()), rnd);
      if (!append(img, r, dir, rawDentry(n, n.length, child, cookie(rnd), Mode.S_IFREG))) {
        return null;
      }
      return Damage.detect("directory " + dir + " holds name " + java.util.Arrays.toString(n),
          involve(img, dir));
    });
    add("name of impossible length", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      byte[] n = "abcdefgh".getBytes(StandardCharsets.UTF_8);
      int[] lens = {0, 256, 300, 0xFFFF};
      int len = lens[rnd.nextInt(lens.length)];
      if (!append(img, r, dir, rawDentry(n, len, 2, cookie(rnd), Mode.S_IFREG))) {
        return null;
      }
      return Damage.detect("directory " + dir + " name length " + len, involve(img, dir));
    });
    add("removal of a name that is not there", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      if (!append(img, r, dir, Entries.dentryDel(Name.of("never-there"), 5, 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " removes a missing name", involve(img, dir));
    });
    add("directory entry in a file's log", (img, r, rnd) -> {
      long file = any(img.ofType(Mode.S_IFREG), rnd);
      if (!append(img, r, file, Entries.dentryAdd(Name.of("x"), 2, Mode.S_IFREG, cookie(rnd),
          1))) {
        return null;
      }
      return Damage.detect("file " + file + " holds a directory entry", involve(img, file));
    });
    add("extent in a directory's log", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      List<Long> free = img.freeBlocks();
      if (!append(img, r, dir, Entries.extent(0, free.get(0), 1, 0, 0, 0, 0, null))) {
        return null;
      }
      return Damage.detect("directory " + dir + " holds an extent", involve(img, dir));
    });
    add("wrong link count", (img, r, rnd) -> {
      long file = any(img.ofType(Mode.S_IFREG), rnd);
      int n = rnd.nextBoolean() ? 0 : 3 + rnd.nextInt(10);
      if (!append(img, r, file, Entries.link(n, 1))) {
        return null;
      }
      return Damage.detect("file " + file + " link count " + n, Set.of(file));
    });
    add("negative link count", (img, r, rnd) -> {
      long file = any(img.ofType(Mode.S_IFREG), rnd);
      if (!append(img, r, file, Entries.link(-1 - rnd.nextInt(5), 1))) {
        return null;
      }
      return Damage.detect("file " + file + " negative link count", Set.of(file));
    });
    add("impossible size", (img, r, rnd) -> {
      boolean dir = rnd.nextInt(3) == 0;
      long ino = dir ? pick(img.directories(), rnd) : pick(img.ofType(Mode.S_IFREG), rnd);
      long[] sizes = {-1, Long.MIN_VALUE, Inode.MAX_SIZE + 1, Long.MAX_VALUE};
      long s = dir ? 4096 : sizes[rnd.nextInt(sizes.length)];
      if (!append(img, r, ino, Entries.setattr(LogEntry.ATTR_SIZE, 0, 0, 0, 0, 0, 0, s))) {
        return null;
      }
      return Damage.detect("inode " + ino + " size " + s, involve(img, ino));
    });
    add("xattr of impossible size", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.expect.keySet()), rnd);
      ByteBuffer e = LogEntry.start(LogEntry.XATTR_SET, 16 + 8);
      int nlen = rnd.nextBoolean() ? 0 : 300;
      e.putShort((short) nlen).putShort((short) 0).putInt(rnd.nextBoolean() ? 4 : 1 << 30)
          .putLong(1).put("user.abc".getBytes(StandardCharsets.UTF_8));
      if (!append(img, r, ino, e)) {
        return null;
      }
      return Damage.detect("xattr entry of inode " + ino, involve(img, ino));
    });
    add("second init of another type", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.expect.keySet()), rnd);
      int type = (img.slots.get(ino).type() & Mode.S_IFMT) == Mode.S_IFREG ? Mode.S_IFDIR
          : Mode.S_IFREG;
      if (!append(img, r, ino, Entries.init(type | 0644, 0, 0, 1, 0, 1, 1, 1, 0, 0))) {
        return null;
      }
      return Damage.detect("inode " + ino + " re-initialised", involve(img, ino));
    });
    add("symlink target piece out of place", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFLNK), rnd);
      byte[] t = "zzzz".getBytes(StandardCharsets.UTF_8);
      if (!append(img, r, ino, Entries.target(t, 0, t.length))) {
        return null;
      }
      return Damage.detect("symlink " + ino + " gets a stray target piece", involve(img, ino));
    });
    add("next cookie impossible", (img, r, rnd) -> {
      long dir = any(img.directories(), rnd);
      if (!append(img, r, dir, Entries.dirstate(rnd.nextBoolean() ? 0 : 2))) {
        return null;
      }
      return Damage.detect("directory " + dir + " next cookie", involve(img, dir));
    });
    add("wrong parent", (img, r, rnd) -> {
      List<Long> dirs = img.directories();
      dirs.remove(InodeTable.ROOT_INO);
      long dir = any(dirs, rnd);
      long wrong = img.parentOf.get(dir) == InodeTable.ROOT_INO ? dir : InodeTable.ROOT_INO;
      if (!append(img, r, dir, Entries.parent(wrong, 1))) {
        return null;
      }
      return Damage.detect("directory " + dir + " \"..\" -> " + wrong, Set.of(dir, wrong));
    });

    // Log pages.
    add("next pointer out of range", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long[] p = pick(img.pages.get(ino), rnd);
      long[] bad = {img.sb.blockCount, img.sb.blockCount + rnd.nextInt(1 << 20), 1, 5};
      long b = bad[rnd.nextInt(bad.length)];
      long off = Layout.offset(p[0]) + LogPage.NEXT;
      r.storeLong(off, tagged(b, nextSalt(ino, p[1])));
      return Damage.detect("log page " + p[0] + " of inode " + ino + " next -> " + b,
          involve(img, ino));
    });
    add("next pointer loops", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      List<long[]> pages = img.pages.get(ino);
      int k = rnd.nextInt(pages.size());
      int j = rnd.nextInt(k + 1);
      long off = Layout.offset(pages.get(k)[0]) + LogPage.NEXT;
      r.storeLong(off, tagged(pages.get(j)[0], nextSalt(ino, pages.get(k)[1])));
      return Damage.detect("log page " + k + " of inode " + ino + " next -> page " + j,
          involve(img, ino));
    });
    add("next pointer to another inode's page", (img, r, rnd) -> {
      List<Long> inos = new ArrayList<>(img.slots.keySet());
      long ino = any(inos, rnd);
      long other = any(inos, rnd);
      if (other == ino) {
        return null;
      }
      List<long[]> pages = img.pages.get(ino);
      long[] p = pages.get(pages.size() - 1);
      long[] q = pick(img.pages.get(other), rnd);
      r.storeLong(Layout.offset(p[0]) + LogPage.NEXT, tagged(q[0], nextSalt(ino, p[1])));
      return Damage.detect("last log page of inode " + ino + " -> page " + q[0] + " of inode "
          + other, involve(img, ino));
    });
    add("next pointer to a data block", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      List<long[]> pages = img.pages.get(ino);
      long[] p = pages.get(pages.size() - 1);
      List<Long> data = new ArrayList<>();
      img.dataBlocks.values().forEach(data::addAll);
      if (data.isEmpty()) {
        return null;
      }
      long b = any(data, rnd);
      r.storeLong(Layout.offset(p[0]) + LogPage.NEXT, tagged(b, nextSalt(ino, p[1])));
      return Damage.detect("last log page of inode " + ino + " -> data block " + b,
          involve(img, ino));
    });
    add("page sequence goes backwards", (img, r, rnd) -> {
      long ino = any(img.withPages(2), rnd);
      List<long[]> pages = img.pages.get(ino);
      int k = 1 + rnd.nextInt(pages.size() - 1);
      long s = rnd.nextBoolean() ? 0 : pages.get(k - 1)[1];
      editPage(r, pages.get(k)[0], b -> b.putLong(16, s));
      return Damage.detect("log page " + k + " of inode " + ino + " sequence " + s,
          involve(img, ino));
    });
    add("page of another inode", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long[] p = pick(img.pages.get(ino), rnd);
      editPage(r, p[0], b -> b.putLong(8, ino + 1 + rnd.nextInt(5)));
      return Damage.detect("log page " + p[0] + " of inode " + ino + " claims another owner",
          involve(img, ino));
    });
    add("page of unknown version", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long[] p = pick(img.pages.get(ino), rnd);
      editPage(r, p[0], b -> b.putShort(4, (short) (2 + rnd.nextInt(100))));
      return Damage.detect("log page " + p[0] + " of inode " + ino + " version",
          involve(img, ino));
    });
    add("page magic, checksum resealed", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long[] p = pick(img.pages.get(ino), rnd);
      editPage(r, p[0], b -> b.putInt(0, 0x4c4f4721));
      return Damage.detect("log page " + p[0] + " of inode " + ino + " magic",
          involve(img, ino));
    });

    // Slot words and fields.
    add("head out of range", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long b = rnd.nextBoolean() ? img.sb.blockCount + rnd.nextInt(1000) : 3;
      r.storeLong(img.slotOffset(ino) + InodeTable.HEAD, InodeTable.headWord(ino, b));
      return Damage.detect("inode " + ino + " head -> " + b, involve(img, ino));
    });
    add("head at another inode's log", (img, r, rnd) -> {
      List<Long> inos = new ArrayList<>(img.slots.keySet());
      long ino = any(inos, rnd);
      long other = any(inos, rnd);
      if (ino == other) {
        return null;
      }
      r.storeLong(img.slotOffset(ino) + InodeTable.HEAD, InodeTable.headWord(ino,
          img.slots.get(other).head()));
      return Damage.detect("inode " + ino + " head -> log of inode " + other,
          involve(img, ino));
    });
    add("head at the log's second page", (img, r, rnd) -> {
      List<Long> multi = img.withPages(2);
      if (multi.isEmpty()) {
        return null;
      }
      long ino = any(multi, rnd);
      r.storeLong(img.slotOffset(ino) + InodeTable.HEAD, InodeTable.headWord(ino,
          img.pages.get(ino).get(1)[0]));
      return Damage.detect("inode " + ino + " head -> its second page", involve(img, ino));
    });
    add("tail beyond the chain", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      List<Long> free = img.freeBlocks();
      long t = rnd.nextBoolean() && !free.isEmpty()
          ? Layout.offset(pick(free, rnd)) + LogPage.HEADER
          : Layout.offset(img.sb.blockCount) + 128;
      r.storeLong(img.slotOffset(ino) + InodeTable.TAIL, InodeTable.tailWord(ino, t));
      return Damage.detect("inode " + ino + " tail -> " + t, involve(img, ino));
    });
    add("tail inside a page header", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long[] p = pick(img.pages.get(ino), rnd);
      long t = Layout.offset(p[0]) + 8 * (1 + rnd.nextInt(7));
      r.storeLong(img.slotOffset(ino) + InodeTable.TAIL, InodeTable.tailWord(ino, t));
      return Damage.detect("inode " + ino + " tail inside the header of page " + p[0],
          involve(img, ino));
    });
    add("tail inside the last entry", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      List<FuzzImage.Entry> es = img.entries.get(ino);
      FuzzImage.Entry last = es.get(es.size() - 1);
      if (last.length() <= 8 || last.offset() + last.length() != img.slots.get(ino).tail()) {
        return null;
      }
      long t = last.offset() + 8 * (1 + rnd.nextInt(last.length() / 8 - 1));
      r.storeLong(img.slotOffset(ino) + InodeTable.TAIL, InodeTable.tailWord(ino, t));
      return Damage.detect("inode " + ino + " tail inside its last entry", involve(img, ino));
    });
    add("tail into zeroes", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long tail = img.slots.get(ino).tail();
      long end = (tail & ~(Layout.BLOCK - 1L)) + Layout.BLOCK;
      if (end - tail < 64) {
        return null;
      }
      byte[] beyond = load(r, tail, (int) (end - tail));
      for (byte b : beyond) {
        if (b != 0) {
          return null; // an aborted entry lies there: moving the tail would be a valid commit
        }
      }
      long t = tail + 8 * (2 + rnd.nextInt((int) ((end - tail) / 8) - 2));
      r.storeLong(img.slotOffset(ino) + InodeTable.TAIL, InodeTable.tailWord(ino, t));
      return Damage.detect("inode " + ino + " tail moved into zeroes", involve(img, ino));
    });
    add("slot of unknown file type", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      int t = rnd.nextBoolean() ? 0 : 0070000;
      editSlot(r, img.slotOffset(ino), b -> b.putInt(InodeTable.TYPE, t));
      return Damage.detect("inode " + ino + " slot type " + Integer.toOctalString(t),
          involve(img, ino));
    });
    add("slot type differs from the log", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      int t = (img.slots.get(ino).type() & Mode.S_IFMT) == Mode.S_IFDIR ? Mode.S_IFREG
          : Mode.S_IFDIR;
      editSlot(r, img.slotOffset(ino), b -> b.putInt(InodeTable.TYPE, t));
      return Damage.detect("inode " + ino + " slot type " + Integer.toOctalString(t),
          involve(img, ino));
    });
    add("slot names another inode", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      editSlot(r, img.slotOffset(ino), b -> b.putLong(InodeTable.INO, ino + 1));
      return Damage.detect("inode " + ino + " slot number", involve(img, ino));
    });
    add("valid word holds 2", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      r.storeLong(img.slotOffset(ino) + InodeTable.VALID, tagged(2 + rnd.nextInt(10),
          TaggedWord.salt(TaggedWord.SALT_INODE_VALID, ino)));
      return Damage.detect("inode " + ino + " valid word", involve(img, ino));
    });
    add("orphan word holds 2", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      r.storeLong(img.slotOffset(ino) + InodeTable.ORPHAN, tagged(2 + rnd.nextInt(10),
          TaggedWord.salt(TaggedWord.SALT_INODE_ORPHAN, ino)));
      return Damage.detect("inode " + ino + " orphan word", involve(img, ino));
    });
    add("named file put on the orphan list", (img, r, rnd) -> {
      long ino = any(img.ofType(Mode.S_IFREG), rnd);
      r.storeLong(img.slotOffset(ino) + InodeTable.ORPHAN, InodeTable.orphanWord(ino, true));
      return Damage.detect("named inode " + ino + " on the orphan list", involve(img, ino));
    });
    add("free slot marked valid", (img, r, rnd) -> {
      if (img.freeSlots.isEmpty()) {
        return null;
      }
      long ino = img.freeSlots.last();
      r.storeLong(img.slotOffset(ino) + InodeTable.VALID, InodeTable.validWord(ino, true));
      return Damage.detect("free slot " + ino + " marked valid", Set.of(ino));
    });

    // Inode-table chunk headers.
    add("chunk next out of range", (img, r, rnd) -> {
      int c = img.chunks.size() - 1;
      long b = rnd.nextBoolean() ? img.sb.blockCount + rnd.nextInt(100) : 4;
      r.storeLong(Layout.offset(img.chunks.get(c)) + 16, tagged(b,
          TaggedWord.salt(TaggedWord.SALT_CHUNK_NEXT, c)));
      return Damage.detect("chunk " + c + " next -> " + b, Set.of());
    });
    add("chunk next loops", (img, r, rnd) -> {
      int c = img.chunks.size() - 1;
      long b = img.chunks.get(rnd.nextInt(img.chunks.size()));
      r.storeLong(Layout.offset(img.chunks.get(c)) + 16, tagged(b,
          TaggedWord.salt(TaggedWord.SALT_CHUNK_NEXT, c)));
      return Damage.detect("chunk " + c + " next -> chunk at " + b, Set.of());
    });
    add("chunk next to a data block", (img, r, rnd) -> {
      int c = img.chunks.size() - 1;
      List<Long> data = new ArrayList<>();
      img.dataBlocks.values().forEach(data::addAll);
      if (data.isEmpty()) {
        return null;
      }
      long b = any(data, rnd);
      r.storeLong(Layout.offset(img.chunks.get(c)) + 16, tagged(b,
          TaggedWord.salt(TaggedWord.SALT_CHUNK_NEXT, c)));
      return Damage.detect("chunk " + c + " next -> data block " + b, Set.of());
    });
    add("chunk records another index", (img, r, rnd) -> {
      int c = rnd.nextInt(img.chunks.size());
      editChunk(r, img.chunks.get(c), b -> b.putLong(8, c + 1 + rnd.nextInt(5)));
      return Damage.detect("chunk " + c + " index", Set.of());
    });
    add("chunk of unknown version", (img, r, rnd) -> {
      int c = rnd.nextInt(img.chunks.size());
      editChunk(r, img.chunks.get(c), b -> b.putInt(24, 2 + rnd.nextInt(10)));
      return Damage.detect("chunk " + c + " version", Set.of());
    });
    add("chunk magic, checksum resealed", (img, r, rnd) -> {
      int c = rnd.nextInt(img.chunks.size());
      editChunk(r, img.chunks.get(c), b -> b.putLong(0, 0x4b48434f4e495845L));
      return Damage.detect("chunk " + c + " magic", Set.of());
    });

    // Superblocks: both copies (refused), or the primary alone (the backup serves).
    for (String field : new String[] {"version", "region size", "block count", "block size",
        "state", "checkpoint", "reserve", "journal", "inode table", "slot size", "magic"}) {
      add("superblock " + field, (img, r, rnd) -> {
        boolean both = rnd.nextInt(3) != 0;
        editSuperblock(r, true, both, b -> superblockField(b, field, rnd));
        return Damage.detect((both ? "both superblocks: " : "primary superblock: ") + field,
            Set.of(), "superblock");
      });
    }

    // The allocator checkpoint, resealed in both superblocks.
    add("checkpoint extents out of order", (img, r, rnd) ->
        editCheckpoint(img, r, b -> {
          long n = b.getLong(16);
          if (n < 1) {
            return false;
          }
          int i = rnd.nextInt((int) n);
          b.putLong(Checkpoint.HEADER + 16 * i, rnd.nextBoolean() ? 1 : img.sb.blockCount);
          return true;
        }, "extent order", true));
    add("checkpoint of another mount", (img, r, rnd) ->
        editCheckpoint(img, r, b -> {
          b.putLong(24, b.getLong(24) + 1);
          return true;
        }, "mount count", true));
    add("checkpoint counts too many extents", (img, r, rnd) ->
        editCheckpoint(img, r, b -> {
          b.putLong(16, rnd.nextBoolean() ? -1 : 1L << 40);
          return true;
        }, "extent count", true));
    add("checkpoint frees a used block", (img, r, rnd) -> {
      List<Long> files = new ArrayList<>(img.dataBlocks.keySet());
      files.removeIf(f -> img.dataBlocks.get(f).isEmpty());
      if (files.isEmpty()) {
        return null;
      }
      long victim = any(files, rnd);
      long block = any(img.dataBlocks.get(victim), rnd);
      Damage d = editCheckpoint(img, r, b -> addFreeBlock(b, block), "frees block " + block
          + " of inode " + victim, false);
      return d == null ? null : Damage.detect(d.what(), Set.of(victim), "allocator");
    });

    // Journal lanes made active.
    add("active lane claims too many entries", (img, r, rnd) ->
        lane(img, r, rnd, Journal.MAX_ENTRIES + 1 + rnd.nextInt(255 - Journal.MAX_ENTRIES),
            null, "too many entries", Set.of()));
    add("active lane entry fails its checksum", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long addr = img.slotOffset(ino) + InodeTable.TAIL;
      return lane(img, r, rnd, 1, new long[] {addr, r.loadLong(addr), -1}, "bad entry crc",
          Set.of());
    });
    add("active lane entry names an impossible word", (img, r, rnd) -> {
      long[] addrs = {3, r.size(), r.size() - 4, -8, Long.MAX_VALUE & ~7L};
      long addr = addrs[rnd.nextInt(addrs.length)];
      return lane(img, r, rnd, 1, new long[] {addr, 0, 0}, "entry at " + addr, Set.of());
    });
    add("active lane entry of another transaction", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long addr = img.slotOffset(ino) + InodeTable.TAIL;
      return lane(img, r, rnd, 1, new long[] {addr, r.loadLong(addr), 1}, "sequence mismatch",
          Set.of());
    });
    add("rollback writes a damaged tail", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long addr = img.slotOffset(ino) + InodeTable.TAIL;
      long garbage = r.loadLong(addr) ^ (1L << (48 + rnd.nextInt(16)));
      return lane(img, r, rnd, 1, new long[] {addr, garbage, 0}, "garbage tail for inode "
          + ino, involve(img, ino));
    });
    add("rollback to the current values", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      long addr = img.slotOffset(ino) + InodeTable.TAIL;
      Damage d = lane(img, r, rnd, 1, new long[] {addr, r.loadLong(addr), 0}, "no-op rollback",
          Set.of());
      return d == null ? null : Damage.detect(d.what(), Set.of(), "journal");
    });
    add("rollback to an older tail", (img, r, rnd) -> {
      long ino = any(new ArrayList<>(img.slots.keySet()), rnd);
      List<FuzzImage.Entry> es = img.entries.get(ino);
      if (es.size() < 2) {
        return null;
      }
      FuzzImage.Entry e = es.get(1 + rnd.nextInt(es.size() - 1));
      long addr = img.slotOffset(ino) + InodeTable.TAIL;
      Damage d = lane(img, r, rnd, 1, new long[] {addr, InodeTable.tailWord(ino, e.offset()), 0},
          "inode " + ino + " back to " + e.offset(), involve(img, ino));
      // Dropping committed entries changes which blocks the inode uses.
      return d == null ? null : Damage.detect(d.what(), d.involved(), "journal", "allocator");
    });
  }

  private static List<Long> withEntries(FuzzImage img, int n) {
    List<Long> out = new ArrayList<>();
    img.entries.forEach((ino, es) -> {
      if (es.size() >= n) {
        out.add(ino);
      }
    });
    out.sort(null);
    return out;
  }

  private static long pickWith(FuzzImage img, int type, SplittableRandom rnd) {
    List<Long> out = new ArrayList<>();
    img.entries.forEach((ino, es) -> {
      if (es.stream().anyMatch(e -> e.type() == type)) {
        out.add(ino);
      }
    });
    out.sort(null);
    return any(out, rnd);
  }

  private static long sizeOf(FuzzImage img, long ino) {
    String d = img.expect.get(ino);
    int at = d.indexOf(" size=");
    return Long.parseLong(d.substring(at + 6, d.indexOf(' ', at + 6)));
  }

  private static void superblockField(ByteBuffer b, String field, SplittableRandom rnd) {
    switch (field) {
      case "version" -> b.putInt(8, 2 + rnd.nextInt(100));
      case "region size" -> b.putLong(16, b.getLong(16) + Layout.BLOCK);
      case "block count" -> b.putLong(24, b.getLong(24) + 1 + rnd.nextInt(1000));
      case "block size" -> b.putInt(32, 8192);
      case "state" -> b.putLong(96, 3 + rnd.nextInt(100));
      case "checkpoint" -> {
        b.putLong(128, b.getLong(24) - 1);
        b.putLong(136, 2 + rnd.nextInt(100));
      }
      case "reserve" -> b.putLong(152, rnd.nextBoolean() ? -1 : b.getLong(24) + 1);
      case "journal" -> b.putInt(88, 4);
      case "inode table" -> b.putLong(64, 12);
      case "slot size" -> b.putInt(72, 256);
      default -> b.putLong(0, 0x42530053_4658_4145L);
    }
  }

  /** Edits the checkpoint blocks, resealing the CRC in both superblocks. */
  private static Damage editCheckpoint(FuzzImage img, PmemRegion r,
      java.util.function.Predicate<ByteBuffer> edit, String what, boolean detect) {
    if (!img.clean || img.sb.checkpointBlock == 0) {
      return null;
    }
    long off = Layout.offset(img.sb.checkpointBlock);
    byte[] cp = load(r, off, (int) (img.sb.checkpointBlocks * Layout.BLOCK));
    if (!edit.test(le(cp))) {
      return null;
    }
    r.store(off, cp, 0, cp.length);
    int crc = Crc.crc32c(cp, 0, cp.length);
    editSuperblock(r, true, true, b -> b.putInt(144, crc));
    return new Damage("checkpoint: " + what, Set.of(), Set.of("allocator"), detect);
  }

  /** Adds {@code block} to the checkpoint's free extents (kept in order); false if it can't. */
  private static boolean addFreeBlock(ByteBuffer b, long block) {
    long n = b.getLong(16);
    List<long[]> ext = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ext.add(new long[] {b.getLong(Checkpoint.HEADER + 16 * i),
          b.getLong(Checkpoint.HEADER + 16 * i + 8)});
    }
    ext.add(new long[] {block, 1});
    ext.sort((x, y) -> Long.compare(x[0], y[0]));
    List<long[]> merged = new ArrayList<>();
    for (long[] e : ext) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && last[0] + last[1] == e[0]) {
        last[1] += e[1];
      } else {
        merged.add(e.clone());
      }
    }
    if (Checkpoint.HEADER + 16L * merged.size() > b.capacity()) {
      return false;
    }
    b.putLong(16, merged.size());
    for (int i = 0; i < merged.size(); i++) {
      b.putLong(Checkpoint.HEADER + 16 * i, merged.get(i)[0]);
      b.putLong(Checkpoint.HEADER + 16 * i + 8, merged.get(i)[1]);
    }
    return true;
  }

  /**
   * Makes a journal lane active with {@code count} entries; {@code entry} is {addr, old, seq
   * delta (0 = the lane's sequence, -1 = a broken CRC, else a different sequence)}.
   */
  private static Damage lane(FuzzImage img, PmemRegion r, SplittableRandom rnd, int count,
      long[] entry, String what, Set<Long> involved) {
    int lane = rnd.nextInt(Journal.LANES);
    long off = Layout.offset(Layout.JOURNAL_BLOCK + lane);
    long seq = 1 + rnd.nextInt(1 << 20);
    for (int i = 0; i < Math.min(count, Journal.MAX_ENTRIES); i++) {
      long addr = entry == null ? img.slotOffset(img.slots.keySet().iterator().next()) : entry[0];
      long old = entry == null ? r.loadLong(addr) : entry[1];
      long s = entry == null || entry[2] <= 0 ? seq : seq + entry[2];
      ByteBuffer crc = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
      crc.putLong(addr).putLong(old).putLong(s).putInt(lane);
      int c = Crc.crc32c(crc.array(), 0, 28);
      if (entry != null && entry[2] < 0) {
        c ^= 0x5a5a;
      }
      ByteBuffer e = ByteBuffer.allocate(Journal.ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      e.putLong(addr).putLong(old).putLong(s).putInt(c).putInt(0);
      r.store(off + Journal.HEADER + (long) i * Journal.ENTRY_SIZE, e.array(), 0,
          Journal.ENTRY_SIZE);
    }
    long state = (seq << 8) | count;
    r.storeLong(off, tagged(state, TaggedWord.salt(TaggedWord.SALT_JOURNAL, lane)));
    Set<String> kinds = new HashSet<>(Set.of("journal"));
    return new Damage("journal lane " + lane + " active: " + what, involved, kinds, true);
  }

  /** The structure-aware mutation names, for the tally. */
  static List<String> names() {
    List<String> out = new ArrayList<>();
    for (Named n : STRUCTURED) {
      out.add(n.name());
    }
    return out;
  }

  static Map<String, Mutation> byName() {
    Map<String, Mutation> m = new java.util.LinkedHashMap<>();
    for (Named n : STRUCTURED) {
      m.put(n.name(), n.mutation());
    }
    return m;
  }
}
