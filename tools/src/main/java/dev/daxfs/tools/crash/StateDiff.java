package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * Compares an observed state with an expected one and says how they differ, in words a storage
 * engineer can act on ("/A/foo: size 4096, expected 8192").
 *
 * <p>Contents are compared exactly except for two kinds of 8-byte words: words whose mapped
 * stores are not yet durable may hold any of the values the model lists for them; and words an
 * in-place write was storing when the crash came ({@link Tear}) may hold the value of either
 * state around that write.
 */
final class StateDiff {
  private StateDiff() {}

  /** Most bytes of a value a message shows. */
  private static final int SHOWN = 16;

  /**
   * Words {@code [from, to)} (index = offset / 8) of the file whose inode is named {@code inode}
   * were being written in place (the page was mapped) by the operation that the crash cut:
   * while its commit is not visible (the state before it), each may hold its bytes from before
   * or after that write. Once the commit is visible, every byte is the new one: the write fences
   * its data before it commits.
   */
  record Tear(String inode, long[] ranges) {
    boolean covers(String in, long word) {
      if (!inode.equals(in)) {
        return false;
      }
      for (int i = 0; i < ranges.length; i += 2) {
        if (word >= ranges[i] && word < ranges[i + 1]) {
          return true;
        }
      }
      return false;
    }
  }

  /** True when {@code observed} is {@code expected} (see the class comment for the leeway). */
  static boolean matches(FsState observed, FsState expected, FsState other, Tear tear) {
    return diff(observed, expected, other, tear, 1).isEmpty();
  }

  /**
   * Up to {@code limit} differences of {@code observed} from {@code expected}; {@code other} is
   * the state on the other side of the write {@code tear} describes (both may be null).
   */
  static List<String> diff(FsState observed, FsState expected, FsState other, Tear tear,
      int limit) {
    List<String> out = new ArrayList<>();
    SortedMap<String, FsState.Entry> got = observed.entries();
    SortedMap<String, FsState.Entry> want = expected.entries();
    for (String p : want.keySet()) {
      if (!got.containsKey(p) && out.size() < limit) {
        out.add("/" + p + " is missing (expected a " + want.get(p).typeName() + ")");
      }
    }
    for (Map.Entry<String, FsState.Entry> g : got.entrySet()) {
      if (out.size() >= limit) {
        return out;
      }
      FsState.Entry w = want.get(g.getKey());
      if (w == null) {
        out.add("/" + g.getKey() + " exists (a " + g.getValue().typeName()
            + "), expected nothing there");
        continue;
      }
      FsState.Entry o = other == null ? null : other.get(g.getKey());
      compare("/" + g.getKey(), g.getValue(), w, o, tear, out, limit);
    }
    return out;
  }

  private static void compare(String path, FsState.Entry g, FsState.Entry w, FsState.Entry other,
      Tear tear, List<String> out, int limit) {
    if (g.type() != w.type()) {
      out.add(path + " is a " + g.typeName() + ", expected a " + w.typeName());
      return;
    }
    field(out, path, "mode", "0" + Integer.toOctalString(g.perms()),
        "0" + Integer.toOctalString(w.perms()));
    field(out, path, "uid", g.uid(), w.uid());
    field(out, path, "gid", g.gid(), w.gid());
    field(out, path, "link count", g.nlink(), w.nlink());
    if (!g.inode().equals(w.inode())) {
      out.add(path + " is " + (g.inode().equals(path.substring(1)) ? "its own inode"
          : "a hard link of /" + g.inode()) + ", expected " + (w.inode().equals(
              path.substring(1)) ? "its own inode" : "a hard link of /" + w.inode()));
    }
    if (!w.isDir()) {
      field(out, path, "size", g.size(), w.size());
    }
    field(out, path, "device number", g.rdev(), w.rdev());
    if (!Objects.equals(g.target(), w.target())) {
      out.add(path + " points to '" + g.target() + "', expected '" + w.target() + "'");
    }
    xattrs(out, path, g.xattrs(), w.xattrs());
    if (w.atime() != FsState.UNKNOWN_TIME) {
      field(out, path, "atime", g.atime(), w.atime());
    }
    if (w.mtime() != FsState.UNKNOWN_TIME) {
      field(out, path, "mtime", g.mtime(), w.mtime());
    }
    if (out.size() < limit && w.isRegular() && g.size() == w.size()) {
      content(out, path, g.content(), w, other, tear);
    }
  }

