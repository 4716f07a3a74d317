package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.content;
import static dev.daxfs.fs.FsTesting.formatted;
import static dev.daxfs.fs.FsTesting.list;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.snapshot;
import static dev.daxfs.fs.FsTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Concurrency stress with fsck as the judge. Threads of random operations on private and
 * shared files and directories (data, truncate, punch, preallocate, links, symlinks, renames,
 * xattrs, fsync, log cleaning on demand racing with appends), a fixed number each; then every
 * private file must hold exactly what its thread wrote, fsck must find nothing after a clean
 * unmount nor on a crash image, and both remounts must show the same state. And threads
 * renaming directories across each other: never a cycle, never a lost subtree.
 *
 * <p>Budget: {@code daxfs.stress.threads} (default 8) threads of {@code daxfs.stress.ops}
 * (default 4000) operations each per test; {@code daxfs.stress.bugRounds} (default 50) storms at
 * most for the switched-off twin. Nothing here depends on how fast the machine is: a deadline
 * ({@code daxfs.stress.hangGuardSeconds}, default 600) only stops a hung run.
 */
class StressTest {

  private static final int P = 4096;

  private static int threads() {
    return Math.max(8, Integer.getInteger("daxfs.stress.threads", 8));
  }

  private static int opsPerThread() {
    return Math.max(1, Integer.getInteger("daxfs.stress.ops", 4000));
  }

  private static final long HANG_GUARD_SECONDS =
      Long.getLong("daxfs.stress.hangGuardSeconds", 600);

  /**
   * Errors an operation on the shared tree may meet because other threads change it (and
   * ENAMETOOLONG: a path through a symlink whose long target is one long component).
   */
  private static final Set<Errno> RACY = EnumSet.of(Errno.ENOENT, Errno.EEXIST,
      Errno.ENOTEMPTY, Errno.EISDIR, Errno.ENOTDIR, Errno.EINVAL, Errno.EPERM, Errno.ENODATA,
      Errno.ESTALE, Errno.EBUSY, Errno.ENAMETOOLONG);

  private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
  private final AtomicLong operations = new AtomicLong();

  /** Set to end a storm early (the switched-off twin, once the damage is there). */
  private volatile boolean stop;

  /** One thread's private tree: what it must find there afterwards. */
  private static final class Private {
    final int id;
    final long dir;
    final long sub;
    /** Regular files by name (in dir or "sub/" + name): content. */
    final Map<String, byte[]> files = new TreeMap<>();
    /** Extended attributes by file name. */
    final Map<String, Map<String, byte[]>> xattrs = new HashMap<>();
    /** Names that are hard links of another private name: name to the original's name. */
    final Map<String, String> links = new TreeMap<>();

    Private(int id, long dir, long sub) {
      this.id = id;
      this.dir = dir;
      this.sub = sub;
    }
  }

  // ---- random operations -------------------------------------------------------------------

  @Test
  void threadsOfRandomOperationsLeaveExactlyWhatTheyWroteAndAFsckCleanImage() throws Exception {
    randomOperations(false);
  }

  /** The same with data checksums: every read verifies, every write and fsync recomputes. */
  @Test
  void threadsOfRandomOperationsWithDataChecksums() throws Exception {
    randomOperations(true);
  }

