package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random-operation exerciser in the manner of fsx: the same random system calls (open with
 * O_CREAT/O_EXCL/O_TRUNC, pread, pwrite, ftruncate, fallocate, close, unlink, rename with flags,
 * link, mkdir, rmdir) go to a daxfs mount and to tmpfs, the kernel's own in-memory filesystem.
 * Every call must give the same result or errno on both, and at checkpoints every name and every
 * byte must agree. Descriptors stay open across unlink and rename, so unlinked open files and
 * the kernel's page cache over truncates and punches are exercised too.
 *
 * <p>Budget: {@code -Ddaxfs.fuzz.ops=N} operations (default 6000), seed {@code
 * -Ddaxfs.fuzz.seed=S} (default: random, printed on failure).
 */
class MountRandomOperationsTest {
  @TempDir static Path tmp;

  private static final int OPS = Integer.getInteger("daxfs.fuzz.ops", 6000);

  /** Largest file offset the exerciser touches. */
  private static final int SPAN = 3 << 20;

  /** Names the operations pick from: a small tree, so that they collide often. */
  private static final String[] FILES = {"a", "b", "c", "d", "x/a", "x/b", "x/y/a", "y/c"};

  private static final String[] DIRS = {"x", "y", "x/y", "x/z"};

  /** One filesystem under test: its root and its open descriptors (slot -> fd, -1 free). */
  private static final class Side {
    final Path root;
    final int[] fds = new int[6];
    final boolean tmpfs;

    Side(Path root, boolean tmpfs) {
      this.root = root;
      this.tmpfs = tmpfs;
      Arrays.fill(fds, -1);
    }

    String path(String name) {
      return root.resolve(name).toString();
    }
  }