  private static void field(List<String> out, String path, String what, Object got,
      Object want) {
    if (!got.equals(want)) {
      out.add(path + ": " + what + " " + got + ", expected " + want);
    }
  }

  private static void xattrs(List<String> out, String path, SortedMap<String, byte[]> got,
      SortedMap<String, byte[]> want) {
    for (Map.Entry<String, byte[]> w : want.entrySet()) {
      byte[] g = got.get(w.getKey());
      if (g == null) {
        out.add(path + ": extended attribute " + w.getKey() + " is missing");
      } else if (!Arrays.equals(g, w.getValue())) {
        out.add(path + ": extended attribute " + w.getKey() + " is " + show(g) + " ("
            + g.length + " bytes), expected " + show(w.getValue()) + " (" + w.getValue().length
            + " bytes)");
      }
    }
    for (String n : got.keySet()) {
      if (!want.containsKey(n)) {
        out.add(path + ": extended attribute " + n + " exists, expected none");
      }
    }
  }

  /** Compares contents of equal length word by word where they differ. */
  private static void content(List<String> out, String path, byte[] got, FsState.Entry w,
      FsState.Entry other, Tear tear) {
    byte[] want = w.content();
    int from = 0;
    int bad = 0;
    long firstBad = -1;
    while (true) {
      int at = Arrays.mismatch(got, from, got.length, want, from, want.length);
      if (at < 0) {
        break;
      }
      long word = (from + at) >>> 3;
      long g = word(got, word);
      if (!allowed(g, want, w.pending(), word, got.length)
          && !(tear != null && other != null && tear.covers(w.inode(), word)
              && allowed(g, other.content(), other.pending(), word, got.length))) {
        if (bad++ == 0) {
          firstBad = word;
        }
      }
      from = (int) Math.min(got.length, (word + 1) << 3);
      if (from >= got.length) {
        break;
      }
    }
    if (bad > 0) {
      long off = firstBad << 3;
      int n = (int) Math.min(8, got.length - off);
      out.add(path + ": contents differ in " + bad + " of " + ((got.length + 7) / 8)
          + " words, first at offset " + off + ": " + show(Arrays.copyOfRange(got, (int) off,
              (int) off + n)) + ", expected " + show(Arrays.copyOfRange(want, (int) off,
              (int) off + n)) + (w.pending().containsKey(firstBad) ? " (or an older mapped "
              + "store)" : ""));
    }
  }

  /**
   * True when observed word {@code g} of a file of {@code size} bytes is the word of {@code
   * content} or one of its pending values, compared in the bytes below {@code size} (the other
   * state around a torn write may be longer).
   */
  private static boolean allowed(long g, byte[] content, SortedMap<Long, long[]> pending,
      long word, long size) {
    long visible = size - (word << 3);
    long mask = visible >= 8 ? -1L : (1L << (8 * visible)) - 1;
    if (g == (word(content, word) & mask)) {
      return true;
    }
    long[] alts = pending.get(word);
    if (alts != null) {
      for (long a : alts) {
        if ((a & mask) == g) {
          return true;
        }
      }
    }
    return false;
  }

  /** Word {@code index} of {@code b}, little-endian; bytes beyond the end read as zero. */
  static long word(byte[] b, long index) {
    long v = 0;
    int base = (int) (index << 3);
    for (int i = 7; i >= 0; i--) {
      int at = base + i;
      v = (v << 8) | (at < b.length ? b[at] & 0xff : 0);
    }
    return v;
  }

  /** A short rendering of bytes: text when printable, else hex. */
  static String show(byte[] b) {
    int n = Math.min(SHOWN, b.length);
    boolean text = true;
    for (int i = 0; i < n; i++) {
      if (b[i] < 0x20 || b[i] > 0x7e) {
        text = false;
        break;
      }
    }
    StringBuilder s = new StringBuilder();
    if (text) {
      s.append('"').append(new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII))
          .append('"');
    } else {
      for (int i = 0; i < n; i++) {
        s.append(String.format("%02x", b[i] & 0xff));
      }
    }
    if (b.length > n) {
      s.append("...");
    }
    return s.toString();
  }
}