  private void randomOperations(boolean checksums) throws Exception {
    HeapRegion region = new HeapRegion(64L << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(checksums));
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    fs.mkdir(ROOT, "/shared", 0755);
    for (String d : new String[] {"a", "b", "c"}) {
      fs.mkdir(ROOT, "/shared/" + d, 0755);
    }
    for (int k = 0; k < 4; k++) {
      FsTesting.writeFile(fs, "/shared/s" + k, pattern(3 * P, k));
    }
    int n = threads();
    Private[] mine = new Private[n];
    for (int t = 0; t < n; t++) {
      long dir = fs.mkdir(ROOT, "/t" + t, 0755).ino();
      long sub = fs.mkdir(ROOT, "/t" + t + "/sub", 0755).ino();
      mine[t] = new Private(t, dir, sub);
    }
    run(n, opsPerThread(), id -> {
      SplittableRandom rnd = new SplittableRandom(7000 + id);
      return () -> {
        if (rnd.nextInt(10) < 6) {
          privateOp(fs, rnd, mine[id]);
        } else {
          try {
            sharedOp(fs, rnd);
          } catch (ErrnoException e) {
            if (!RACY.contains(e.errno())) {
              throw e;
            }
          }
        }
      };
    });
    assertNoThreadFailed();
    assertEquals((long) n * opsPerThread(), operations.get(), "operations run");
    for (Private p : mine) {
      verify(fs, p, "live");
    }
    fs.volume().cleaner.stop(); // quiesce, so that the copy is a state a crash leaves
    Map<String, String> state = snapshot(fs);
    HeapRegion crashed = HeapRegion.copyOf(region);
    fs.unmount();
    Fsck.Report clean = Fsck.check(region, Fsck.Progress.NONE);
    assertEquals(0, clean.exitCode(), "after a clean unmount: " + problems(clean));
    Fsck.Report crash = Fsck.check(crashed, Fsck.Progress.NONE);
    assertEquals(0, crash.exitCode(), "crash image: " + problems(crash));
    for (HeapRegion image : new HeapRegion[] {region, crashed}) {
      DaxFs again = FsTesting.mount(image);
      assertSameState(state, snapshot(again), image == region ? "a clean remount"
          : "a crash remount");
      for (Private p : mine) {
        verify(again, p, image == region ? "after a clean remount" : "after a crash remount");
      }
      again.unmount();
    }
  }

  private static String name(SplittableRandom rnd) {
    return (rnd.nextInt(4) == 0 ? "sub/" : "") + "p" + rnd.nextInt(10);
  }

  private static long dirOf(Private mine, String name) {
    return name.startsWith("sub/") ? mine.sub : mine.dir;
  }

  private static Name leaf(String name) {
    return Name.of(name.startsWith("sub/") ? name.substring(4) : name);
  }

  private static long ino(DaxFs fs, Private mine, String name) {
    return fs.lookup(ROOT, dirOf(mine, name), leaf(name)).ino();
  }

