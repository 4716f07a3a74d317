package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.pattern;

import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.OverlayRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A filesystem image built by a random workload, and a map of every structure on it, found
 * through the filesystem's own readers (superblock, inode table, logs): what the corruption
 * fuzzer damages, and what a mount of the undamaged image shows, inode by inode.
 */
final class FuzzImage {

  /** The undamaged image; cases damage overlays of it, never the image itself. */
  final HeapRegion base;

  /** Seed of the workload, for messages. */
  final long seed;

  /** Whether the workload ended with a clean unmount (else the image is a crash image). */
  final boolean clean;

  final Superblock sb;

  /** Inode-table chunk blocks, in chain order. */
  final List<Long> chunks = new ArrayList<>();

  /** Valid slots by inode number. */
  final Map<Long, InodeTable.Slot> slots = new TreeMap<>();

  /** Numbers of free slots in the linked chunks. */
  final java.util.TreeSet<Long> freeSlots = new java.util.TreeSet<>();

  /** Each valid inode's log pages, {block, sequence}, head first. */
  final Map<Long, List<long[]>> pages = new HashMap<>();

  /** Each valid inode's committed entries in log order. */
  final Map<Long, List<Entry>> entries = new HashMap<>();

  /** Each directory's children ever named by its log (removed names included). */
  final Map<Long, Set<Long>> namedEver = new HashMap<>();

  /** Each regular file's mapped blocks (as the mount of the undamaged image sees them). */
  final Map<Long, List<Long>> dataBlocks = new HashMap<>();

  /** What a mount shows of each reachable inode (see {@link #describe}). */
  final Map<Long, String> expect = new HashMap<>();

  /** Each reachable directory's entries: name to inode. */
  final Map<Long, Map<String, Long>> listing = new HashMap<>();

  /** Each reachable directory's entries: name to readdir cookie. */
  final Map<Long, Map<String, Long>> cookies = new HashMap<>();

  /** Each reachable directory's parent. */
  final Map<Long, Long> parentOf = new HashMap<>();

  /** One committed log entry. */
  record Entry(long offset, int type, int length, long sequence) {}

  private FuzzImage(HeapRegion base, long seed, boolean clean) {
    this.base = base;
    this.seed = seed;
    this.clean = clean;
    this.sb = Superblock.load(base);
  }

  /** Mount options of every fuzz mount: no background worker, so runs are repeatable. */
  static MountOptions options() {
    return MountOptions.defaults().backgroundCleaning(false).atime(MountOptions.Atime.NOATIME);
  }

  // ---- the workload ------------------------------------------------------------------------

  /**
   * Formats a region of {@code mib} MiB and runs a workload from {@code seed} on it: a fixed
   * skeleton that holds every kind of structure (nested directories, a directory spanning two
   * inode-table chunks, a log of several pages with cleaned gaps, hard links, short and long
   * symlinks, xattrs, a FIFO), then random operations; it ends with a clean unmount or, with
   * {@code crash}, by abandoning the mount (an unlinked file may still be open: an orphan).
   */
  static FuzzImage build(long seed, int mib, boolean crash) {
    return build(seed, mib, crash, false);
  }

  /** As {@link #build(long, int, boolean)}, formatted with data checksums when asked. */
  static FuzzImage build(long seed, int mib, boolean crash, boolean checksums) {
    HeapRegion region = new HeapRegion((long) mib << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(checksums));
    DaxFs fs = DaxFs.mount(region, options());
    SplittableRandom rnd = new SplittableRandom(seed);
    Workload w = new Workload(fs, rnd);
    w.skeleton();
    int ops = 30 + rnd.nextInt(50);
    for (int i = 0; i < ops; i++) {
      try {
        w.randomOp();
      } catch (ErrnoException e) {
        // Random operations collide with each other (ENOENT, EEXIST, ENOTEMPTY...): fine.
      }
    }
    if (crash) {
      if (rnd.nextBoolean()) {
        w.openOrphan();
      }
    } else {
      fs.unmount();
    }
    FuzzImage img = new FuzzImage(region, seed, !crash);
    img.mapStructures();
    img.mapState();
    return img;
  }

  /** The random workload. */
  private static final class Workload {
    final DaxFs fs;
    final SplittableRandom rnd;
    /** Paths of directories and of files made so far (some may be gone). */
    final List<String> dirs = new ArrayList<>(List.of("/"));
    final List<String> files = new ArrayList<>();

    Workload(DaxFs fs, SplittableRandom rnd) {
      this.fs = fs;
      this.rnd = rnd;
    }

