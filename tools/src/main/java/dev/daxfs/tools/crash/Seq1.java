package dev.daxfs.tools.crash;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The seq1 set, in the manner of CrashMonkey's ACE: every operation of the language on every
 * applicable kind of target (an empty file, a file with data, a file with two names, a mapped
 * file, an empty and a non-empty directory, a symlink, a FIFO, a new name), at depth 1 (in the
 * root directory) and depth 2 (one below), each with and without an fsync after it, all after
 * one small setup. Error cases are included: a failing operation must change nothing, crash or
 * not.
 */
public final class Seq1 {
  private Seq1() {}

  /** The name of the workload that checks the setup itself. */
  public static final String SETUP_NAME = "setup";

  /**
   * The setup every seq1 and seq2 workload starts from. Depth 1 lives in the root directory,
   * depth 2 in A.
   */
  static final String SETUP = String.join("\n",
      "mkdir A",
      "mkdir A/C",
      "mkdir A/E",
      "mkdir B",
      "creat foo",
      "creat bar",
      "write bar 0 9000",
      "creat hl",
      "write hl 0 5000",
      "link hl A/hl",
      "creat A/foo",
      "creat A/bar",
      "write A/bar 0 9000",
      "creat A/C/x",
      "write A/C/x 0 100",
      "symlink foo lnk",
      "symlink bar A/lnk",
      "mknod fifo fifo",
      "mknod A/fifo fifo",
      "setxattr bar user.a v1",
      "setxattr A/bar user.a v1",
      "setxattr A user.a v1",
      "setxattr A/C user.a v1",
      "");

  /** The kinds of target, in the order the coverage matrix lists them. */
  public static final List<String> TARGETS = List.of("new", "file-empty", "file-data",
      "file-hardlink", "file-mapped", "dir-empty", "dir-nonempty", "symlink", "fifo", "none");

