package dev.daxfs.tools.crash;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the workload language (docs/WORKLOADS.md): one operation per line, {@code #} starts a
 * comment, blank lines are ignored. A line that does not parse is rejected with its number and
 * what was wrong with it; nothing of a workload with a bad line runs.
 */
public final class WorkloadParser {
  private WorkloadParser() {}

  /**
   * Largest file offset a workload may reach (8 MiB): the model keeps every file in memory, and
   * DAX mappings made by {@code mwrite} are this long.
   */
  public static final long MAX_FILE = 8L << 20;

  /** Largest generated extended attribute value ({@code bytes=N}). */
  static final int MAX_XATTR_VALUE = 3072;

  /** Longest name component, as Linux's NAME_MAX. */
  private static final int NAME_MAX = 255;

  /**
   * Names the checker keeps for itself: after a crash it creates files whose names start with
   * this in the root directory.
   */
  static final String RESERVED_PREFIX = ".crash-";

  /** Parses {@code text}; {@code source} names it in error messages (a file name). */
  public static List<Op> parse(String source, String text) {
    List<Op> ops = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Op op = parseLine(source, i + 1, lines[i]);
      if (op != null) {
        ops.add(op);
      }
    }
    return ops;
  }

  /** Parses one line; null for a blank or comment line. */
  static Op parseLine(String source, int lineNo, String line) {
    int hash = line.indexOf('#');
    String body = (hash >= 0 ? line.substring(0, hash) : line).strip();
    if (body.isEmpty()) {
      return null;
    }
    String[] w = body.split("\\s+");
    OpKind kind = OpKind.of(w[0]);
    Line l = new Line(source, lineNo, w);
    if (kind == null) {
      throw l.error("unknown operation '" + w[0] + "'");
    }
    return l.parse(kind);
  }

  /** One line being parsed: its words and where it came from. */
  private static final class Line {
    /** The file or set name, for messages. */
    private final String source;

    /** 1-based line number. */
    private final int number;

    /** The words; words[0] is the keyword. */
    private final String[] words;

    Line(String source, int number, String[] words) {
      this.source = source;
      this.number = number;
      this.words = words;
    }

    WorkloadSyntaxException error(String message) {
      return new WorkloadSyntaxException(source, number, message);
    }

    Op parse(OpKind kind) {
      return switch (kind) {
        case MKDIR -> {
          arity(kind, 1, 2);
          yield op(kind, below(1), null, 0, 0, words.length > 2 ? mode(2) : 0755);
        }
        case CREAT -> {
          arity(kind, 1, 2);
          yield op(kind, below(1), null, 0, 0, words.length > 2 ? mode(2) : 0644);
        }
        case OPEN, CLOSE, MSYNC, MUNMAP, FSYNC, FDATASYNC -> {
          arity(kind, 1, 1);
          yield op(kind, path(1), null, 0, 0, 0);
        }
        case UNLINK, RMDIR -> {
          arity(kind, 1, 1);
          yield op(kind, below(1), null, 0, 0, 0);
        }
        case WRITE, MWRITE -> {
          arity(kind, 3, 3);
          long off = size(2, "OFF");
          long len = size(3, "LEN");
          if (off + len > MAX_FILE) {
            throw error(kind.keyword() + " ends at " + (off + len) + ", beyond the "
                + MAX_FILE + " bytes a workload file may reach");
          }
          yield op(kind, path(1), null, off, len, 0);
        }
        case TRUNCATE -> {
          arity(kind, 2, 2);
          yield op(kind, path(1), null, 0, size(2, "SIZE"), 0);
        }
        case FALLOC -> {
          arity(kind, 4, 4);
          int mode = fallocMode(words[2]);
          long off = size(3, "OFF");
          long len = size(4, "LEN");
          if (off + len > MAX_FILE) {
            throw error("falloc ends at " + (off + len) + ", beyond the " + MAX_FILE
                + " bytes a workload file may reach");
          }
          yield op(kind, path(1), null, off, len, mode);
        }
        case LINK -> {
          arity(kind, 2, 2);
          yield op(kind, below(1), below(2), 0, 0, 0);
        }
        case SYMLINK -> {
          arity(kind, 2, 2);
          yield op(kind, below(2), words[1], 0, 0, 0);
        }
        case RENAME -> {
          arity(kind, 2, 3);
          int flags = 0;
          if (words.length > 3) {
            flags = switch (words[3]) {
              case "noreplace" -> Op.RENAME_NOREPLACE;
              case "exchange" -> Op.RENAME_EXCHANGE;
              default -> throw error("rename takes 'noreplace' or 'exchange', not '" + words[3]
                  + "'");
            };
          }
          yield op(kind, below(1), below(2), 0, 0, flags);
        }
        case MKNOD -> {
          arity(kind, 2, 2);
          Op.NodeType t = Op.NodeType.of(words[2]);
          if (t == null) {
            throw error("mknod makes fifo, sock, chr or blk, not '" + words[2] + "'");
          }
          yield op(kind, below(1), null, 0, 0, t.type);
        }
        case CHOWN -> {
          arity(kind, 3, 3);
          yield new Op(kind, path(1), null, 0, 0, 0, id(2, "UID"), id(3, "GID"), 0, 0, null,
              null, 0, number);
        }
        case UTIMENS -> {
          arity(kind, 3, 3);
          yield new Op(kind, path(1), null, 0, 0, 0, 0, 0, time(2, "ATIME_NS"),
              time(3, "MTIME_NS"), null, null, 0, number);
        }
        case SETXATTR -> {
          arity(kind, 3, 3);
          String name = xattrName(2);
          String v = words[3];
          if (v.startsWith("bytes=")) {
            long n = sizeOf(v.substring("bytes=".length()), "the size in VALUE");
            if (n > MAX_XATTR_VALUE) {
              throw error("a generated value holds up to " + MAX_XATTR_VALUE + " bytes, not "
                  + n);
            }
            yield new Op(kind, path(1), null, 0, 0, 0, 0, 0, 0, 0, name, null, (int) n, number);
          }
          byte[] b = v.getBytes(StandardCharsets.UTF_8);
          yield new Op(kind, path(1), null, 0, 0, 0, 0, 0, 0, 0, name, b, b.length, number);
        }
        case REMOVEXATTR -> {
          arity(kind, 2, 2);
          yield new Op(kind, path(1), null, 0, 0, 0, 0, 0, 0, 0, xattrName(2), null, 0, number);
        }
        case CHMOD -> {
          arity(kind, 2, 2);
          yield op(kind, path(1), null, 0, 0, mode(2));
        }
        case SYNC, REMOUNT -> {
          arity(kind, 0, 0);
          yield op(kind, null, null, 0, 0, 0);
        }
        case CLEAN -> {
          arity(kind, 1, 1);
          yield op(kind, words[1].equals("all") ? null : path(1), null, 0, 0, 0);
        }
      };
    }

    private Op op(OpKind kind, String path, String other, long offset, long length, int mode) {
      return new Op(kind, path, other, offset, length, mode, 0, 0, 0, 0, null, null, 0, number);
    }

    private void arity(OpKind kind, int min, int max) {
      int n = words.length - 1;
      if (n < min || n > max) {
        String want = min == max ? (min == 0 ? "no arguments" : min + " argument"
            + (min == 1 ? "" : "s")) : min + " to " + max + " arguments";
        throw error(kind.keyword() + " takes " + want + " (" + kind.usage() + "), not " + n);
      }
    }

    /** A path, the root ("/") included; returned without its leading slash. */
    private String path(int i) {
      String p = words[i];
      if (p.equals("/")) {
        return "";
      }
      if (p.startsWith("/")) {
        p = p.substring(1);
      }
      if (p.endsWith("/")) {
        throw error("path '" + words[i] + "' ends in a slash");
      }
      String[] parts = p.split("/", -1);
      for (String c : parts) {
        if (c.isEmpty() || c.equals(".") || c.equals("..")) {
          throw error("path '" + words[i] + "' has an empty, '.' or '..' component");
        }
        if (c.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
          throw error("path '" + words[i] + "' has a component longer than " + NAME_MAX
              + " bytes");
        }
      }
      if (parts[0].startsWith(RESERVED_PREFIX)) {
        throw error("names starting with '" + RESERVED_PREFIX + "' in the root directory "
            + "belong to the checker");
      }
      return p;
    }

    /** A path naming something below the root (what is created, removed or renamed). */
    private String below(int i) {
      String p = path(i);
      if (p.isEmpty()) {
        throw error(words[0] + " needs a path below the root directory, not '/'");
      }
      return p;
    }

    private int mode(int i) {
      String s = words[i];
      if (!s.matches("[0-7]{1,5}")) {
        throw error("MODE must be octal (like 0644), not '" + s + "'");
      }
      int m = Integer.parseInt(s, 8);
      if (m > 07777) {
        throw error("MODE " + s + " has bits beyond 07777");
      }
      return m;
    }

    private long size(int i, String what) {
      return sizeOf(words[i], what);
    }

    /** A non-negative size: decimal, 0x hex, or with a k, m or g suffix (powers of 1024). */
    private long sizeOf(String s, String what) {
      String t = s.toLowerCase(Locale.ROOT);
      long unit = 1;
      if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
        unit = switch (t.charAt(t.length() - 1)) {
          case 'k' -> 1L << 10;
          case 'm' -> 1L << 20;
          default -> 1L << 30;
        };
        t = t.substring(0, t.length() - 1);
      }
      long v;
      try {
        v = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw error(what + " must be a number (like 4096, 0x1000 or 4k), not '" + s + "'");
      }
      if (v < 0) {
        throw error(what + " must not be negative: " + s);
      }
      if (v > MAX_FILE / unit) {
        throw error(what + " " + s + " is beyond the " + MAX_FILE
            + " bytes a workload file may reach");
      }
      return v * unit;
    }

    private int id(int i, String what) {
      try {
        return Integer.parseUnsignedInt(words[i]);
      } catch (NumberFormatException e) {
        throw error(what + " must be a number from 0 to 4294967295, not '" + words[i] + "'");
      }
    }

    private long time(int i, String what) {
      String s = words[i];
      if (s.equals("now")) {
        return Op.NOW;
      }
      if (s.equals("omit")) {
        return Op.OMIT;
      }
      try {
        long t = Long.parseLong(s);
        if (t >= 0) {
          return t;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw error(what + " must be nanoseconds since the epoch, 'now' or 'omit', not '" + s
          + "'");
    }

    private String xattrName(int i) {
      String n = words[i];
      int dot = n.indexOf('.');
      if (dot <= 0 || dot == n.length() - 1) {
        throw error("NAME must be namespace.name (like user.a), not '" + n + "'");
      }
      return n;
    }

    /** "0", or '|'-separated flag names; each as in the language or as FALLOC_FL_*. */
    private int fallocMode(String s) {
      if (s.equals("0")) {
        return 0;
      }
      int mode = 0;
      for (String f : s.split("\\|", -1)) {
        String name = f.startsWith("FALLOC_FL_") ? f.substring("FALLOC_FL_".length())
            .toLowerCase(Locale.ROOT) : f;
        int bit = 0;
        for (int k = 0; k < Op.FALLOC_NAMES.length; k++) {
          if (Op.FALLOC_NAMES[k].equals(name)) {
            bit = Op.FALLOC_BITS[k];
          }
        }
        if (bit == 0) {
          throw error("falloc MODE is 0 or '|'-separated flags (keep_size, punch_hole, "
              + "zero_range, collapse_range, insert_range, or their FALLOC_FL_ names), not '"
              + f + "'");
        }
        if ((mode & bit) != 0) {
          throw error("falloc MODE names " + f + " twice");
        }
        mode |= bit;
      }
      return mode;
    }
  }
}