  /** One operation on the thread's own tree, mirrored in its model. */
  private static void privateOp(DaxFs fs, SplittableRandom rnd, Private mine) {
    String n = name(rnd);
    byte[] cur = mine.files.get(n);
    if (cur == null && mine.links.containsKey(n)) {
      return; // a link: touched through its original only
    }
    switch (rnd.nextInt(14)) {
      case 0 -> {
        if (cur == null) {
          fs.create(ROOT, dirOf(mine, n), leaf(n), 0644);
          mine.files.put(n, new byte[0]);
        }
      }
      case 1, 2, 3 -> {
        if (cur != null) {
          int off = rnd.nextInt(12 * P);
          byte[] data = pattern(1 + rnd.nextInt(3 * P), rnd.nextInt());
          FileHandle h = fs.open(ROOT, ino(fs, mine, n), FileHandle.O_RDWR);
          try {
            write(fs, h, off, data);
            if (rnd.nextInt(4) == 0) {
              fs.fsync(h, rnd.nextBoolean());
            }
          } finally {
            fs.release(h);
          }
          byte[] next = Arrays.copyOf(cur, Math.max(cur.length, off + data.length));
          System.arraycopy(data, 0, next, off, data.length);
          mine.files.put(n, next);
        }
      }
      case 4 -> {
        if (cur != null) {
          int size = rnd.nextInt(14 * P);
          fs.setattr(ROOT, ino(fs, mine, n), SetAttr.create().size(size));
          mine.files.put(n, Arrays.copyOf(cur, size));
        }
      }
      case 5 -> {
        if (cur != null && cur.length > 0) {
          int off = rnd.nextInt(cur.length);
          int len = 1 + rnd.nextInt(3 * P);
          FileHandle h = fs.open(ROOT, ino(fs, mine, n), FileHandle.O_RDWR);
          try {
            boolean zero = rnd.nextBoolean();
            fs.fallocate(ROOT, h, zero ? FileIo.FALLOC_FL_ZERO_RANGE | FileIo.FALLOC_FL_KEEP_SIZE
                : FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, off, len);
          } finally {
            fs.release(h);
          }
          byte[] next = cur.clone();
          Arrays.fill(next, off, Math.min(cur.length, off + len), (byte) 0);
          mine.files.put(n, next);
        }
      }
      case 6 -> {
        if (cur != null) {
          int len = 1 + rnd.nextInt(4 * P);
          FileHandle h = fs.open(ROOT, ino(fs, mine, n), FileHandle.O_RDWR);
          try {
            fs.fallocate(ROOT, h, 0, cur.length, len);
          } finally {
            fs.release(h);
          }
          mine.files.put(n, Arrays.copyOf(cur, cur.length + len));
        }
      }
      case 7 -> {
        String to = name(rnd);
        if (cur != null && !mine.files.containsKey(to) && !mine.links.containsKey(to)) {
          fs.rename(ROOT, dirOf(mine, n), leaf(n), dirOf(mine, to), leaf(to), 0);
          mine.files.put(to, mine.files.remove(n));
          Map<String, byte[]> x = mine.xattrs.remove(n);
          if (x != null) {
            mine.xattrs.put(to, x);
          }
          mine.links.replaceAll((k, v) -> v.equals(n) ? to : v);
        }
      }
      case 8 -> {
        String to = name(rnd);
        if (cur != null && !mine.files.containsKey(to) && !mine.links.containsKey(to)) {
          fs.link(ROOT, ino(fs, mine, n), dirOf(mine, to), leaf(to));
          mine.links.put(to, n);
        }
      }
      case 9 -> {
        if (cur != null) {
          String x = "user.x" + rnd.nextInt(3);
          byte[] v = pattern(rnd.nextInt(700), rnd.nextInt());
          fs.setxattr(ROOT, ino(fs, mine, n), x, v, 0);
          mine.xattrs.computeIfAbsent(n, k -> new TreeMap<>()).put(x, v);
        }
      }
      case 10 -> {
        if (cur != null) {
          String x = "user.x" + rnd.nextInt(3);
          Map<String, byte[]> xs = mine.xattrs.get(n);
          if (xs != null && xs.containsKey(x)) {
            fs.removexattr(ROOT, ino(fs, mine, n), x);
            xs.remove(x);
          }
        }
      }
      case 11 -> {
        if (cur != null) {
          fs.cleanLog(ino(fs, mine, n), rnd.nextBoolean());
        }
      }
      default -> {
        if (cur != null) {
          // Unlink the name and every link to it.
          fs.unlink(ROOT, dirOf(mine, n), leaf(n));
          for (Map.Entry<String, String> e : new ArrayList<>(mine.links.entrySet())) {
            if (e.getValue().equals(n)) {
              fs.unlink(ROOT, dirOf(mine, e.getKey()), leaf(e.getKey()));
              mine.links.remove(e.getKey());
            }
          }
          mine.files.remove(n);
          mine.xattrs.remove(n);
        }
      }
    }
  }