  /**
   * The paths one depth offers.
   *
   * @param dir the directory the depth's targets live in ("" for the root)
   * @param fileEmpty an empty regular file
   * @param fileData a regular file of 9000 bytes with an extended attribute
   * @param hard a regular file with a second name at the other depth
   * @param dirEmpty an empty directory
   * @param dirFull a directory with something in it (and an extended attribute)
   * @param link a symlink to the depth's fileData (depth 1: to fileEmpty)
   * @param fifo a FIFO
   * @param other another directory to move things to
   * @param emptyElsewhere an empty directory in another directory
   */
  record Paths(String dir, String fileEmpty, String fileData, String hard, String dirEmpty,
      String dirFull, String link, String fifo, String other, String emptyElsewhere) {

    /** A new name in the depth's directory. */
    String fresh(String name) {
      return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** A new name in the other directory. */
    String moved(String name) {
      return other.isEmpty() ? name : other + "/" + name;
    }
  }

  static final Paths DEPTH1 = new Paths("", "foo", "bar", "hl", "B", "A", "lnk", "fifo", "B",
      "A/E");

  static final Paths DEPTH2 = new Paths("A", "A/foo", "A/bar", "A/hl", "A/E", "A/C", "A/lnk",
      "A/fifo", "", "B");

  /**
   * One workload pattern.
   *
   * @param op the operation it checks
   * @param variant what distinguishes it from the op's other variants
   * @param target the kind of target
   * @param lines the workload's lines at a depth
   * @param fsync what to fsync after it at a depth
   */
  record Variant(OpKind op, String variant, String target, Function<Paths, String> lines,
      Function<Paths, String> fsync) {}

  private static Variant v(OpKind op, String variant, String target, Function<Paths, String> lines,
      Function<Paths, String> fsync) {
    return new Variant(op, variant, target, lines, fsync);
  }

  /** Every variant; each becomes four workloads (two depths, with and without fsync). */
  static List<Variant> variants() {
    List<Variant> v = new ArrayList<>();
    // names
    v.add(v(OpKind.CREAT, "new", "new", p -> "creat " + p.fresh("new"), p -> p.fresh("new")));
    v.add(v(OpKind.CREAT, "truncating", "file-data", p -> "creat " + p.fileData(),
        Paths::fileData));
    v.add(v(OpKind.CREAT, "through-symlink", "symlink", p -> "creat " + p.link(),
        Paths::link));
    v.add(v(OpKind.CREAT, "on-dir", "dir-empty", p -> "creat " + p.dirEmpty(),
        Paths::dirEmpty));
    v.add(v(OpKind.MKDIR, "new", "new", p -> "mkdir " + p.fresh("new") + " 0700",
        p -> p.fresh("new")));
    v.add(v(OpKind.MKDIR, "exists", "file-empty", p -> "mkdir " + p.fileEmpty(),
        Paths::fileEmpty));
    v.add(v(OpKind.MKNOD, "fifo", "new", p -> "mknod " + p.fresh("n") + " fifo", Paths::dir));
    v.add(v(OpKind.MKNOD, "sock", "new", p -> "mknod " + p.fresh("n") + " sock", Paths::dir));
    v.add(v(OpKind.MKNOD, "chr", "new", p -> "mknod " + p.fresh("n") + " chr", Paths::dir));
    v.add(v(OpKind.MKNOD, "blk", "new", p -> "mknod " + p.fresh("n") + " blk", Paths::dir));
    v.add(v(OpKind.MKNOD, "exists", "fifo", p -> "mknod " + p.fifo() + " sock", Paths::dir));
    v.add(v(OpKind.SYMLINK, "dangling", "new", p -> "symlink nowhere " + p.fresh("s"),
        Paths::dir));
    v.add(v(OpKind.SYMLINK, "absolute", "new", p -> "symlink /bar " + p.fresh("s"),
        Paths::dir));
    v.add(v(OpKind.SYMLINK, "exists", "dir-nonempty", p -> "symlink x " + p.dirFull(),
        Paths::dir));
    v.add(v(OpKind.LINK, "same-dir", "file-empty",
        p -> "link " + p.fileEmpty() + " " + p.fresh("linked"), p -> p.fresh("linked")));
    v.add(v(OpKind.LINK, "other-dir", "file-data",
        p -> "link " + p.fileData() + " " + p.moved("linked"), p -> p.moved("linked")));
    v.add(v(OpKind.LINK, "third-name", "file-hardlink",
        p -> "link " + p.hard() + " " + p.fresh("linked"), Paths::hard));
    v.add(v(OpKind.LINK, "symlink", "symlink", p -> "link " + p.link() + " "
        + p.fresh("linked"), Paths::dir));
    v.add(v(OpKind.LINK, "fifo", "fifo", p -> "link " + p.fifo() + " " + p.fresh("linked"),
        Paths::dir));
    v.add(v(OpKind.LINK, "dir", "dir-empty", p -> "link " + p.dirEmpty() + " "
        + p.fresh("linked"), Paths::dirEmpty));
    v.add(v(OpKind.LINK, "full-dir", "dir-nonempty", p -> "link " + p.dirFull() + " "
        + p.fresh("linked"), Paths::dirFull));
    v.add(v(OpKind.LINK, "exists", "file-empty", p -> "link " + p.fileEmpty() + " "
        + p.fileData(), Paths::fileData));
    v.add(v(OpKind.LINK, "mapped", "file-mapped", p -> "mwrite " + p.fileData() + " 0 64\n"
        + "link " + p.fileData() + " " + p.fresh("linked"), Paths::fileData));
    v.add(v(OpKind.UNLINK, "empty", "file-empty", p -> "unlink " + p.fileEmpty(),
        Paths::dir));
    v.add(v(OpKind.UNLINK, "data", "file-data", p -> "unlink " + p.fileData(), Paths::dir));
    v.add(v(OpKind.UNLINK, "open", "file-data", p -> "open " + p.fileData() + "\nunlink "
        + p.fileData(), Paths::dir));
    v.add(v(OpKind.UNLINK, "one-of-two", "file-hardlink", p -> "unlink " + p.hard(),
        Paths::dir));
    v.add(v(OpKind.UNLINK, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nunlink " + p.fileData(), Paths::dir));
    v.add(v(OpKind.UNLINK, "symlink", "symlink", p -> "unlink " + p.link(), Paths::dir));
    v.add(v(OpKind.UNLINK, "fifo", "fifo", p -> "unlink " + p.fifo(), Paths::dir));
    v.add(v(OpKind.UNLINK, "dir", "dir-empty", p -> "unlink " + p.dirEmpty(), Paths::dir));
    v.add(v(OpKind.UNLINK, "full-dir", "dir-nonempty", p -> "unlink " + p.dirFull(),
        Paths::dir));
    v.add(v(OpKind.UNLINK, "missing", "new", p -> "unlink " + p.fresh("new"), Paths::dir));
    v.add(v(OpKind.RMDIR, "empty", "dir-empty", p -> "rmdir " + p.dirEmpty(), Paths::dir));
    v.add(v(OpKind.RMDIR, "not-empty", "dir-nonempty", p -> "rmdir " + p.dirFull(),
        Paths::dirFull));
    v.add(v(OpKind.RMDIR, "file", "file-empty", p -> "rmdir " + p.fileEmpty(), Paths::dir));
    // rename
    v.add(v(OpKind.RENAME, "same-dir", "file-empty", p -> "rename " + p.fileEmpty() + " "
        + p.fresh("renamed"), p -> p.fresh("renamed")));
    v.add(v(OpKind.RENAME, "same-length", "file-data", p -> "rename " + p.fileData() + " "
        + p.fresh("baz"), p -> p.fresh("baz")));
    v.add(v(OpKind.RENAME, "other-dir", "file-data", p -> "rename " + p.fileData() + " "
        + p.moved("moved"), p -> p.moved("moved")));
    v.add(v(OpKind.RENAME, "over-file", "file-data", p -> "rename " + p.fileData() + " "
        + p.fileEmpty(), Paths::fileEmpty));
    v.add(v(OpKind.RENAME, "over-dir", "file-data", p -> "rename " + p.fileData() + " "
        + p.dirEmpty(), Paths::fileData));
    v.add(v(OpKind.RENAME, "noreplace", "file-data", p -> "rename " + p.fileData() + " "
        + p.fresh("renamed") + " noreplace", p -> p.fresh("renamed")));
    v.add(v(OpKind.RENAME, "noreplace-exists", "file-data", p -> "rename " + p.fileData()
        + " " + p.fileEmpty() + " noreplace", Paths::fileData));
    v.add(v(OpKind.RENAME, "exchange-files", "file-data", p -> "rename " + p.fileData() + " "
        + p.fileEmpty() + " exchange", Paths::fileEmpty));
    v.add(v(OpKind.RENAME, "exchange-file-dir", "file-data", p -> "rename " + p.fileData()
        + " " + p.dirFull() + " exchange", Paths::dirFull));
    v.add(v(OpKind.RENAME, "hardlink", "file-hardlink", p -> "rename " + p.hard() + " "
        + p.moved("moved"), p -> p.moved("moved")));
    v.add(v(OpKind.RENAME, "to-other-name", "file-hardlink", p -> "rename " + p.hard() + " "
        + other(p).hard(), Paths::dir));
    v.add(v(OpKind.RENAME, "mapped", "file-mapped", p -> "mwrite " + p.fileData() + " 0 64\n"
        + "rename " + p.fileData() + " " + p.moved("moved"), p -> p.moved("moved")));
    v.add(v(OpKind.RENAME, "empty-dir", "dir-empty", p -> "rename " + p.dirEmpty() + " "
        + p.fresh("renamed"), p -> p.fresh("renamed")));
    v.add(v(OpKind.RENAME, "over-empty-dir", "dir-empty", p -> "rename " + p.dirEmpty() + " "
        + p.emptyElsewhere(), Paths::emptyElsewhere));
    v.add(v(OpKind.RENAME, "dir-other-dir", "dir-nonempty", p -> "rename " + p.dirFull() + " "
        + p.moved("moved"), p -> p.moved("moved")));
    v.add(v(OpKind.RENAME, "into-itself", "dir-nonempty", p -> "rename " + p.dirFull() + " "
        + p.dirFull() + "/sub", Paths::dirFull));
    v.add(v(OpKind.RENAME, "over-nonempty", "dir-empty", p -> "rename " + p.dirEmpty() + " "
        + p.dirFull(), Paths::dirFull));
    v.add(v(OpKind.RENAME, "exchange-dirs", "dir-nonempty", p -> "rename " + p.dirFull()
        + " B exchange", p -> "B"));
    v.add(v(OpKind.RENAME, "symlink", "symlink", p -> "rename " + p.link() + " "
        + p.moved("moved"), p -> p.moved("moved")));
    v.add(v(OpKind.RENAME, "fifo", "fifo", p -> "rename " + p.fifo() + " "
        + p.fresh("renamed"), Paths::dir));
    v.add(v(OpKind.RENAME, "missing", "new", p -> "rename " + p.fresh("new") + " "
        + p.fresh("renamed"), Paths::dir));
    // data
    v.add(v(OpKind.OPEN, "file", "file-data", p -> "open " + p.fileData(), Paths::fileData));
    v.add(v(OpKind.OPEN, "dir", "dir-nonempty", p -> "open " + p.dirFull(), Paths::dirFull));
    v.add(v(OpKind.OPEN, "missing", "new", p -> "open " + p.fresh("new"), Paths::dir));
    v.add(v(OpKind.CLOSE, "file", "file-data", p -> "open " + p.fileData() + "\nclose "
        + p.fileData(), Paths::fileData));
    v.add(v(OpKind.CLOSE, "fifo", "fifo", p -> "open " + p.fifo() + "\nclose " + p.fifo(),
        Paths::fifo));
    v.add(v(OpKind.CLOSE, "dir", "dir-nonempty", p -> "open " + p.dirFull() + "\nclose "
        + p.dirFull(), Paths::dirFull));
    v.add(v(OpKind.CLOSE, "not-open", "file-empty", p -> "close " + p.fileEmpty(),
        Paths::fileEmpty));
    v.add(v(OpKind.CLOSE, "mapped", "file-mapped", p -> "mwrite " + p.fileData() + " 8 64\n"
        + "close " + p.fileData(), Paths::fileData));
    v.add(v(OpKind.WRITE, "first", "file-empty", p -> "write " + p.fileEmpty() + " 0 100",
        Paths::fileEmpty));
    v.add(v(OpKind.WRITE, "in-page", "file-data", p -> "write " + p.fileData() + " 100 200",
        Paths::fileData));
    v.add(v(OpKind.WRITE, "span", "file-data", p -> "write " + p.fileData() + " 4000 5000",
        Paths::fileData));
    v.add(v(OpKind.WRITE, "append", "file-data", p -> "write " + p.fileData() + " 9000 3000",
        Paths::fileData));
    v.add(v(OpKind.WRITE, "past-eof", "file-data", p -> "write " + p.fileData()
        + " 20000 100", Paths::fileData));
    v.add(v(OpKind.WRITE, "hardlink", "file-hardlink", p -> "write " + p.hard()
        + " 1000 3000", Paths::hard));
    v.add(v(OpKind.WRITE, "in-place", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nwrite " + p.fileData() + " 32 4200", Paths::fileData));
    v.add(v(OpKind.WRITE, "in-place-synced", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nfsync " + p.fileData() + "\nwrite " + p.fileData() + " 32 100",
        Paths::fileData));
    v.add(v(OpKind.WRITE, "symlink", "symlink", p -> "write " + p.link() + " 0 50",
        Paths::link));
    v.add(v(OpKind.WRITE, "dir", "dir-empty", p -> "write " + p.dirEmpty() + " 0 10",
        Paths::dirEmpty));
    v.add(v(OpKind.WRITE, "fifo", "fifo", p -> "write " + p.fifo() + " 0 10", Paths::fifo));
    v.add(v(OpKind.WRITE, "missing", "new", p -> "write " + p.fresh("new") + " 0 10",
        Paths::dir));
    v.add(v(OpKind.MWRITE, "word", "file-data", p -> "mwrite " + p.fileData() + " 96 8",
        Paths::fileData));
    v.add(v(OpKind.MWRITE, "span", "file-data", p -> "mwrite " + p.fileData() + " 4000 200",
        Paths::fileData));
    v.add(v(OpKind.MWRITE, "unaligned", "file-data", p -> "mwrite " + p.fileData()
        + " 8995 5", Paths::fileData));
    v.add(v(OpKind.MWRITE, "twice", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nmwrite " + p.fileData() + " 32 64", Paths::fileData));
    v.add(v(OpKind.MWRITE, "beyond-eof", "file-empty", p -> "mwrite " + p.fileEmpty()
        + " 0 8", Paths::fileEmpty));
    v.add(v(OpKind.MWRITE, "hardlink", "file-hardlink", p -> "mwrite " + p.hard() + " 0 128",
        Paths::hard));
    v.add(v(OpKind.MWRITE, "fifo", "fifo", p -> "mwrite " + p.fifo() + " 0 8", Paths::fifo));
    v.add(v(OpKind.MSYNC, "data", "file-mapped", p -> "mwrite " + p.fileData()
        + " 100 64\nmsync " + p.fileData(), Paths::fileData));
    v.add(v(OpKind.MSYNC, "hardlink", "file-hardlink", p -> "mwrite " + p.hard()
        + " 4000 200\nmsync " + p.hard(), Paths::hard));
    v.add(v(OpKind.MSYNC, "unmapped", "file-data", p -> "msync " + p.fileData(),
        Paths::fileData));
    v.add(v(OpKind.MUNMAP, "data", "file-mapped", p -> "mwrite " + p.fileData()
        + " 100 64\nmunmap " + p.fileData(), Paths::fileData));
    v.add(v(OpKind.MUNMAP, "then-fsync", "file-mapped", p -> "mwrite " + p.fileData()
        + " 100 64\nmunmap " + p.fileData() + "\nfsync " + p.fileData(), Paths::fileData));
    v.add(v(OpKind.TRUNCATE, "shrink", "file-data", p -> "truncate " + p.fileData() + " 5000",
        Paths::fileData));
    v.add(v(OpKind.TRUNCATE, "to-zero", "file-data", p -> "truncate " + p.fileData() + " 0",
        Paths::fileData));
    v.add(v(OpKind.TRUNCATE, "grow", "file-data", p -> "truncate " + p.fileData() + " 20000",
        Paths::fileData));
    v.add(v(OpKind.TRUNCATE, "grow-empty", "file-empty", p -> "truncate " + p.fileEmpty() + " 100",
        Paths::fileEmpty));
    v.add(v(OpKind.TRUNCATE, "hardlink", "file-hardlink", p -> "truncate " + p.hard()
        + " 4096", Paths::hard));
    v.add(v(OpKind.TRUNCATE, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 4096 64\ntruncate " + p.fileData() + " 4100", Paths::fileData));
    // Growing zeroes the old last page's tail in place, where the mapping stored beyond EOF.
    v.add(v(OpKind.TRUNCATE, "grow-mapped-synced", "file-mapped", p -> "mwrite " + p.fileData()
        + " 8995 100\nfsync " + p.fileData() + "\ntruncate " + p.fileData() + " 20000",
        Paths::fileData));
    v.add(v(OpKind.TRUNCATE, "symlink", "symlink", p -> "truncate " + p.link() + " 10",
        Paths::link));
    v.add(v(OpKind.TRUNCATE, "dir", "dir-empty", p -> "truncate " + p.dirEmpty() + " 10",
        Paths::dirEmpty));
    v.add(v(OpKind.TRUNCATE, "fifo", "fifo", p -> "truncate " + p.fifo() + " 10",
        Paths::fifo));
    v.add(v(OpKind.FALLOC, "allocate", "file-data", p -> "falloc " + p.fileData()
        + " 0 8192 8192", Paths::fileData));
    v.add(v(OpKind.FALLOC, "keep-size", "file-data", p -> "falloc " + p.fileData()
        + " keep_size 9000 8000", Paths::fileData));
    v.add(v(OpKind.FALLOC, "punch", "file-data", p -> "falloc " + p.fileData()
        + " punch_hole|keep_size 1000 5000", Paths::fileData));
    v.add(v(OpKind.FALLOC, "punch-page", "file-data", p -> "falloc " + p.fileData()
        + " FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE 4096 4096", Paths::fileData));
    v.add(v(OpKind.FALLOC, "punch-no-keep", "file-data", p -> "falloc " + p.fileData()
        + " punch_hole 0 4096", Paths::fileData));
    v.add(v(OpKind.FALLOC, "zero", "file-data", p -> "falloc " + p.fileData()
        + " zero_range 1000 5000", Paths::fileData));
    v.add(v(OpKind.FALLOC, "zero-grow", "file-data", p -> "falloc " + p.fileData()
        + " FALLOC_FL_ZERO_RANGE 8000 6000", Paths::fileData));
    v.add(v(OpKind.FALLOC, "zero-keep", "file-data", p -> "falloc " + p.fileData()
        + " zero_range|keep_size 8000 6000", Paths::fileData));
    v.add(v(OpKind.FALLOC, "collapse", "file-data", p -> "falloc " + p.fileData()
        + " collapse_range 0 4096", Paths::fileData));
    v.add(v(OpKind.FALLOC, "collapse-unaligned", "file-data", p -> "falloc " + p.fileData()
        + " collapse_range 100 4096", Paths::fileData));
    v.add(v(OpKind.FALLOC, "insert", "file-data", p -> "falloc " + p.fileData()
        + " FALLOC_FL_INSERT_RANGE 4096 4096", Paths::fileData));
    v.add(v(OpKind.FALLOC, "allocate-empty", "file-empty", p -> "falloc " + p.fileEmpty()
        + " 0 0 4096", Paths::fileEmpty));
    v.add(v(OpKind.FALLOC, "punch-hardlink", "file-hardlink", p -> "falloc " + p.hard()
        + " punch_hole|keep_size 0 4096", Paths::hard));
    v.add(v(OpKind.FALLOC, "punch-mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 4096 64\nfalloc " + p.fileData() + " punch_hole|keep_size 4096 4096",
        Paths::fileData));
    v.add(v(OpKind.FALLOC, "collapse-mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 8192 64\nfalloc " + p.fileData() + " collapse_range 0 4096", Paths::fileData));
    v.add(v(OpKind.FALLOC, "dir", "dir-empty", p -> "falloc " + p.dirEmpty() + " 0 0 4096",
        Paths::dirEmpty));
    v.add(v(OpKind.FALLOC, "fifo", "fifo", p -> "falloc " + p.fifo() + " 0 0 4096",
        Paths::fifo));
    // attributes
    v.add(v(OpKind.CHMOD, "file", "file-data", p -> "chmod " + p.fileData() + " 0600",
        Paths::fileData));
    v.add(v(OpKind.CHMOD, "hardlink", "file-hardlink", p -> "chmod " + p.hard() + " 0444",
        Paths::hard));
    v.add(v(OpKind.CHMOD, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nchmod " + p.fileData() + " 0600", Paths::fileData));
    v.add(v(OpKind.CHMOD, "setuid", "file-empty", p -> "chmod " + p.fileEmpty() + " 06755",
        Paths::fileEmpty));
    v.add(v(OpKind.CHMOD, "dir", "dir-nonempty", p -> "chmod " + p.dirFull() + " 0700",
        Paths::dirFull));
    v.add(v(OpKind.CHMOD, "sticky", "dir-empty", p -> "chmod " + p.dirEmpty() + " 01777",
        Paths::dirEmpty));
    v.add(v(OpKind.CHMOD, "symlink", "symlink", p -> "chmod " + p.link() + " 0640",
        Paths::link));
    v.add(v(OpKind.CHMOD, "fifo", "fifo", p -> "chmod " + p.fifo() + " 0600", Paths::fifo));
    v.add(v(OpKind.CHOWN, "file", "file-data", p -> "chown " + p.fileData() + " 1000 1000",
        Paths::fileData));
    v.add(v(OpKind.CHOWN, "setuid", "file-empty", p -> "chmod " + p.fileEmpty()
        + " 06755\nchown " + p.fileEmpty() + " 7 8", Paths::fileEmpty));
    v.add(v(OpKind.CHOWN, "hardlink", "file-hardlink", p -> "chown " + p.hard() + " 3 4",
        Paths::hard));
    v.add(v(OpKind.CHOWN, "dir", "dir-nonempty", p -> "chown " + p.dirFull() + " 5 6",
        Paths::dirFull));
    v.add(v(OpKind.CHOWN, "empty-dir", "dir-empty", p -> "chown " + p.dirEmpty() + " 4 4",
        Paths::dirEmpty));
    v.add(v(OpKind.CHOWN, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nchown " + p.fileData() + " 2 3", Paths::fileData));
    v.add(v(OpKind.CHOWN, "symlink", "symlink", p -> "chown " + p.link() + " 9 9",
        Paths::link));
    v.add(v(OpKind.CHOWN, "fifo", "fifo", p -> "chown " + p.fifo() + " 1 2", Paths::fifo));
    v.add(v(OpKind.UTIMENS, "file", "file-data", p -> "utimens " + p.fileData()
        + " 1000000000 2000000000", Paths::fileData));
    v.add(v(OpKind.UTIMENS, "now-omit", "dir-nonempty", p -> "utimens " + p.dirFull()
        + " now omit", Paths::dirFull));
    v.add(v(OpKind.UTIMENS, "dir", "dir-empty", p -> "utimens " + p.dirEmpty()
        + " 5 1700000000000000000", Paths::dirEmpty));
    v.add(v(OpKind.UTIMENS, "symlink", "symlink", p -> "utimens " + p.link() + " omit 77",
        Paths::link));
    v.add(v(OpKind.UTIMENS, "fifo", "fifo", p -> "utimens " + p.fifo() + " 1 2",
        Paths::fifo));
    v.add(v(OpKind.SETXATTR, "new", "file-data", p -> "setxattr " + p.fileData()
        + " user.b v2", Paths::fileData));
    v.add(v(OpKind.SETXATTR, "replace", "file-data", p -> "setxattr " + p.fileData()
        + " user.a replaced", Paths::fileData));
    v.add(v(OpKind.SETXATTR, "large", "file-empty", p -> "setxattr " + p.fileEmpty()
        + " user.big bytes=3000", Paths::fileEmpty));
    v.add(v(OpKind.SETXATTR, "trusted", "file-hardlink", p -> "setxattr " + p.hard()
        + " trusted.t z", Paths::hard));
    v.add(v(OpKind.SETXATTR, "dir", "dir-nonempty", p -> "setxattr " + p.dirFull()
        + " user.d x", Paths::dirFull));
    v.add(v(OpKind.SETXATTR, "empty-dir", "dir-empty", p -> "setxattr " + p.dirEmpty()
        + " user.e v", Paths::dirEmpty));
    v.add(v(OpKind.SETXATTR, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 0 64\nsetxattr " + p.fileData() + " user.m v", Paths::fileData));
    v.add(v(OpKind.SETXATTR, "symlink", "symlink", p -> "setxattr " + p.link()
        + " user.s y", Paths::link));
    v.add(v(OpKind.SETXATTR, "fifo", "fifo", p -> "setxattr " + p.fifo() + " user.f y",
        Paths::fifo));
    v.add(v(OpKind.REMOVEXATTR, "file", "file-data", p -> "removexattr " + p.fileData()
        + " user.a", Paths::fileData));
    v.add(v(OpKind.REMOVEXATTR, "missing", "file-empty", p -> "removexattr "
        + p.fileEmpty() + " user.zz", Paths::fileEmpty));
    v.add(v(OpKind.REMOVEXATTR, "dir", "dir-nonempty", p -> "removexattr " + p.dirFull()
        + " user.a", Paths::dirFull));
    // persistence points and maintenance
    v.add(v(OpKind.FSYNC, "file", "file-data", p -> "fsync " + p.fileData(), Paths::dir));
    v.add(v(OpKind.FSYNC, "empty", "file-empty", p -> "fsync " + p.fileEmpty(), Paths::dir));
    v.add(v(OpKind.FSYNC, "hardlink", "file-hardlink", p -> "fsync " + p.hard(), Paths::dir));
    v.add(v(OpKind.FSYNC, "empty-dir", "dir-empty", p -> "fsync " + p.dirEmpty(), Paths::dir));
    v.add(v(OpKind.FSYNC, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 200 300\nfsync " + p.fileData(), Paths::dir));
    v.add(v(OpKind.FSYNC, "dir", "dir-nonempty", p -> "fsync " + p.dirFull(), Paths::dir));
    v.add(v(OpKind.FSYNC, "symlink", "symlink", p -> "fsync " + p.link(), Paths::dir));
    v.add(v(OpKind.FSYNC, "fifo", "fifo", p -> "fsync " + p.fifo(), Paths::dir));
    v.add(v(OpKind.FDATASYNC, "file", "file-data", p -> "fdatasync " + p.fileData(),
        Paths::dir));
    v.add(v(OpKind.FDATASYNC, "mapped", "file-mapped", p -> "mwrite " + p.hard()
        + " 10 20\nfdatasync " + p.hard(), Paths::dir));
    v.add(v(OpKind.FDATASYNC, "dir", "dir-empty", p -> "fdatasync " + p.dirEmpty(),
        Paths::dir));
    v.add(v(OpKind.FDATASYNC, "full-dir", "dir-nonempty", p -> "fdatasync " + p.dirFull(),
        Paths::dir));
    v.add(v(OpKind.SYNC, "alone", "none", p -> "sync", Paths::dir));
    v.add(v(OpKind.SYNC, "after-write", "file-data", p -> "write " + p.fileData()
        + " 0 100\nsync", Paths::fileData));
    v.add(v(OpKind.SYNC, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 64 64\nsync", Paths::fileData));
    v.add(v(OpKind.CLEAN, "file", "file-data", p -> churn(p.fileData()) + "clean "
        + p.fileData(), Paths::fileData));
    v.add(v(OpKind.CLEAN, "hardlink", "file-hardlink", p -> churn(p.hard()) + "clean "
        + p.hard(), Paths::hard));
    v.add(v(OpKind.CLEAN, "dir", "dir-nonempty", p -> "creat " + p.dirFull() + "/t\nunlink "
        + p.dirFull() + "/t\nmkdir " + p.dirFull() + "/u\nrmdir " + p.dirFull() + "/u\nclean "
        + p.dirFull(), Paths::dirFull));
    v.add(v(OpKind.CLEAN, "all", "none", p -> churn(p.fileData()) + "clean all", Paths::dir));
    v.add(v(OpKind.REMOUNT, "alone", "none", p -> "remount", Paths::dir));
    v.add(v(OpKind.REMOUNT, "mapped", "file-mapped", p -> "mwrite " + p.fileData()
        + " 300 100\nremount", Paths::fileData));
    v.add(v(OpKind.REMOUNT, "unlinked-open", "file-data", p -> "open " + p.fileData()
        + "\nunlink " + p.fileData() + "\nremount", Paths::dir));
    return v;
  }

  /** The paths of the other depth. */
  private static Paths other(Paths p) {
    return p == DEPTH1 ? DEPTH2 : DEPTH1;
  }

  /** Operations that leave dead entries in a log, for cleaning to remove. */
  private static String churn(String path) {
    return "setxattr " + path + " user.c 1\nsetxattr " + path + " user.c 2\nwrite " + path
        + " 0 100\nwrite " + path + " 50 100\nchmod " + path + " 0640\n";
  }

  /**
   * Which kinds of target each operation applies to, written down independently of the
   * variants, so that the coverage matrix shows the cells no variant fills.
   */
  static Map<String, Set<String>> applicable() {
    Map<String, Set<String>> m = new LinkedHashMap<>();
    Set<String> files = Set.of("file-empty", "file-data", "file-hardlink", "file-mapped");
    Set<String> existing = new LinkedHashSet<>(files);
    existing.addAll(List.of("dir-empty", "dir-nonempty", "symlink", "fifo"));
    for (OpKind k : OpKind.values()) {
      Set<String> s = new LinkedHashSet<>();
      switch (k) {
        case MKDIR, SYMLINK, MKNOD, CREAT -> s.add("new");
        case WRITE, TRUNCATE, FALLOC, MWRITE -> s.addAll(files);
        case MSYNC, MUNMAP -> s.add("file-mapped");
        case RENAME, LINK, UNLINK, CHOWN, CHMOD, SETXATTR, FSYNC -> s.addAll(existing);
        case RMDIR -> s.addAll(List.of("dir-empty", "dir-nonempty"));
        case UTIMENS, OPEN, CLOSE, FDATASYNC, REMOVEXATTR, CLEAN ->
            s.addAll(List.of("file-data", "dir-nonempty"));
        case SYNC, REMOUNT -> s.add("none");
      }
      if (k == OpKind.MKDIR || k == OpKind.UNLINK) {
        s.add("new");
      }
      m.put(k.keyword(), s);
    }
    return m;
  }

  /** The setup as operations. */
  public static List<Op> setup() {
    return WorkloadParser.parse("seq1 setup", SETUP);
  }

  /** Every seq1 workload: the setup checked on its own, then each variant four times. */
  public static List<Workload> workloads() {
    List<Op> setup = setup();
    List<Workload> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    out.add(new Workload(SETUP_NAME, List.of(), setup, null));
    for (Variant v : variants()) {
      for (int d = 1; d <= 2; d++) {
        Paths p = d == 1 ? DEPTH1 : DEPTH2;
        String name = v.op().keyword() + "." + v.variant() + ".d" + d;
        String text = v.lines().apply(p);
        for (boolean fsync : new boolean[] {false, true}) {
          String target = v.fsync().apply(p);
          String body = fsync ? text + "\nfsync " + (target.isEmpty() ? "/" : target) : text;
          String n = fsync ? name + ".fsync" : name;
          if (!names.add(n)) {
            throw new IllegalStateException("two seq1 workloads are named " + n);
          }
          out.add(new Workload(n, setup, WorkloadParser.parse("seq1 " + n, body),
              new Coverage.Cell(v.op().keyword(), v.target(), d, fsync)));
        }
      }
    }
    return out;
  }

  /** The coverage matrix of {@code workloads} (seq1's, or any subset). */
  public static Map<String, Object> coverage(List<Workload> workloads) {
    return Coverage.matrix(workloads, TARGETS, applicable());
  }
}
