package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.assertNothingLeaks;
import static dev.daxfs.fs.FsTesting.content;
import static dev.daxfs.fs.FsTesting.formatted;
import static dev.daxfs.fs.FsTesting.mount;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.snapshot;
import static dev.daxfs.fs.FsTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Filling the filesystem with data, with inodes, with directory entries and with extended
 * attributes each ends in a clean ENOSPC: the failing operation changes nothing, nothing
 * written earlier is lost or changed, fsck stays clean, a crash remount shows the same state,
 * removing everything then succeeds (deletes may use the reserve) and statfs shows the space
 * free again. Operations whose log cannot grow on the full filesystem fail without harming
 * their inode.
 */
class EnospcTest {

  private static final int P = 4096;

  /** A filesystem being filled, and what it must show. */
  private static final class Filling {
    final HeapRegion region = formatted(16);
    final DaxFs fs = mount(region);
    /** Regular files by path: expected content. */
    final Map<String, byte[]> files = new TreeMap<>();
    /** Directories made. */
    final List<String> dirs = new ArrayList<>();
    /** Hard-link names by path: the inode they must name. */
    final Map<String, Long> links = new TreeMap<>();
    /** Extended attributes by path: name to value. */
    final Map<String, Map<String, byte[]>> xattrs = new TreeMap<>();
    /** Operations that failed with ENOSPC. */
    int enospc;

    long ino(String path) {
      return fs.resolve(ROOT, path, false).ino();
    }

    /** Runs {@code op}; false when it failed with ENOSPC (any other error is a failure). */
    boolean tryOp(Runnable op) {
      try {
        op.run();
        return true;
      } catch (ErrnoException e) {
        if (e.errno() != Errno.ENOSPC) {
          throw e;
        }
        enospc++;
        return false;
      }
    }

    /** Everything made so far reads back as expected. */
    void verify(DaxFs on, String when) {
      files.forEach((p, data) -> {
        long ino = on.resolve(ROOT, p, false).ino();
        assertArrayEquals(data, content(on, ino), when + ": content of " + p);
      });
      for (String d : dirs) {
        assertTrue(on.resolve(ROOT, d, false).isDir(), when + ": " + d);
      }
      Map<Long, Integer> names = new java.util.HashMap<>();
      links.forEach((p, ino) -> {
        assertEquals(ino.longValue(), on.resolve(ROOT, p, false).ino(), when + ": " + p);
        names.merge(ino, 1, Integer::sum);
      });
      names.forEach((ino, n) -> assertEquals(n + 1, on.getattr(ino).nlink(),
          when + ": links of inode " + ino));
      xattrs.forEach((p, xs) -> {
        long ino = on.resolve(ROOT, p, false).ino();
        assertEquals(new java.util.TreeSet<>(xs.keySet()),
            new java.util.TreeSet<>(on.listxattr(ROOT, ino)), when + ": xattr names of " + p);
        xs.forEach((n, v) -> assertArrayEquals(v, on.getxattr(ROOT, ino, n),
            when + ": xattr " + n + " of " + p));
      });
    }

    /**
     * The checks every fill ends with: it did fill; everything reads back; fsck of a crash
     * image is clean and its remount shows the same state; removing everything works on the
     * full filesystem and frees the space; fsck after a clean unmount is clean.
     */
    void finish(String what) {
      assertTrue(enospc > 0, what + ": ENOSPC was never reached");
      assertTrue(fs.statfs().availableBlocks() < 64, what + ": still "
          + fs.statfs().availableBlocks() + " blocks available");
      verify(fs, what + " after ENOSPC");
      // Quiesce the background cleaner so that the copy is a state a crash could leave.
      fs.volume().cleaner.stop();
      Map<String, String> state = snapshot(fs);
      HeapRegion crashed = HeapRegion.copyOf(region);
      Fsck.Report r = Fsck.check(crashed, Fsck.Progress.NONE);
      assertEquals(0, r.exitCode(), what + ", crash image: " + problems(r));
      DaxFs again = mount(crashed);
      assertEquals(state, snapshot(again), what + ": a crash remount shows the same state");
      verify(again, what + " after a crash remount");
      // rm -r of everything on the full filesystem, live and after the crash.
      for (DaxFs on : new DaxFs[] {fs, again}) {
        assertNothingLeaks(on);
        assertTrue(on.statfs().availableBlocks() > on.statfs().blocks() * 9 / 10,
            what + ": statfs shows the space free again: " + on.statfs());
      }
      long free = fs.statfs().freeBlocks();
      fs.unmount();
      r = Fsck.check(region, Fsck.Progress.NONE);
      assertEquals(0, r.exitCode(), what + " after removing everything: " + problems(r));
      assertEquals(free, mount(region).statfs().freeBlocks(), what + ": free after a remount");
    }
  }

  private static String problems(Fsck.Report r) {
    return r.problems.stream().map(p -> p.kind() + "@" + p.where() + ": " + p.message())
        .collect(Collectors.joining("; "));
  }