  /** One operation on the shared tree; collisions with other threads are expected. */
  private static void sharedOp(DaxFs fs, SplittableRandom rnd) {
    String[] dirs = {"/shared", "/shared/a", "/shared/b", "/shared/c"};
    String dir = dirs[rnd.nextInt(dirs.length)];
    String n = (rnd.nextBoolean() ? "n" : "d") + rnd.nextInt(5);
    long d = fs.resolve(ROOT, dir, true).ino();
    switch (rnd.nextInt(13)) {
      case 0 -> fs.create(ROOT, d, Name.of(n), 0644);
      case 1 -> fs.mkdir(ROOT, d, Name.of(n), 0755);
      case 2 -> fs.unlink(ROOT, d, Name.of(n));
      case 3 -> fs.rmdir(ROOT, d, Name.of(n));
      case 4 -> {
        String to = dirs[rnd.nextInt(dirs.length)];
        String[] within = {"", "/d0", "/d1", "/a", "/b"};
        String from = dir + within[rnd.nextInt(within.length)];
        to = to + within[rnd.nextInt(within.length)];
        int flags = new int[] {0, 0, Namespace.RENAME_NOREPLACE,
            Namespace.RENAME_EXCHANGE}[rnd.nextInt(4)];
        fs.rename(ROOT, fs.resolve(ROOT, from, true).ino(), Name.of(n),
            fs.resolve(ROOT, to, true).ino(), Name.of((rnd.nextBoolean() ? "n" : "d")
                + rnd.nextInt(5)), flags);
      }
      case 5 -> fs.link(ROOT, fs.resolve(ROOT, "/shared/s" + rnd.nextInt(4), true).ino(), d,
          Name.of("n" + rnd.nextInt(5)));
      case 6 -> fs.symlink(ROOT, d, Name.of("n" + rnd.nextInt(5)),
          FsTesting.utf8("t".repeat(1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 3000))));
      case 7, 8 -> {
        long ino = fs.resolve(ROOT, "/shared/s" + rnd.nextInt(4), true).ino();
        FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDWR);
        try {
          switch (rnd.nextInt(4)) {
            case 0 -> write(fs, h, rnd.nextInt(8 * P), pattern(1 + rnd.nextInt(2 * P),
                rnd.nextInt()));
            case 1 -> fs.fallocate(ROOT, h, FileIo.FALLOC_FL_PUNCH_HOLE
                | FileIo.FALLOC_FL_KEEP_SIZE, rnd.nextInt(8 * P), 1 + rnd.nextInt(2 * P));
            case 2 -> fs.setattr(ROOT, ino, SetAttr.create().size(rnd.nextInt(10 * P)));
            default -> fs.read(h, rnd.nextInt(8 * P), ByteBuffer.allocate(3 * P));
          }
        } finally {
          fs.release(h);
        }
      }
      case 9 -> {
        long cookie = 0;
        for (List<DirEntry> b; !(b = fs.readdir(ROOT, d, cookie, 3)).isEmpty(); ) {
          cookie = b.get(b.size() - 1).cookie();
        }
      }
      case 10 -> {
        Attr a = fs.resolve(ROOT, dir + "/" + n, false);
        if (rnd.nextBoolean()) {
          fs.setxattr(ROOT, a.ino(), "user.t" + rnd.nextInt(2), pattern(rnd.nextInt(300), 1),
              0);
        } else {
          fs.removexattr(ROOT, a.ino(), "user.t" + rnd.nextInt(2));
        }
      }
      case 11 -> fs.cleanLog(rnd.nextBoolean() ? d
          : fs.resolve(ROOT, "/shared/s" + rnd.nextInt(4), true).ino(), rnd.nextBoolean());
      default -> {
        if (rnd.nextInt(20) == 0) {
          fs.cleanAllLogs(false);
        } else {
          fs.getattr(fs.resolve(ROOT, dir + "/" + n, false).ino());
        }
      }
    }
  }

  private static void verify(DaxFs fs, Private p, String when) {
    Map<String, DirEntry> top = list(fs, p.dir);
    Map<String, DirEntry> sub = list(fs, p.sub);
    Set<String> names = new java.util.TreeSet<>();
    top.keySet().forEach(k -> names.add(k));
    names.remove("sub");
    sub.keySet().forEach(k -> names.add("sub/" + k));
    Set<String> expected = new java.util.TreeSet<>(p.files.keySet());
    expected.addAll(p.links.keySet());
    assertEquals(expected, names, when + ": names of thread " + p.id);
    for (Map.Entry<String, byte[]> e : p.files.entrySet()) {
      long ino = ino(fs, p, e.getKey());
      byte[] got = content(fs, ino);
      if (!Arrays.equals(e.getValue(), got)) {
        fail(when + ": thread " + p.id + " file " + e.getKey() + " differs at byte "
            + Arrays.mismatch(e.getValue(), got) + " (" + got.length + " bytes, expected "
            + e.getValue().length + ")");
      }
      Map<String, byte[]> xs = p.xattrs.getOrDefault(e.getKey(), Map.of());
      assertEquals(new java.util.TreeSet<>(xs.keySet()),
          new java.util.TreeSet<>(fs.listxattr(ROOT, ino)),
          when + ": xattrs of thread " + p.id + " file " + e.getKey());
      for (Map.Entry<String, byte[]> x : xs.entrySet()) {
        assertArrayEquals(x.getValue(), fs.getxattr(ROOT, ino, x.getKey()));
      }
      long names2 = 1 + p.links.values().stream().filter(v -> v.equals(e.getKey())).count();
      assertEquals(names2, fs.getattr(ino).nlink(), when + ": links of " + e.getKey());
    }
    p.links.forEach((l, orig) -> assertEquals(ino(fs, p, orig), ino(fs, p, l),
        when + ": link " + l + " of thread " + p.id));
  }

  // ---- directory renames -------------------------------------------------------------------

  /**
   * Threads move directories into each other at random (plain renames, NOREPLACE and
   * EXCHANGE), each rename against a tree the others keep changing. Afterwards the tree is
   * still a tree: every directory and file reached exactly once from the root, the same counts
   * as before, each ".." its parent, link counts right, and fsck clean.
   */
  @Test
  void concurrentDirectoryRenamesNeverMakeACycleOrLoseASubtree() throws Exception {
    HeapRegion region = formatted(32);
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    List<Long> dirs = renameTree(fs);
    int[] before = count(fs);
    renameStorm(fs, dirs, 100, false);
    assertNoThreadFailed();
    assertEquals((long) threads() * opsPerThread(), operations.get(), "renames tried");
    int[] after = count(fs);
    assertEquals(before[0], after[0], "directories reachable from the root");
    assertEquals(before[1], after[1], "files reachable from the root");
    fs.volume().cleaner.stop();
    HeapRegion crashed = HeapRegion.copyOf(region);
    fs.unmount();
    for (HeapRegion image : new HeapRegion[] {region, crashed}) {
      Fsck.Report r = Fsck.check(image, Fsck.Progress.NONE);
      assertEquals(0, r.exitCode(), problems(r));
      DaxFs again = FsTesting.mount(image);
      int[] c = count(again);
      assertEquals(before[0], c[0], "directories after a remount");
      assertEquals(before[1], c[1], "files after a remount");
    }
  }

  /**
   * The switched-off twin: cross-directory renames without the rename lock. Two renames then
   * each pass the ancestor check against a tree the other is changing (a moves under b while b
   * moves under a), and a cycle of directories comes loose from the root. The same storm and
   * the same checks must see it; a storm that happens to miss the window runs again, up to the
   * budget. A thread whose ancestor walk meets the cycle (EIO) ends the storm early, so that
   * the checks run on the damaged tree rather than on whatever later renames make of it.
   */
  @Test
  void withoutTheRenameLockConcurrentRenamesMakeACycleTheChecksSee() throws Exception {
    TestSwitches bug = TestSwitches.none();
    bug.skipRenameLock = true;
    int rounds = Math.max(1, Integer.getInteger("daxfs.stress.bugRounds", 50));
    for (int round = 0; round < rounds; round++) {
      DaxFs fs = DaxFs.mount(formatted(32), MountOptions.defaults().testSwitches(bug).testHarnessRegion());
      List<Long> dirs = renameTree(fs);
      int[] before = count(fs);
      stop = false;
      failures.clear();
      renameStorm(fs, dirs, 100 + 1000 * round, true);
      String damage = treeDamage(fs, before);
      fs.volume().cleaner.stop();
      if (damage != null) {
        return; // the checks saw what the missing lock let happen
      }
      assertNoThreadFailed();
    }
    fail("no cycle and no lost subtree in " + rounds + " storms without the rename lock: "
        + "the checks above cannot be shown to catch the race");
  }

  /** Sixty directories at random depths under /r, two files in each; returns their inodes. */
  private static List<Long> renameTree(DaxFs fs) {
    List<Long> dirs = new CopyOnWriteArrayList<>();
    SplittableRandom setup = new SplittableRandom(5);
    long top = fs.mkdir(ROOT, "/r", 0755).ino();
    dirs.add(top);
    for (int i = 0; i < 60; i++) {
      long parent = dirs.get(setup.nextInt(dirs.size()));
      long d = fs.mkdir(ROOT, parent, Name.of("d" + i), 0755).ino();
      dirs.add(d);
      for (int k = 0; k < 2; k++) {
        fs.create(ROOT, d, Name.of("f" + k), 0644);
      }
    }
    return dirs;
  }

  /**
   * {@link #threads()} threads of {@link #opsPerThread()} random directory moves each. With
   * {@code untilCycle}, a rename failing with EIO (an ancestor walk that met a cycle) ends the
   * storm.
   */
  private void renameStorm(DaxFs fs, List<Long> dirs, int seed, boolean untilCycle)
      throws InterruptedException {
    run(threads(), opsPerThread(), id -> {
      SplittableRandom rnd = new SplittableRandom(seed + id);
      return () -> {
        long a = dirs.get(1 + rnd.nextInt(dirs.size() - 1));
        long b = dirs.get(rnd.nextInt(dirs.size()));
        try {
          long parent = fs.lookup(ROOT, a, Name.of("..")).ino();
          Name name = nameIn(fs, parent, a);
          if (name == null) {
            return; // moved meanwhile
          }
          int flags = new int[] {0, 0, Namespace.RENAME_NOREPLACE,
              Namespace.RENAME_EXCHANGE}[rnd.nextInt(4)];
          Name to = flags == Namespace.RENAME_EXCHANGE ? anyDirName(fs, b, rnd)
              : Name.of("m" + rnd.nextInt(1000));
          if (to == null) {
            return;
          }
          fs.rename(ROOT, parent, name, b, to, flags);
        } catch (ErrnoException e) {
          if (untilCycle && e.errno() == Errno.EIO) {
            stop = true;
          } else if (!RACY.contains(e.errno())) {
            throw e;
          }
        }
      };
    });
  }

  /** What {@link #count} finds wrong with the tree, or null when it is whole and unchanged. */
  private static String treeDamage(DaxFs fs, int[] before) {
    int[] now;
    try {
      now = count(fs);
    } catch (AssertionError | RuntimeException e) {
      return e.getMessage();
    }
    if (now[0] != before[0] || now[1] != before[1]) {
      return "reachable from the root: " + now[0] + " directories and " + now[1]
          + " files, where there were " + before[0] + " and " + before[1];
    }
    return null;
  }

  /** The name under which directory {@code dir} lists {@code ino}, or null. */
  private static Name nameIn(DaxFs fs, long dir, long ino) {
    for (DirEntry e : list(fs, dir).values()) {
      if (e.ino() == ino) {
        return e.name();
      }
    }
    return null;
  }

  private static Name anyDirName(DaxFs fs, long dir, SplittableRandom rnd) {
    List<DirEntry> subdirs = list(fs, dir).values().stream()
        .filter(e -> e.type() == Mode.S_IFDIR >>> 12).collect(Collectors.toList());
    return subdirs.isEmpty() ? null : subdirs.get(rnd.nextInt(subdirs.size())).name();
  }

  /**
   * Directories and files reachable from the root, each reached once; checks "..", directory
   * link counts and entry types on the way.
   */
  private static int[] count(DaxFs fs) {
    int dirs = 0;
    int files = 0;
    Set<Long> seen = new HashSet<>();
    ArrayDeque<long[]> unvisited = new ArrayDeque<>();
    unvisited.add(new long[] {fs.rootIno(), fs.rootIno()});
    seen.add(fs.rootIno());
    while (!unvisited.isEmpty()) {
      long[] d = unvisited.poll();
      dirs++;
      assertEquals(d[1], fs.lookup(ROOT, d[0], Name.of("..")).ino(), ".. of " + d[0]);
      int subdirs = 0;
      for (DirEntry e : list(fs, d[0]).values()) {
        if (!seen.add(e.ino())) {
          fail("inode " + e.ino() + " is reached twice (a cycle or a second name), again as "
              + e.name() + " in " + d[0]);
        }
        Attr a = fs.getattr(e.ino());
        assertEquals(a.mode() >>> 12, e.type(), "type of " + e.name());
        if (a.isDir()) {
          subdirs++;
          unvisited.add(new long[] {e.ino(), d[0]});
        } else {
          files++;
        }
      }
      assertEquals(2 + subdirs, fs.getattr(d[0]).nlink(), "links of directory " + d[0]);
    }
    return new int[] {dirs, files};
  }

  // ---- running threads ---------------------------------------------------------------------

  /** Makes one thread's next operation. */
  private interface Worker {
    Runnable make(int id);
  }

  /**
   * Runs {@code n} threads of {@code ops} operations each (fewer once {@link #stop} is set);
   * what a thread throws is kept in {@link #failures}. Fails only on a hang.
   */
  private void run(int n, int ops, Worker worker) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        Runnable op = worker.make(id);
        try {
          for (int i = 0; i < ops && !stop; i++) {
            operations.incrementAndGet();
            op.run();
          }
        } catch (Throwable e) {
          failures.add(new AssertionError("thread " + id, e));
        }
      }, "stress-" + t);
      threads.add(th);
      th.start();
    }
    Waiting.joinAll(threads, HANG_GUARD_SECONDS, "a thread");
  }

  /** Fails with the first error a thread of the last {@link #run} threw. */
  private void assertNoThreadFailed() {
    if (!failures.isEmpty()) {
      java.io.StringWriter w = new java.io.StringWriter();
      failures.peek().printStackTrace(new java.io.PrintWriter(w));
      fail(failures.size() + " thread failures, first: " + w);
    }
  }

  /** Fails naming the first paths whose descriptions differ (values cut short). */
  static void assertSameState(Map<String, String> expected, Map<String, String> actual,
      String what) {
    if (expected.equals(actual)) {
      return;
    }
    StringBuilder s = new StringBuilder(what + " shows another state:");
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    int shown = 0;
    for (String k : keys) {
      String a = expected.get(k);
      String b = actual.get(k);
      if (!java.util.Objects.equals(a, b) && shown++ < 5) {
        s.append("\n  ").append(k).append("\n    was ").append(cut(a)).append("\n    now ")
            .append(cut(b));
      }
    }
    fail(s.append("\n  (").append(shown).append(" paths differ)").toString());
  }

  private static String cut(String v) {
    return v == null ? "absent" : v.length() > 300 ? v.substring(0, 300) + "..." : v;
  }

  private static String problems(Fsck.Report r) {
    return r.problems.stream().map(p -> p.kind() + "@" + p.where() + ": " + p.message())
        .collect(Collectors.joining("; "));
  }
}
