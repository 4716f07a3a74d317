package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers for the fs tests: formatted regions, errno assertions, tree snapshots. */
final class FsTesting {
  private FsTesting() {}

  static final Cred ROOT = Cred.root();

  static final int MIB = 1 << 20;

  /** A freshly formatted heap region of {@code mib} MiB. */
  static HeapRegion formatted(int mib) {
    HeapRegion r = new HeapRegion((long) mib * MIB);
    DaxFs.mkfs(r, MkfsOptions.defaults());
    return r;
  }

  static DaxFs mount(PmemRegion r) {
    return DaxFs.mount(r, MountOptions.defaults());
  }

  /** A mounted filesystem on a new 16 MiB region. */
  static DaxFs newFs() {
    return mount(formatted(16));
  }

  /** Asserts that {@code e} fails with {@code expected}; returns the exception. */
  static ErrnoException assertErrno(Errno expected, Executable e) {
    ErrnoException x = assertThrows(ErrnoException.class, e);
    assertEquals(expected, x.errno(), () -> "wrong errno; message: " + x.getMessage());
    return x;
  }

  /** As {@link #assertErrno(Errno, Executable)}, saying what was tried. */
  static ErrnoException assertErrno(Errno expected, Executable e, String what) {
    ErrnoException x = assertThrows(ErrnoException.class, e, what);
    assertEquals(expected, x.errno(), () -> what + ": wrong errno; message: " + x.getMessage());
    return x;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Name name(String s) {
    return Name.of(s);
  }

  /** Bytes 0..n-1 of a pattern that differs per seed, so misplaced data shows. */
  static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((i * 31 + seed * 17 + (i >>> 8)) | 1);
    }
    return b;
  }

  static int write(DaxFs fs, FileHandle h, long off, byte[] data) {
    return fs.write(ROOT, h, off, ByteBuffer.wrap(data));
  }

  /** Reads {@code len} bytes at {@code off}; the result is as long as what was read. */
  static byte[] read(DaxFs fs, FileHandle h, long off, int len) {
    ByteBuffer b = ByteBuffer.allocate(len);
    int n = fs.read(h, off, b);
    return Arrays.copyOf(b.array(), n);
  }

  /** The whole content of regular file {@code ino}, read without touching atime. */
  static byte[] content(DaxFs fs, long ino) {
    long size = fs.getattr(ino).size();
    FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDONLY | FileHandle.O_NOATIME);
    try {
      byte[] out = new byte[(int) size];
      ByteBuffer b = ByteBuffer.wrap(out);
      while (b.hasRemaining()) {
        int n = fs.read(h, b.position(), b);
        if (n == 0) {
          break;
        }
      }
      assertEquals(size, b.position(), "short read of inode " + ino);
      return out;
    } finally {
      fs.release(h);
    }
  }

  /** Creates (or truncates) {@code path} with {@code data}. */
  static Attr writeFile(DaxFs fs, String path, byte[] data) {
    FileHandle h = fs.open(ROOT, path, FileHandle.O_CREAT | FileHandle.O_RDWR
        | FileHandle.O_TRUNC, 0644);
    try {
      if (data.length > 0) {
        write(fs, h, 0, data);
      }
      return fs.getattr(h.ino());
    } finally {
      fs.release(h);
    }
  }

  /** Every entry of directory {@code dir} but "." and "..", by name. */
  static Map<String, DirEntry> list(DaxFs fs, long dir) {
    Map<String, DirEntry> out = new TreeMap<>();
    long cookie = 0;
    while (true) {
      List<DirEntry> batch = fs.readdir(ROOT, dir, cookie, 64);
      if (batch.isEmpty()) {
        return out;
      }
      for (DirEntry e : batch) {
        String n = e.name().toString();
        if (!n.equals(".") && !n.equals("..")) {
          out.put(n, e);
        }
        cookie = e.cookie();
      }
    }
  }

  /**
   * A canonical description of everything observable below the root: for each path its inode
   * number, type, mode, link count, owner, size, times, device, symlink target, content and
   * extended attributes. Equal snapshots mean equal trees.
   */
  static Map<String, String> snapshot(DaxFs fs) {
    Map<String, String> out = new TreeMap<>();
    describe(fs, "/", fs.rootIno(), out, true);
    return out;
  }

  /**
   * As {@link #snapshot}, without times and block counts: what must be identical whenever an
   * operation ran, whenever it ran (times) and whatever spare log pages it left (blocks).
   */
  static Map<String, String> shape(DaxFs fs) {
    Map<String, String> out = new TreeMap<>();
    describe(fs, "/", fs.rootIno(), out, false);
    return out;
  }

  /**
   * Removes everything below the root, then checks that every block not holding the root's
   * log or an inode-table chunk is free: blocks a crash or a bug leaked show up here.
   */
  static void assertNothingLeaks(DaxFs fs) {
    for (Map.Entry<String, DirEntry> e : list(fs, fs.rootIno()).entrySet()) {
      removeTree(fs, fs.rootIno(), e.getValue());
    }
    Volume vol = fs.volume();
    long allocatable = vol.blockCount() - Layout.FIRST_ALLOCATABLE;
    long rootLog = vol.cache.get(fs.rootIno()).log.pageCount();
    long chunks = vol.inodes.chunkCount() - 1;
    assertEquals(allocatable - rootLog - chunks, fs.statfs().freeBlocks(),
        "free blocks once everything is removed (root log " + rootLog + " pages, " + chunks
            + " extra inode-table chunks)");
  }

  private static void removeTree(DaxFs fs, long dir, DirEntry e) {
    if (e.type() == Mode.S_IFDIR >>> 12) {
      for (DirEntry c : list(fs, e.ino()).values()) {
        removeTree(fs, e.ino(), c);
      }
      fs.rmdir(ROOT, dir, e.name());
    } else {
      fs.unlink(ROOT, dir, e.name());
    }
  }

  private static void describe(DaxFs fs, String path, long ino, Map<String, String> out,
      boolean all) {
    Attr a = fs.getattr(ino);
    StringBuilder s = new StringBuilder();
    s.append("ino=").append(a.ino()).append(" mode=").append(Integer.toOctalString(a.mode()))
        .append(" nlink=").append(a.nlink()).append(" uid=").append(a.uid())
        .append(" gid=").append(a.gid()).append(" size=").append(a.size())
        .append(" rdev=").append(a.rdev());
    if (all) {
      s.append(" blocks=").append(a.blocks()).append(" atime=").append(a.atime())
          .append(" mtime=").append(a.mtime()).append(" ctime=").append(a.ctime());
    }
    if (a.isSymlink()) {
      s.append(" target=").append(new String(fs.readlink(ROOT, ino), StandardCharsets.UTF_8));
    } else if (a.isRegular()) {
      s.append(" data=").append(Arrays.hashCode(content(fs, ino)));
    }
    List<String> xs = new ArrayList<>(fs.listxattr(ROOT, ino));
    xs.sort(null);
    for (String x : xs) {
      s.append(" xattr:").append(x).append('=').append(Arrays.toString(fs.getxattr(ROOT, ino,
          x)));
    }
    out.put(path, s.toString());
    if (a.isDir()) {
      for (Map.Entry<String, DirEntry> e : list(fs, ino).entrySet()) {
        String child = path.equals("/") ? "/" + e.getKey() : path + "/" + e.getKey();
        describe(fs, child, e.getValue().ino(), out, all);
      }
    }
  }
}