    void skeleton() {
      mkdir("/a");
      mkdir("/a/b");
      mkdir("/a/b/c");
      mkdir("/d");
      file("/a/f1", pattern(3 * 4096 + 100, 1));
      file("/a/b/f2", pattern(500, 2));
      // Enough files in /d for a second inode-table chunk.
      for (int i = 0; i < 34; i++) {
        file("/d/n" + i, pattern(1 + rnd.nextInt(6000), i));
      }
      // A log of several pages: many small writes, then a clean that leaves gaps.
      FileHandle h = fs.open(ROOT, "/d/big", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
      files.add("/d/big");
      for (int i = 0; i < 150; i++) {
        FsTesting.write(fs, h, rnd.nextInt(16) * 4096L + rnd.nextInt(4000), pattern(40, i));
      }
      fs.release(h);
      long big = fs.resolve(ROOT, "/d/big", true).ino();
      fs.cleanLog(big, false);
      for (int i = 0; i < 20; i++) {
        fs.setxattr(ROOT, big, "user.churn" + (i % 3), pattern(300, i), 0);
      }
      fs.symlink(ROOT, "a/f1", "/s");
      fs.symlink(ROOT, "/" + "x".repeat(2999), "/ls");
      fs.link(ROOT, "/a/f1", "/a/b/c/h");
      long f1 = fs.resolve(ROOT, "/a/f1", true).ino();
      fs.setxattr(ROOT, f1, "user.small", FsTesting.utf8("v"), 0);
      fs.setxattr(ROOT, f1, "user.big", pattern(3000, 7), 0);
      fs.mknod(ROOT, "/d/fifo", Mode.S_IFIFO | 0644, 0);
      for (int i = 0; i < 10; i += 2) {
        fs.unlink(ROOT, "/d/n" + i);
        files.remove("/d/n" + i);
      }
    }

    private void mkdir(String p) {
      fs.mkdir(ROOT, p, 0755);
      dirs.add(p);
    }

    private void file(String p, byte[] data) {
      FsTesting.writeFile(fs, p, data);
      files.add(p);
    }

    private String anyDir() {
      return dirs.get(rnd.nextInt(dirs.size()));
    }

    private String anyFile() {
      return files.isEmpty() ? "/nothing" : files.get(rnd.nextInt(files.size()));
    }

    private String child(String dir, String prefix) {
      return (dir.equals("/") ? "" : dir) + "/" + prefix + rnd.nextInt(12);
    }

    void randomOp() {
      switch (rnd.nextInt(16)) {
        case 0 -> mkdir(child(anyDir(), "D"));
        case 1, 2 -> file(child(anyDir(), "F"), pattern(rnd.nextInt(3 * 4096), rnd.nextInt()));
        case 3 -> {
          FileHandle h = fs.open(ROOT, anyFile(), FileHandle.O_RDWR, 0);
          try {
            FsTesting.write(fs, h, rnd.nextInt(8 * 4096), pattern(1 + rnd.nextInt(5000),
                rnd.nextInt()));
          } finally {
            fs.release(h);
          }
        }
        case 4 -> fs.setattr(ROOT, fs.resolve(ROOT, anyFile(), true).ino(),
            SetAttr.create().size(rnd.nextInt(6 * 4096)));
        case 5 -> {
          FileHandle h = fs.open(ROOT, anyFile(), FileHandle.O_RDWR, 0);
          try {
            int mode = rnd.nextBoolean()
                ? FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE
                : FileIo.FALLOC_FL_KEEP_SIZE;
            fs.fallocate(ROOT, h, mode, rnd.nextInt(6 * 4096), 1 + rnd.nextInt(3 * 4096));
          } finally {
            fs.release(h);
          }
        }
        case 6 -> {
          String to = child(anyDir(), "L");
          fs.link(ROOT, anyFile(), to);
          files.add(to);
        }
        case 7 -> fs.symlink(ROOT, "t".repeat(1 + rnd.nextInt(rnd.nextBoolean() ? 30 : 3000)),
            child(anyDir(), "S"));
        case 8 -> fs.setxattr(ROOT, fs.resolve(ROOT, rnd.nextBoolean() ? anyFile() : anyDir(),
            true).ino(), "user.r" + rnd.nextInt(4), pattern(rnd.nextInt(600), rnd.nextInt()), 0);
        case 9 -> fs.removexattr(ROOT, fs.resolve(ROOT, anyFile(), true).ino(),
            "user.r" + rnd.nextInt(4));
        case 10 -> {
          String from = anyFile();
          String to = child(anyDir(), "R");
          fs.rename(ROOT, from, to, 0);
          files.remove(from);
          files.add(to);
        }
        case 11 -> {
          String from = anyDir();
          String to = child(anyDir(), "RD");
          fs.rename(ROOT, from, to, 0);
          dirs.replaceAll(d -> d.equals(from) || d.startsWith(from + "/")
              ? to + d.substring(from.length()) : d);
          files.replaceAll(d -> d.startsWith(from + "/") ? to + d.substring(from.length()) : d);
        }
        case 12 -> {
          String f = anyFile();
          fs.unlink(ROOT, f);
          files.remove(f);
        }
        case 13 -> {
          String d = anyDir();
          fs.rmdir(ROOT, d);
          dirs.remove(d);
        }
        case 14 -> fs.cleanLog(fs.resolve(ROOT, rnd.nextBoolean() ? anyFile() : anyDir(), true)
            .ino(), rnd.nextBoolean());
        default -> {
          FileHandle h = fs.open(ROOT, anyFile(), FileHandle.O_RDWR, 0);
          try {
            for (int i = 0; i < 20; i++) {
              FsTesting.write(fs, h, rnd.nextInt(4 * 4096), pattern(1 + rnd.nextInt(64), i));
            }
          } finally {
            fs.release(h);
          }
        }
      }
    }

    /** A file unlinked while open: on the orphan list when the image is taken. */
    void openOrphan() {
      FsTesting.writeFile(fs, "/orphan", pattern(7000, 9));
      FileHandle h = fs.open(ROOT, "/orphan", FileHandle.O_RDWR, 0);
      fs.unlink(ROOT, "/orphan");
      FsTesting.write(fs, h, 8192, pattern(100, 3));
      // The handle stays open: the image is taken as if the process died here.
    }
  }