  @Test
  void randomOperationsMatchTmpfs() throws Exception {
    long seed = Long.getLong("daxfs.fuzz.seed", new Random().nextLong());
    Path runtime = Files.createDirectory(tmp.resolve("run"));
    Path reference = Files.createDirectory(Path.of("/dev/shm").resolve(
        "daxfs-fuzz-ref-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
    try (DaxfsMount mount = DaxfsMount.at(tmp.resolve("mnt"), DaxfsMount.freshRegion("fuzz"),
        runtime)) {
      mount.mount();
      Side daxfs = new Side(Files.createDirectory(mount.mountpoint.resolve("fuzz")), false);
      Side ref = new Side(reference, true);
      try {
        exercise(new Random(seed), daxfs, ref, seed);
      } finally {
        closeAll(daxfs);
        closeAll(ref);
      }
      Run.Result u = mount.umount();
      assertEquals(0, u.exit(), "umount after the exerciser: " + u.all());
    } finally {
      Run.sh(tmp, "rm -rf " + reference, 60);
    }
  }

  private static void closeAll(Side s) {
    for (int i = 0; i < s.fds.length; i++) {
      if (s.fds[i] >= 0) {
        Libc.close(s.fds[i]);
        s.fds[i] = -1;
      }
    }
  }

  private void exercise(Random rnd, Side d, Side r, long seed) throws Exception {
    List<String> trail = new ArrayList<>();
    for (int op = 0; op < OPS; op++) {
      String what = step(rnd, d, r);
      trail.add(what);
      if (trail.size() > 30) {
        trail.remove(0);
      }
      if (what.startsWith("MISMATCH")) {
        fail("seed " + seed + ", operation " + op + ": " + what + "\nlast operations:\n  "
            + String.join("\n  ", trail));
      }
      if (op % 500 == 499 || op == OPS - 1) {
        String diff = compareTrees(d, r);
        if (diff != null) {
          fail("seed " + seed + ", after operation " + op + ": " + diff
              + "\nlast operations:\n  " + String.join("\n  ", trail));
        }
      }
    }
  }

  /** One random operation on both sides; its description, or MISMATCH and why. */
  private String step(Random rnd, Side d, Side r) {
    int slot = rnd.nextInt(d.fds.length);
    String name = FILES[rnd.nextInt(FILES.length)];
    int kind = rnd.nextInt(100);
    if (kind < 12) {
      int flags = Libc.O_RDWR | (rnd.nextBoolean() ? Libc.O_CREAT : 0)
          | (rnd.nextInt(5) == 0 ? Libc.O_EXCL : 0) | (rnd.nextInt(6) == 0 ? Libc.O_TRUNC : 0);
      if (d.fds[slot] >= 0) {
        Libc.close(d.fds[slot]);
        Libc.close(r.fds[slot]);
        d.fds[slot] = r.fds[slot] = -1;
      }
      int fd1 = Libc.open(d.path(name), flags, 0644);
      int e1 = Libc.errno();
      int fd2 = Libc.open(r.path(name), flags, 0644);
      int e2 = Libc.errno();
      if ((fd1 < 0) != (fd2 < 0) || (fd1 < 0 && e1 != e2)) {
        closeIfOpen(fd1);
        closeIfOpen(fd2);
        return "MISMATCH open " + name + " flags 0" + Integer.toOctalString(flags)
            + ": daxfs " + result(fd1, e1) + ", tmpfs " + result(fd2, e2);
      }
      d.fds[slot] = fd1;
      r.fds[slot] = fd2;
      return "open " + name + " 0" + Integer.toOctalString(flags) + " -> slot " + slot
          + (fd1 < 0 ? " errno " + e1 : "");
    }
    int fd = d.fds[slot];
    if (kind < 55 && fd >= 0) {
      return fileOp(rnd, slot, d, r);
    }
    if (kind < 62 && fd >= 0) {
      Libc.close(d.fds[slot]);
      Libc.close(r.fds[slot]);
      d.fds[slot] = r.fds[slot] = -1;
      return "close slot " + slot;
    }
    return nameOp(rnd, d, r);
  }

  private static void closeIfOpen(int fd) {
    if (fd >= 0) {
      Libc.close(fd);
    }
  }

  private static String result(long rc, int errno) {
    return rc < 0 ? "errno " + errno : "ok " + rc;
  }

  /** Data operations on the descriptors in {@code slot}. */
  private String fileOp(Random rnd, int slot, Side d, Side r) {
    int a = d.fds[slot];
    int b = r.fds[slot];
    int kind = rnd.nextInt(100);
    long off = rnd.nextInt(4) == 0 ? rnd.nextInt(SPAN) & ~4095 : rnd.nextInt(SPAN);
    int len = 1 + (rnd.nextInt(3) == 0 ? rnd.nextInt(256 << 10) : rnd.nextInt(16 << 10));
    if (kind < 35) {
      byte[] data = new byte[len];
      rnd.nextBytes(data);
      if (rnd.nextInt(4) == 0) {
        Arrays.fill(data, (byte) 0);
      }
      long n1 = Libc.pwrite(a, data, len, off);
      int e1 = Libc.errno();
      long n2 = Libc.pwrite(b, data, len, off);
      int e2 = Libc.errno();
      return same("pwrite slot " + slot + " " + off + "+" + len, n1, e1, n2, e2);
    }
    if (kind < 60) {
      byte[] x = new byte[len];
      byte[] y = new byte[len];
      long n1 = Libc.pread(a, x, len, off);
      int e1 = Libc.errno();
      long n2 = Libc.pread(b, y, len, off);
      int e2 = Libc.errno();
      String s = same("pread slot " + slot + " " + off + "+" + len, n1, e1, n2, e2);
      if (!s.startsWith("MISMATCH") && n1 > 0 && !Arrays.equals(x, 0, (int) n1, y, 0, (int) n2)) {
        return "MISMATCH pread slot " + slot + " " + off + "+" + len + ": bytes differ at "
            + (off + Arrays.mismatch(Arrays.copyOf(x, (int) n1), Arrays.copyOf(y, (int) n2)));
      }
      return s;
    }
    if (kind < 72) {
      long size = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(SPAN);
      int n1 = Libc.ftruncate(a, size);
      int e1 = Libc.errno();
      int n2 = Libc.ftruncate(b, size);
      int e2 = Libc.errno();
      return same("ftruncate slot " + slot + " " + size, n1, e1, n2, e2);
    }
    if (kind < 90) {
      int[] modes = {0, Libc.FALLOC_FL_KEEP_SIZE,
          Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, Libc.FALLOC_FL_ZERO_RANGE,
          Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE};
      int mode = modes[rnd.nextInt(modes.length)];
      int n1 = Libc.fallocate(a, mode, off, len);
      int e1 = Libc.errno();
      int n2;
      int e2;
      if ((mode & Libc.FALLOC_FL_ZERO_RANGE) != 0) {
        // tmpfs has no ZERO_RANGE: write the zeroes it stands for.
        n2 = zeroRange(b, off, len, (mode & Libc.FALLOC_FL_KEEP_SIZE) != 0);
        e2 = Libc.errno();
      } else {
        n2 = Libc.fallocate(b, mode, off, len);
        e2 = Libc.errno();
      }
      return same("fallocate slot " + slot + " mode 0x" + Integer.toHexString(mode) + " "
          + off + "+" + len, n1, e1, n2, e2);
    }
    // Sizes agree, and a hole that daxfs reports reads as zeroes.
    long s1 = Libc.lseek(a, 0, 2);
    long s2 = Libc.lseek(b, 0, 2);
    if (s1 != s2) {
      return "MISMATCH size of slot " + slot + ": daxfs " + s1 + ", tmpfs " + s2;
    }
    if (s1 > 0) {
      long at = rnd.nextInt((int) Math.min(s1, Integer.MAX_VALUE));
      long hole = Libc.lseek(a, at, Libc.SEEK_HOLE);
      if (hole < at || hole > s1) {
        return "MISMATCH SEEK_HOLE from " + at + " gave " + hole + " (size " + s1 + ")";
      }
      if (hole < s1) {
        byte[] one = new byte[1];
        Libc.pread(a, one, 1, hole);
        if (one[0] != 0) {
          return "MISMATCH SEEK_HOLE gave " + hole + " but that byte is " + one[0];
        }
      }
      long data = Libc.lseek(a, at, Libc.SEEK_DATA);
      if (data >= 0 && (data < at || data >= s1)) {
        return "MISMATCH SEEK_DATA from " + at + " gave " + data + " (size " + s1 + ")";
      }
    }
    return "size and seek slot " + slot + " = " + s1;
  }

  /** ZERO_RANGE done with writes on a filesystem that lacks it. */
  private static int zeroRange(int fd, long off, int len, boolean keepSize) {
    long size = Libc.lseek(fd, 0, 2);
    long end = off + len;
    long writeEnd = keepSize ? Math.min(end, size) : end;
    if (writeEnd > off) {
      byte[] zeros = new byte[(int) (writeEnd - off)];
      if (Libc.pwrite(fd, zeros, zeros.length, off) < 0) {
        return -1;
      }
    }
    return 0;
  }

  private static String same(String what, long n1, int e1, long n2, int e2) {
    if ((n1 < 0) != (n2 < 0) || (n1 < 0 ? e1 != e2 : n1 != n2)) {
      return "MISMATCH " + what + ": daxfs " + result(n1, e1) + ", tmpfs " + result(n2, e2);
    }
    return what + " -> " + result(n1, e1);
  }

  /** Operations on names. */
  private String nameOp(Random rnd, Side d, Side r) {
    int kind = rnd.nextInt(100);
    String a = FILES[rnd.nextInt(FILES.length)];
    String b = rnd.nextInt(4) == 0 ? DIRS[rnd.nextInt(DIRS.length)]
        : FILES[rnd.nextInt(FILES.length)];
    if (kind < 25) {
      String n = rnd.nextInt(5) == 0 ? DIRS[rnd.nextInt(DIRS.length)] : a;
      return same("unlink " + n, Libc.unlink(d.path(n)), Libc.errno(),
          Libc.unlink(r.path(n)), Libc.errno());
    }
    if (kind < 55) {
      int[] flags = {0, 0, Libc.RENAME_NOREPLACE, Libc.RENAME_EXCHANGE};
      int f = flags[rnd.nextInt(flags.length)];
      String from = rnd.nextInt(5) == 0 ? DIRS[rnd.nextInt(DIRS.length)] : a;
      int n1 = Libc.renameat2(Libc.AT_FDCWD, d.path(from), Libc.AT_FDCWD, d.path(b), f);
      int e1 = Libc.errno();
      int n2 = Libc.renameat2(Libc.AT_FDCWD, r.path(from), Libc.AT_FDCWD, r.path(b), f);
      int e2 = Libc.errno();
      return same("rename " + from + " " + b + " flags " + f, n1, e1, n2, e2);
    }
    if (kind < 70) {
      int n1 = Libc.link(d.path(a), d.path(b));
      int e1 = Libc.errno();
      int n2 = Libc.link(r.path(a), r.path(b));
      int e2 = Libc.errno();
      return same("link " + a + " " + b, n1, e1, n2, e2);
    }
    String dir = DIRS[rnd.nextInt(DIRS.length)];
    if (kind < 88) {
      int n1 = Libc.mkdir(d.path(dir), 0755);
      int e1 = Libc.errno();
      int n2 = Libc.mkdir(r.path(dir), 0755);
      int e2 = Libc.errno();
      return same("mkdir " + dir, n1, e1, n2, e2);
    }
    int n1 = Libc.rmdir(d.path(dir));
    int e1 = Libc.errno();
    int n2 = Libc.rmdir(r.path(dir));
    int e2 = Libc.errno();
    return same("rmdir " + dir, n1, e1, n2, e2);
  }

  /** Null when both trees hold the same names, types, link counts and bytes. */
  private static String compareTrees(Side d, Side r) throws IOException {
    List<String> x = listing(d.root);
    List<String> y = listing(r.root);
    if (!x.equals(y)) {
      return "trees differ:\n  daxfs: " + x + "\n  tmpfs: " + y;
    }
    for (String line : x) {
      String rel = line.split(" ")[0];
      Path p = d.root.resolve(rel);
      if (Files.isRegularFile(p)) {
        byte[] a = Files.readAllBytes(p);
        byte[] b = Files.readAllBytes(r.root.resolve(rel));
        if (!Arrays.equals(a, b)) {
          int at = Arrays.mismatch(a, b);
          return rel + " differs at byte " + at + " (sizes " + a.length + ", " + b.length + ")";
        }
      }
    }
    return null;
  }

  private static List<String> listing(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.equals(root)) {
          continue;
        }
        String type = Files.isDirectory(p) ? "d" : "f";
        Object links = Files.getAttribute(p, "unix:nlink");
        out.add(root.relativize(p) + " " + type + (type.equals("f") ? " " + links : ""));
      }
    }
    out.sort(null);
    return out;
  }
}
