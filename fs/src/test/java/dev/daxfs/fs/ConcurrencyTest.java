package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Eight threads of random operations, a fixed number each: each on its own private files and
 * directory, and all together on a shared tree. Afterwards every private file must hold what
 * its thread wrote, the shared tree must be consistent (link counts, "..", no lost inode),
 * and a crash remount must show exactly the same state with no block leaked. Budget: system
 * property {@code daxfs.concurrency.ops}, operations per thread (default 4000); a deadline
 * ({@code daxfs.concurrency.hangGuardSeconds}, default 600) only stops a hung run.
 */
class ConcurrencyTest {

  private static final int THREADS = 8;
  private static final int P = 4096;

  /** Errors an operation on the shared tree may meet because others change it. */
  private static final Set<Errno> RACY = EnumSet.of(Errno.ENOENT, Errno.EEXIST,
      Errno.ENOTEMPTY, Errno.EISDIR, Errno.ENOTDIR, Errno.EINVAL, Errno.EPERM);

  private static int opsPerThread() {
    return Math.max(1, Integer.getInteger("daxfs.concurrency.ops", 4000));
  }

  private static final long HANG_GUARD_SECONDS =
      Long.getLong("daxfs.concurrency.hangGuardSeconds", 600);

  /** One thread's private files: name to expected content. */
  private static final class Private {
    final long dir;
    final Map<String, byte[]> files = new TreeMap<>();

    Private(long dir) {
      this.dir = dir;
    }
  }

  private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
  private final AtomicLong operations = new AtomicLong();