  // ---- the map -----------------------------------------------------------------------------

  /** Slots, chunks, log pages and entries, read by the filesystem's own readers. */
  private void mapStructures() {
    PmemRegion view = new OverlayRegion(base);
    List<InodeTable.Slot> found = new ArrayList<>();
    InodeTable table = InodeTable.load(view, sb.blockCount, found::add, (i, why) -> {
      throw new AssertionError("the undamaged image has a damaged slot " + i + ": " + why);
    });
    chunks.addAll(table.chunkBlocks());
    for (int c = 0; c < chunks.size(); c++) {
      for (int s = 1; s < InodeTable.SLOTS_PER_CHUNK; s++) {
        freeSlots.add((long) c * InodeTable.SLOTS_PER_CHUNK + s);
      }
    }
    for (InodeTable.Slot slot : found) {
      slots.put(slot.ino(), slot);
      freeSlots.remove(slot.ino());
      List<Entry> list = new ArrayList<>();
      InodeLog log = InodeLog.open(view, slot.ino(), slot.head(), slot.tail(), sb.blockCount,
          (type, seq, payload, offset) -> {
            list.add(new Entry(offset, type, payload.limit(), seq));
            if (type == LogEntry.DENTRY_ADD) {
              namedEver.computeIfAbsent(slot.ino(), k -> new HashSet<>())
                  .add(payload.getLong(payload.position()));
            }
          });
      entries.put(slot.ino(), list);
      pages.put(slot.ino(), log.describePages());
    }
  }

  /** What a mount of the undamaged image shows, inode by inode. */
  private void mapState() {
    DaxFs fs = DaxFs.mount(new OverlayRegion(base), options());
    ArrayDeque<Long> unvisited = new ArrayDeque<>();
    unvisited.add(fs.rootIno());
    parentOf.put(fs.rootIno(), fs.rootIno());
    expect.put(fs.rootIno(), describe(fs, fs.rootIno()));
    while (!unvisited.isEmpty()) {
      long dir = unvisited.poll();
      Map<String, Long> names = new TreeMap<>();
      Map<String, Long> cookieOf = new TreeMap<>();
      cookies.put(dir, cookieOf);
      for (Map.Entry<String, DirEntry> e : FsTesting.list(fs, dir).entrySet()) {
        long ino = e.getValue().ino();
        names.put(e.getKey(), ino);
        cookieOf.put(e.getKey(), e.getValue().cookie());
        if (!expect.containsKey(ino)) {
          expect.put(ino, describe(fs, ino));
          Inode in = fs.volume().cache.get(ino);
          if (in.isRegular()) {
            List<Long> blocks = new ArrayList<>();
            in.blocks.forEach(0, Long.MAX_VALUE, (p, x) -> blocks.add(BlockMap.block(x)));
            dataBlocks.put(ino, blocks);
          }
          if (in.isDir()) {
            parentOf.put(ino, dir);
            unvisited.add(ino);
          }
        }
      }
      listing.put(dir, names);
    }
    fs.unmount();
  }