  /**
   * Writes files in 64 KiB, then 4 KiB, then 1-byte steps until no write succeeds; each
   * failing write must leave its file as it was.
   */
  private static void fillWithData(Filling f, String dir) {
    f.fs.mkdir(ROOT, dir, 0755);
    f.dirs.add(dir);
    int seed = 0;
    for (int step : new int[] {16 * P, P, 1}) {
      for (int file = 0; ; file++) {
        String p = dir + "/s" + step + "-" + file;
        if (!f.tryOp(() -> FsTesting.writeFile(f.fs, p, new byte[0]))) {
          break;
        }
        f.files.put(p, new byte[0]);
        long ino = f.ino(p);
        boolean full = false;
        for (int k = 0; k < 8 && !full; k++) {
          byte[] cur = f.files.get(p);
          byte[] data = pattern(step, ++seed);
          // Past the end, leaving a hole: both a new data block and a log entry are needed.
          long off = cur.length + (step == 1 ? P : 0);
          FileHandle h = f.fs.open(ROOT, ino, FileHandle.O_RDWR);
          try {
            if (f.tryOp(() -> write(f.fs, h, off, data))) {
              byte[] next = java.util.Arrays.copyOf(cur, (int) off + step);
              System.arraycopy(data, 0, next, (int) off, step);
              f.files.put(p, next);
            } else {
              full = true;
            }
          } finally {
            f.fs.release(h);
          }
          assertArrayEquals(f.files.get(p), content(f.fs, ino), "content of " + p
              + " after a write that " + (full ? "failed" : "worked"));
        }
        if (full) {
          break;
        }
      }
    }
  }

  @Test
  void fillingWithDataEndsInACleanEnospc() {
    Filling f = new Filling();
    fillWithData(f, "/data");
    // Writes into already written pages never fail for space (they go in place).
    String some = "/data/s" + (16 * P) + "-0";
    assertEquals(8 * 16 * P, f.files.get(some).length);
    FileHandle h = f.fs.open(ROOT, f.ino(some), FileHandle.O_RDWR);
    try {
      write(f.fs, h, 0, pattern(P, 77));
      System.arraycopy(pattern(P, 77), 0, f.files.get(some), 0, P);
    } finally {
      f.fs.release(h);
    }
    // Truncating works on the full filesystem (the reserve), and frees blocks.
    long before = f.fs.statfs().freeBlocks();
    f.fs.setattr(ROOT, f.ino(some), SetAttr.create().size(10));
    f.files.put(some, java.util.Arrays.copyOf(f.files.get(some), 10));
    assertTrue(f.fs.statfs().freeBlocks() > before, "truncate freed blocks");
    fillWithData(f, "/more");
    f.finish("data");
  }

  @Test
  void fillingWithInodesEndsInACleanEnospc() {
    Filling f = new Filling();
    for (int d = 0; ; d++) {
      String dir = "/i" + d;
      if (!f.tryOp(() -> f.fs.mkdir(ROOT, dir, 0755))) {
        break;
      }
      f.dirs.add(dir);
      boolean full = false;
      for (int i = 0; i < 500 && !full; i++) {
        String p = dir + "/" + i;
        if (i % 7 == 3) {
          full = !f.tryOp(() -> f.fs.mkdir(ROOT, p, 0700));
          if (!full) {
            f.dirs.add(p);
          }
        } else {
          full = !f.tryOp(() -> f.fs.create(ROOT, f.ino(dir), Name.of(String.valueOf(
              p.substring(dir.length() + 1))), 0644));
          if (!full) {
            f.files.put(p, new byte[0]);
          }
        }
        if (full) {
          String gone = p;
          FsTesting.assertErrno(Errno.ENOENT, () -> f.fs.resolve(ROOT, gone, false),
              "a create that failed left no name");
        }
      }
      if (full) {
        break;
      }
    }
    assertTrue(f.files.size() > 1000, "only " + f.files.size() + " files fit");
    f.finish("inodes");
  }

  @Test
  void fillingWithDirectoryEntriesEndsInACleanEnospc() {
    Filling f = new Filling();
    fillWithData(f, "/data");
    // Make room for directory entries only: free the largest data file.
    String big = f.files.entrySet().stream().max((a, b) -> a.getValue().length
        - b.getValue().length).orElseThrow().getKey();
    f.fs.unlink(ROOT, big);
    f.files.remove(big);
    f.fs.mkdir(ROOT, "/links", 0755);
    f.dirs.add("/links");
    String target = "/links/target";
    FsTesting.writeFile(f.fs, target, pattern(10, 1));
    f.files.put(target, pattern(10, 1));
    long ino = f.ino(target);
    long links = f.ino("/links");
    for (int i = 0; ; i++) {
      String n = "name-" + i;
      if (!f.tryOp(() -> f.fs.link(ROOT, ino, links, Name.of(n)))) {
        FsTesting.assertErrno(Errno.ENOENT, () -> f.fs.lookup(ROOT, links, Name.of(n)),
            "a link that failed left no name");
        break;
      }
      f.links.put("/links/" + n, ino);
      assertTrue(i < 200_000, "directory entries never ran out");
    }
    assertTrue(f.links.size() > 100, "only " + f.links.size() + " entries fit");
    assertEquals(f.links.size() + 1, f.fs.getattr(ino).nlink());
    f.finish("directory entries");
  }