  @Test
  void eightThreadsOfPrivateAndSharedOperations() throws Exception {
    HeapRegion region = formatted(64);
    DaxFs fs = mount(region);
    Private[] mine = setUp(fs);
    run(fs, mine, opsPerThread(), null);
    assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + first());
    assertEquals((long) THREADS * opsPerThread(), operations.get(), "operations run");
    verifyPrivate(fs, mine);
    verifyConsistent(fs);
    Map<String, String> before = snapshot(fs);
    long free = fs.statfs().freeBlocks();
    DaxFs crashed = mount(region);
    assertFalse(crashed.mountReport().clean());
    assertEquals(before, snapshot(crashed), "a crash remount shows the same state");
    assertEquals(free, crashed.statfs().freeBlocks());
    verifyPrivate(crashed, mine);
    assertNothingLeaks(crashed);
  }

  /** The checks above are live: a thread writing into another's private file is caught. */
  @Test
  void theCheckerSeesAWriteItDidNotExpect() throws Exception {
    DaxFs fs = mount(formatted(64));
    Private[] mine = setUp(fs);
    run(fs, mine, Math.min(100, opsPerThread()), (f, p) -> {
      // A saboteur: writes into thread 0's files behind its back.
      for (Map.Entry<String, DirEntry> e : list(f, p[0].dir).entrySet()) {
        FileHandle h = f.open(ROOT, e.getValue().ino(), FileHandle.O_RDWR);
        write(f, h, 0, utf8("sabotage"));
        f.release(h);
      }
    });
    assertTrue(failures.isEmpty(), "first: " + first());
    AssertionError e = assertThrows(AssertionError.class, () -> verifyPrivate(fs, mine));
    assertTrue(e.getMessage().contains("thread 0"), e.getMessage());
  }

  /**
   * An operation that looked up a directory and then waited for its lock must fail with ENOENT
   * if the directory was removed meanwhile. The wait is made deterministic by holding the
   * directory's inode lock while another thread removes it.
   */
  @Test
  void creatingInADirectoryRemovedWhileWaitingForItsLockIsEnoent() throws Exception {
    DaxFs fs = newFs();
    long d = fs.mkdir(ROOT, "/d", 0755).ino();
    long free = fs.statfs().freeBlocks();
    Errno got = raceAgainstRmdir(fs, d, () -> fs.create(ROOT, d, name("x"), 0644));
    assertEquals(Errno.ENOENT, got, "create in a removed directory");
    assertEquals(List.of(), new ArrayList<>(list(fs, fs.rootIno()).keySet()));
    assertTrue(fs.statfs().freeBlocks() > free, "the directory's log page came back");
    assertNothingLeaks(fs);
  }

  @Test
  void linkingIntoADirectoryRemovedWhileWaitingForItsLockIsEnoent() throws Exception {
    DaxFs fs = newFs();
    long f = writeFile(fs, "/f", pattern(10, 1)).ino();
    long d = fs.mkdir(ROOT, "/d", 0755).ino();
    Errno got = raceAgainstRmdir(fs, d, () -> fs.link(ROOT, f, d, name("l")));
    assertEquals(Errno.ENOENT, got, "link into a removed directory");
    assertEquals(1, fs.getattr(f).nlink(), "one name, one link");
  }

  /**
   * An unlink that picked its victim and then waited for the victim's lock must not act on it
   * if, meanwhile, the victim was removed and a new file took both its name and its (reused)
   * inode number: checking the number again is not enough.
   */
  @Test
  void anUnlinkRacingWithInodeNumberReuseRemovesTheNewFileCleanly() throws Exception {
    HeapRegion region = formatted(16);
    DaxFs fs = mount(region);
    long a = writeFile(fs, "/f", pattern(9000, 1)).ino();
    long d = fs.mkdir(ROOT, "/d", 0755).ino();
    fs.rename(ROOT, "/f", "/d/f", 0);
    assertTrue(a < d, "the victim's lock comes before its directory's");
    Inode victim = fs.volume().cache.get(a);
    Errno[] result = new Errno[1];
    Thread t = new Thread(() -> {
      try {
        fs.unlink(ROOT, d, name("f"));
      } catch (ErrnoException e) {
        result[0] = e.errno();
      }
    });
    victim.lock.writeLock().lock();
    try {
      t.start();
      Waiting.until(() -> victim.lock.hasQueuedThread(t), "the unlink waiting for the lock");
      fs.unlink(ROOT, d, name("f"));
      Attr b = writeFile(fs, "/d/f", pattern(5000, 2));
      assertEquals(a, b.ino(), "the test needs the number to be reused");
    } finally {
      victim.lock.writeLock().unlock();
    }
    t.join(Waiting.HANG_GUARD_SECONDS * 1000);
    assertFalse(t.isAlive(), "the operation returned once the lock was free");
    Map<String, String> now = snapshot(fs);
    if (result[0] == null) {
      assertFalse(list(fs, d).containsKey("f"), "the unlink removed the new file");
      assertErrno(Errno.ENOENT, () -> fs.getattr(a));
    } else {
      assertEquals(Errno.ENOENT, result[0]);
      assertArrayEquals(pattern(5000, 2), content(fs, a));
    }
    DaxFs crashed = mount(region);
    assertEquals(now, snapshot(crashed));
    assertNothingLeaks(crashed);
  }

  /**
   * Runs {@code op} in another thread while this one holds directory {@code d}'s lock; once
   * the op waits for it, removes {@code /d} (the lock is reentrant) and lets the op go.
   * Returns the errno the op failed with, or null when it succeeded.
   */
  private static Errno raceAgainstRmdir(DaxFs fs, long d, Runnable op) throws Exception {
    Inode dir = fs.volume().cache.get(d);
    Errno[] result = new Errno[1];
    Thread t = new Thread(() -> {
      try {
        op.run();
      } catch (ErrnoException e) {
        result[0] = e.errno();
      }
    });
    dir.lock.writeLock().lock();
    try {
      t.start();
      Waiting.until(() -> dir.lock.hasQueuedThread(t), "the operation waiting for the lock");
      fs.rmdir(ROOT, "/d");
    } finally {
      dir.lock.writeLock().unlock();
    }
    t.join(Waiting.HANG_GUARD_SECONDS * 1000);
    assertFalse(t.isAlive(), "the operation returned once the lock was free");
    return result[0];
  }

  private String first() {
    Throwable t = failures.peek();
    if (t == null) {
      return "none";
    }
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  private Private[] setUp(DaxFs fs) {
    fs.mkdir(ROOT, "/shared", 0755);
    fs.mkdir(ROOT, "/shared/x", 0755);
    fs.mkdir(ROOT, "/shared/y", 0755);
    for (int k = 0; k < 4; k++) {
      writeFile(fs, "/shared/s" + k, pattern(2 * P, k));
    }
    Private[] mine = new Private[THREADS];
    for (int t = 0; t < THREADS; t++) {
      mine[t] = new Private(fs.mkdir(ROOT, "/t" + t, 0755).ino());
    }
    return mine;
  }

  /** Runs {@link #THREADS} workers of {@code ops} operations each; fails only on a hang. */
  private void run(DaxFs fs, Private[] mine, int ops,
      java.util.function.BiConsumer<DaxFs, Private[]> sabotage) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        try {
          worker(fs, id, mine[id], ops);
        } catch (Throwable e) {
          failures.add(new AssertionError("thread " + id, e));
        }
      }, "fs-worker-" + t);
      threads.add(th);
      th.start();
    }
    Waiting.joinAll(threads, HANG_GUARD_SECONDS, "a worker");
    if (sabotage != null) {
      sabotage.accept(fs, mine);
    }
  }

  // ---- the workers -------------------------------------------------------------------------

  private void worker(DaxFs fs, int id, Private mine, int ops) {
    SplittableRandom rnd = new SplittableRandom(1000 + id);
    long shared = fs.resolve(ROOT, "/shared", true).ino();
    for (int i = 0; i < ops; i++) {
      operations.incrementAndGet();
      if (rnd.nextInt(10) < 6) {
        privateOp(fs, rnd, mine);
      } else {
        try {
          sharedOp(fs, rnd, shared);
        } catch (ErrnoException e) {
          if (!RACY.contains(e.errno())) {
            throw e;
          }
        }
      }
    }
  }

  private static void privateOp(DaxFs fs, SplittableRandom rnd, Private mine) {
    String n = "p" + rnd.nextInt(8);
    byte[] cur = mine.files.get(n);
    switch (rnd.nextInt(8)) {
      case 0 -> {
        if (cur == null) {
          fs.create(ROOT, mine.dir, Name.of(n), 0644);
          mine.files.put(n, new byte[0]);
        }
      }
      case 1, 2, 3 -> {
        if (cur != null) {
          int off = rnd.nextInt(16 * P);
          byte[] data = pattern(1 + rnd.nextInt(4 * P), rnd.nextInt(1000));
          long ino = fs.lookup(ROOT, mine.dir, Name.of(n)).ino();
          FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDWR);
          write(fs, h, off, data);
          fs.release(h);
          byte[] next = Arrays.copyOf(cur, Math.max(cur.length, off + data.length));
          System.arraycopy(data, 0, next, off, data.length);
          mine.files.put(n, next);
        }
      }
      case 4 -> {
        if (cur != null) {
          int size = rnd.nextInt(20 * P);
          fs.setattr(ROOT, fs.lookup(ROOT, mine.dir, Name.of(n)).ino(),
              SetAttr.create().size(size));
          mine.files.put(n, Arrays.copyOf(cur, size));
        }
      }
      case 5 -> {
        if (cur != null && cur.length > 0) {
          int off = rnd.nextInt(cur.length);
          int len = 1 + rnd.nextInt(3 * P);
          FileHandle h = fs.open(ROOT, fs.lookup(ROOT, mine.dir, Name.of(n)).ino(),
              FileHandle.O_RDWR);
          fs.fallocate(ROOT, h, FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, off,
              len);
          fs.release(h);
          byte[] next = cur.clone();
          Arrays.fill(next, off, Math.min(cur.length, off + len), (byte) 0);
          mine.files.put(n, next);
        }
      }
      case 6 -> {
        String to = "p" + rnd.nextInt(8);
        if (cur != null) {
          fs.rename(ROOT, mine.dir, Name.of(n), mine.dir, Name.of(to), 0);
          mine.files.remove(n);
          mine.files.put(to, cur);
        }
      }
      default -> {
        if (cur != null) {
          fs.unlink(ROOT, mine.dir, Name.of(n));
          mine.files.remove(n);
        }
      }
    }
  }

  private static void sharedOp(DaxFs fs, SplittableRandom rnd, long shared) {
    String[] dirs = {"/shared", "/shared/x", "/shared/y"};
    String dir = dirs[rnd.nextInt(dirs.length)];
    String n = (rnd.nextBoolean() ? "n" : "d") + rnd.nextInt(4);
    switch (rnd.nextInt(10)) {
      case 0 -> fs.create(ROOT, fs.resolve(ROOT, dir, true).ino(), Name.of(n), 0644);
      case 1 -> fs.mkdir(ROOT, fs.resolve(ROOT, dir, true).ino(), Name.of(n), 0755);
      case 2 -> fs.unlink(ROOT, fs.resolve(ROOT, dir, true).ino(), Name.of(n));
      case 3 -> fs.rmdir(ROOT, fs.resolve(ROOT, dir, true).ino(), Name.of(n));
      case 4 -> {
        // Renames across the shared directories, including directories into each other.
        String to = dirs[rnd.nextInt(dirs.length)];
        String[] within = {"", "/d0", "/d1", "/x", "/y"};
        String from = dir + within[rnd.nextInt(within.length)];
        to = to + within[rnd.nextInt(within.length)];
        int flags = new int[] {0, 0, Namespace.RENAME_NOREPLACE,
            Namespace.RENAME_EXCHANGE}[rnd.nextInt(4)];
        fs.rename(ROOT, fs.resolve(ROOT, from, true).ino(), Name.of(n),
            fs.resolve(ROOT, to, true).ino(), Name.of((rnd.nextBoolean() ? "n" : "d")
                + rnd.nextInt(4)), flags);
      }
      case 5 -> fs.link(ROOT, fs.resolve(ROOT, "/shared/s" + rnd.nextInt(4), true).ino(),
          fs.resolve(ROOT, dir, true).ino(), Name.of("n" + rnd.nextInt(4)));
      case 6, 7 -> {
        long ino = fs.resolve(ROOT, "/shared/s" + rnd.nextInt(4), true).ino();
        FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDWR);
        try {
          if (rnd.nextBoolean()) {
            write(fs, h, rnd.nextInt(8 * P), pattern(1 + rnd.nextInt(2 * P), rnd.nextInt()));
          } else {
            read(fs, h, rnd.nextInt(8 * P), 3 * P);
          }
        } finally {
          fs.release(h);
        }
      }
      case 8 -> {
        long d = fs.resolve(ROOT, dir, true).ino();
        long cookie = 0;
        for (List<DirEntry> b; !(b = fs.readdir(ROOT, d, cookie, 3)).isEmpty(); ) {
          cookie = b.get(b.size() - 1).cookie();
        }
      }
      default -> {
        Attr a = fs.resolve(ROOT, dir + "/" + n, false);
        fs.getattr(a.ino());
        if (a.isRegular()) {
          fs.setxattr(ROOT, a.ino(), "user.t", pattern(rnd.nextInt(100), 1), 0);
        }
      }
    }
  }

  // ---- verification ------------------------------------------------------------------------

  private static void verifyPrivate(DaxFs fs, Private[] mine) {
    for (int t = 0; t < THREADS; t++) {
      Map<String, DirEntry> real = list(fs, mine[t].dir);
      assertEquals(mine[t].files.keySet(), real.keySet(), "names of thread " + t);
      for (Map.Entry<String, byte[]> e : mine[t].files.entrySet()) {
        byte[] got = content(fs, real.get(e.getKey()).ino());
        if (!Arrays.equals(e.getValue(), got)) {
          fail("thread " + t + " file " + e.getKey() + " differs at byte "
              + Arrays.mismatch(e.getValue(), got));
        }
      }
    }
  }

  /** Link counts match the names found, every ".." points to its parent. */
  private static void verifyConsistent(DaxFs fs) {
    Map<Long, Integer> names = new HashMap<>();
    walk(fs, fs.rootIno(), fs.rootIno(), names);
    for (Map.Entry<Long, Integer> e : names.entrySet()) {
      assertEquals(e.getValue().intValue(), fs.getattr(e.getKey()).nlink(),
          "links of inode " + e.getKey());
    }
  }

  private static void walk(DaxFs fs, long dir, long parent, Map<Long, Integer> names) {
    assertEquals(parent, fs.lookup(ROOT, dir, Name.of("..")).ino(), ".. of " + dir);
    int subdirs = 0;
    for (DirEntry e : list(fs, dir).values()) {
      Attr a = fs.getattr(e.ino());
      assertEquals(a.mode() >>> 12, e.type(), "type of " + e.name());
      if (a.isDir()) {
        subdirs++;
        walk(fs, e.ino(), dir, names);
      } else {
        names.merge(e.ino(), 1, Integer::sum);
      }
    }
    assertEquals(2 + subdirs, fs.getattr(dir).nlink(), "links of directory " + dir);
  }
}
