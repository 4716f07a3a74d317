package dev.daxfs.tools.crash;

import dev.daxfs.fs.Attr;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.DirEntry;
import dev.daxfs.fs.FileHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads everything visible on a mounted daxfs into an {@link FsState}, the way a program would
 * (readdir, stat, readlink, listxattr/getxattr, read), without changing anything: files are
 * opened with O_NOATIME, and the checker mounts with noatime so directory reads write nothing.
 */
final class StateReader {
  private StateReader() {}

  private static final Cred ROOT = Cred.root();

  /** Entries one readdir call returns. */
  private static final int BATCH = 128;

  /** Deepest directory nesting read before the tree is called cyclic. */
  private static final int MAX_DEPTH = 64;

  /** Reads the whole tree. */
  static FsState read(DaxFs fs) {
    Map<String, Attr> attrs = new TreeMap<>();
    walk(fs, fs.rootIno(), "", attrs, new HashSet<>(), 0);
    Map<Long, String> canonical = new HashMap<>();
    for (Map.Entry<String, Attr> e : attrs.entrySet()) {
      canonical.merge(e.getValue().ino(), e.getKey(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
    }
    TreeMap<String, FsState.Entry> out = new TreeMap<>();
    Map<Long, FsState.Entry> byIno = new HashMap<>();
    for (Map.Entry<String, Attr> e : attrs.entrySet()) {
      Attr a = e.getValue();
      FsState.Entry known = byIno.get(a.ino());
      if (known == null) {
        known = entry(fs, a, canonical.get(a.ino()));
        byIno.put(a.ino(), known);
      }
      out.put(e.getKey(), known);
    }
    return new FsState(out);
  }

  private static void walk(DaxFs fs, long dir, String path, Map<String, Attr> out,
      Set<Long> dirs, int depth) {
    if (!dirs.add(dir)) {
      throw new IllegalStateException("directory /" + path + " (inode " + dir
          + ") appears twice in the tree");
    }
    if (depth > MAX_DEPTH) {
      throw new IllegalStateException("the tree is deeper than " + MAX_DEPTH + " at /" + path);
    }
    out.put(path, fs.getattr(dir));
    long cookie = 0;
    while (true) {
      List<DirEntry> batch = fs.readdir(ROOT, dir, cookie, BATCH);
      if (batch.isEmpty()) {
        return;
      }
      for (DirEntry e : batch) {
        cookie = e.cookie();
        String n = e.name().toString();
        if (n.equals(".") || n.equals("..")) {
          continue;
        }
        String p = path.isEmpty() ? n : path + "/" + n;
        Attr a = fs.getattr(e.ino());
        if (a.isDir()) {
          walk(fs, a.ino(), p, out, dirs, depth + 1);
        } else {
          out.put(p, a);
        }
      }
    }
  }

  private static FsState.Entry entry(DaxFs fs, Attr a, String inode) {
    int type = a.mode() & FsState.S_IFMT;
    String target = a.isSymlink()
        ? new String(fs.readlink(ROOT, a.ino()), StandardCharsets.UTF_8) : null;
    byte[] content = a.isRegular() ? content(fs, a) : new byte[0];
    return new FsState.Entry(type, a.permissions(), a.uid(), a.gid(), a.nlink(),
        a.isDir() ? FsState.DIR_SIZE : a.size(), a.rdev(), inode, target, xattrs(fs, a.ino()),
        content, Collections.emptySortedMap(), a.atime(), a.mtime());
  }

  private static byte[] content(DaxFs fs, Attr a) {
    if (a.size() > WorkloadParser.MAX_FILE * 2) {
      throw new IllegalStateException("inode " + a.ino() + " claims " + a.size()
          + " bytes, more than any workload writes");
    }
    byte[] out = new byte[(int) a.size()];
    FileHandle h = fs.open(ROOT, a.ino(), FileHandle.O_RDONLY | FileHandle.O_NOATIME);
    try {
      ByteBuffer b = ByteBuffer.wrap(out);
      while (b.hasRemaining()) {
        if (fs.read(h, b.position(), b) == 0) {
          throw new IllegalStateException("inode " + a.ino() + " reads " + b.position()
              + " of its " + a.size() + " bytes");
        }
      }
    } finally {
      fs.release(h);
    }
    return out;
  }

  private static SortedMap<String, byte[]> xattrs(DaxFs fs, long ino) {
    List<String> names = fs.listxattr(ROOT, ino);
    if (names.isEmpty()) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, byte[]> out = new TreeMap<>();
    for (String n : names) {
      out.put(n, fs.getxattr(ROOT, ino, n));
    }
    return out;
  }
}