  @Test
  void fillingWithXattrsEndsInACleanEnospc() {
    Filling f = new Filling();
    fillWithData(f, "/data");
    for (int i = 0; i < 2; i++) {
      String big = f.files.entrySet().stream().max((a, b) -> a.getValue().length
          - b.getValue().length).orElseThrow().getKey();
      f.fs.unlink(ROOT, big);
      f.files.remove(big);
    }
    f.fs.mkdir(ROOT, "/x", 0755);
    f.dirs.add("/x");
    boolean diskFull = false;
    int perInodeLimits = 0;
    for (int file = 0; !diskFull; file++) {
      String p = "/x/f" + file;
      if (!f.tryOp(() -> FsTesting.writeFile(f.fs, p, new byte[0]))) {
        break;
      }
      f.files.put(p, new byte[0]);
      Map<String, byte[]> mine = new LinkedHashMap<>();
      f.xattrs.put(p, mine);
      long ino = f.ino(p);
      int total = 0;
      for (int k = 0; ; k++) {
        String name = "user.attr" + k;
        byte[] value = pattern(3000, file * 100 + k);
        int cost = name.length() + value.length;
        boolean ok = f.tryOp(() -> f.fs.setxattr(ROOT, ino, name, value, 0));
        if (ok) {
          assertTrue(total + cost <= Xattrs.MAX_TOTAL, "the per-inode limit was not kept");
          mine.put(name, value);
          total += cost;
          continue;
        }
        assertFalse(f.fs.listxattr(ROOT, ino).contains(name), "a failed setxattr left " + name);
        if (total + cost > Xattrs.MAX_TOTAL) {
          perInodeLimits++; // the per-inode limit: go on with another file
        } else {
          diskFull = true;
        }
        break;
      }
    }
    assertTrue(perInodeLimits > 0, "the per-inode limit was never reached");
    assertTrue(diskFull || f.enospc > perInodeLimits, "the disk never filled with xattrs");
    f.finish("xattrs");
  }

  /**
   * On a full filesystem, operations that need their inode's log to grow (chmod, utimes,
   * setxattr, rename, link) succeed or fail with ENOSPC; a failure changes nothing, and fsck
   * and a crash remount find every inode intact.
   */
  @Test
  void aLogThatCannotGrowOnAFullFilesystemDoesNotCorruptItsInode() {
    Filling f = new Filling();
    fillWithData(f, "/data");
    List<String> paths = new ArrayList<>(f.files.keySet());
    int failed = 0;
    for (int r = 0; r < 40; r++) {
      int round = r;
      for (int i = 0; i < paths.size(); i++) {
        String p = paths.get(i);
        long ino = f.ino(p);
        Attr before = f.fs.getattr(ino);
        List<String> xs = f.fs.listxattr(ROOT, ino);
        Runnable op = switch ((round + i) % 4) {
          case 0 -> () -> f.fs.setattr(ROOT, ino, SetAttr.create().mode(0600 + round % 8));
          case 1 -> () -> f.fs.setattr(ROOT, ino, SetAttr.create().mtime(1_000_000L * round));
          case 2 -> () -> f.fs.setxattr(ROOT, ino, "user.r" + round, pattern(200, round), 0);
          default -> () -> f.fs.rename(ROOT, p, p + "-r", 0);
        };
        if (f.tryOp(op)) {
          if ((round + i) % 4 == 2) {
            f.xattrs.computeIfAbsent(p, k -> new LinkedHashMap<>()).put("user.r" + round,
                pattern(200, round));
          } else if ((round + i) % 4 == 3) {
            f.files.put(p + "-r", f.files.remove(p));
            Map<String, byte[]> x = f.xattrs.remove(p);
            if (x != null) {
              f.xattrs.put(p + "-r", x);
            }
            paths.set(i, p + "-r");
          }
        } else {
          failed++;
          Attr after = f.fs.getattr(ino);
          assertEquals(before.mode(), after.mode(), "a failed operation changed the mode");
          assertEquals(before.mtime(), after.mtime(), "a failed operation changed mtime");
          assertEquals(before.nlink(), after.nlink());
          assertEquals(xs, f.fs.listxattr(ROOT, ino), "a failed operation changed xattrs");
          FsTesting.assertErrno(Errno.ENOENT, () -> f.fs.resolve(ROOT, p + "-r", false));
        }
      }
    }
    assertTrue(failed > 0, "no operation ever found its log full");
    f.finish("log growth");
  }

}