  /**
   * Everything observable of one inode but times: type, mode, links, owner, size, device,
   * content, symlink target and xattrs.
   */
  static String describe(DaxFs fs, long ino) {
    Attr a = fs.getattr(ino);
    StringBuilder s = new StringBuilder();
    s.append("mode=").append(Integer.toOctalString(a.mode())).append(" nlink=")
        .append(a.nlink()).append(" uid=").append(a.uid()).append(" size=").append(a.size())
        .append(" rdev=").append(a.rdev());
    if (a.isSymlink()) {
      s.append(" target=").append(Arrays.hashCode(fs.readlink(ROOT, ino)));
    } else if (a.isRegular()) {
      s.append(" data=").append(contentHash(fs, ino, a.size()));
    }
    List<String> xs = new ArrayList<>(fs.listxattr(ROOT, ino));
    xs.sort(null);
    for (String x : xs) {
      s.append(" ").append(x).append('=').append(Arrays.hashCode(fs.getxattr(ROOT, ino, x)));
    }
    return s.toString();
  }

  /** Hash of a file's bytes as read (a short read shows in the result, it does not throw). */
  static String contentHash(DaxFs fs, long ino, long size) {
    FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDONLY | FileHandle.O_NOATIME);
    try {
      byte[] out = new byte[(int) Math.min(size, 64 << 20)];
      ByteBuffer b = ByteBuffer.wrap(out);
      while (b.hasRemaining()) {
        if (fs.read(h, b.position(), b) == 0) {
          break;
        }
      }
      return Arrays.hashCode(out) + (b.hasRemaining() ? "/short:" + b.position() : "");
    } finally {
      fs.release(h);
    }
  }

  // ---- queries -----------------------------------------------------------------------------

  /**
   * {@code ino} and, for a directory, everything below it (hard-linked files included), and
   * every inode its log ever named: damage to a directory's log can bring a removed name back.
   */
  Set<Long> subtree(long ino) {
    Set<Long> out = new HashSet<>();
    ArrayDeque<Long> unvisited = new ArrayDeque<>();
    unvisited.add(ino);
    while (!unvisited.isEmpty()) {
      long i = unvisited.poll();
      if (out.add(i)) {
        Map<String, Long> l = listing.get(i);
        if (l != null) {
          unvisited.addAll(l.values());
        }
        unvisited.addAll(namedEver.getOrDefault(i, Set.of()));
      }
    }
    return out;
  }

  /** Directories reachable from the root, root first. */
  List<Long> directories() {
    return new ArrayList<>(new java.util.TreeSet<>(listing.keySet()));
  }

  /** Reachable inodes of the given S_IFMT type. */
  List<Long> ofType(int type) {
    List<Long> out = new ArrayList<>();
    for (InodeTable.Slot s : slots.values()) {
      if ((s.type() & Mode.S_IFMT) == type && expect.containsKey(s.ino())) {
        out.add(s.ino());
      }
    }
    return out;
  }

  /** Entries of {@code ino}'s log of the given type. */
  List<Entry> entriesOf(long ino, int type) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries.getOrDefault(ino, List.of())) {
      if (e.type() == type) {
        out.add(e);
      }
    }
    return out;
  }

  /** Inodes whose logs have at least {@code n} pages. */
  List<Long> withPages(int n) {
    List<Long> out = new ArrayList<>();
    pages.forEach((ino, p) -> {
      if (p.size() >= n) {
        out.add(ino);
      }
    });
    out.sort(null);
    return out;
  }

  long slotOffset(long ino) {
    return Layout.offset(chunks.get((int) (ino / InodeTable.SLOTS_PER_CHUNK)))
        + (ino % InodeTable.SLOTS_PER_CHUNK) * InodeTable.SLOT_SIZE;
  }

  /** The inode whose log holds block {@code block}, or -1. */
  long logOwner(long block) {
    for (Map.Entry<Long, List<long[]>> e : pages.entrySet()) {
      for (long[] p : e.getValue()) {
        if (p[0] == block) {
          return e.getKey();
        }
      }
    }
    return -1;
  }

  /** Blocks no structure uses (by the map), in order. */
  List<Long> freeBlocks() {
    Set<Long> used = new HashSet<>(chunks);
    pages.values().forEach(l -> l.forEach(p -> used.add(p[0])));
    dataBlocks.values().forEach(used::addAll);
    List<Long> out = new ArrayList<>();
    for (long b = Layout.FIRST_ALLOCATABLE; b < sb.blockCount; b++) {
      if (!used.contains(b)) {
        out.add(b);
      }
    }
    return out;
  }

  /** A short description for failure messages. */
  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seed", seed);
    m.put("clean", clean);
    m.put("checksums", sb.dataChecksums());
    m.put("blocks", sb.blockCount);
    m.put("inodes", slots.size());
    m.put("chunks", chunks.size());
    return "image" + m;
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
  }
}
