package dev.daxfs.tools.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Reads /proc/self/mountinfo (proc(5)): which paths are mount points, of what. */
final class MountInfo {
  private MountInfo() {}

  /** One mount: its device numbers, mount point, filesystem type, source and super options. */
  record Entry(int major, int minor, String mountpoint, String fsType, String source,
      String superOptions) {

    /** The uid that made a FUSE mount (its user_id option), or -1 when it has none. */
    long userId() {
      for (String o : superOptions.split(",")) {
        if (o.startsWith("user_id=")) {
          try {
            return Long.parseLong(o.substring("user_id=".length()));
          } catch (NumberFormatException e) {
            return -1;
          }
        }
      }
      return -1;
    }
  }

  static List<Entry> read() throws IOException {
    return parse(Files.readAllLines(Paths.get("/proc/self/mountinfo")));
  }

  /**
   * Parses mountinfo lines: "ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] -
   * FSTYPE SOURCE SUPEROPTIONS", with spaces and other bytes in paths escaped as \ooo.
   */
  static List<Entry> parse(List<String> lines) {
    List<Entry> entries = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.split(" ");
      int dash = -1;
      for (int i = 6; i < f.length; i++) {
        if (f[i].equals("-")) {
          dash = i;
          break;
        }
      }
      if (f.length < 7 || dash < 0 || dash + 3 >= f.length) {
        continue;
      }
      String[] dev = f[2].split(":");
      if (dev.length != 2) {
        continue;
      }
      try {
        entries.add(new Entry(Integer.parseInt(dev[0]), Integer.parseInt(dev[1]),
            unescape(f[4]), unescape(f[dash + 1]), unescape(f[dash + 2]), f[dash + 3]));
      } catch (NumberFormatException e) {
        // Not a mount line.
      }
    }
    return entries;
  }

  /** Undoes the kernel's octal escapes (\040 for space, \011, \012, \134). */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        out.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        byte[] b = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }

  /** True when {@code path} is a mount point. */
  static boolean isMountpoint(Path path) throws IOException {
    String p = path.toString();
    for (Entry e : read()) {
      if (e.mountpoint().equals(p)) {
        return true;
      }
    }
    return false;
  }
}
