package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.OverlayRegion;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Corruption fuzzing: images built by random workloads ({@link FuzzImage}) are damaged in two
 * modes ({@link Corruptions}): raw bit and byte flips in metadata, and structure-aware changes
 * of one field with checksums recomputed. Every case must either be refused by the mount with
 * a {@link CorruptionException} naming the structure and its offset, or mount a state in which
 * the damage stays confined: every inode the damage does not involve reads back exactly as
 * before, only involved inodes answer errors (EIO for a damaged log), the filesystem stays
 * usable (a new file is written and read back, logs are cleaned), it unmounts, and fsck then
 * finds nothing or only problems naming the damage. Nothing may throw anything else, hang or
 * run out of memory. fsck of the damaged image must agree with the mount (it reports what the
 * mount refuses, and every damage a validator exists for), and a repair must fix every problem
 * it calls fixable.
 *
 * <p>Each refusal, EIO and fsck finding is classified by the validator that fired; every class
 * must fire at least once over the run, and the tally is printed. Budget: {@code
 * daxfs.corruption.tries} images (default 24), each damaged by every structure-aware mutation
 * {@code daxfs.corruption.rounds} times (default 1) and by {@code daxfs.corruption.flips} raw
 * flips (default 60); a case gets {@code daxfs.corruption.timeout} seconds (default 120).
 * {@code daxfs.corruption.keepGoing=true} runs every try and reports all failures at the end.
 */
class CorruptionFuzzProperties {

  static final String TRIES = "daxfs.corruption.tries";
  static final int DEFAULT_TRIES = 24;

  private static int intProperty(String name, int dflt) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
  }

  private static final int ROUNDS = intProperty("daxfs.corruption.rounds", 1);
  private static final int FLIPS = intProperty("daxfs.corruption.flips", 60);
  private static final int TIMEOUT = intProperty("daxfs.corruption.timeout", 120);
  private static final boolean KEEP_GOING = Boolean.getBoolean("daxfs.corruption.keepGoing");

  /** Validator classes that must each fire at least once in a run. */
  static final List<String> REQUIRED = List.of("bad magic", "bad checksum", "fails its check",
      "out of range", "loops", "sequence", "impossible length", "unknown type",
      "unknown version", "wrong owner", "tail", "impossible value", "bad name", "type mismatch",
      "geometry", "journal", "backup superblock", "checkpoint rejected", "fsck:dangling",
      "fsck:tree", "fsck:links", "fsck:orphan", "fsck:blocks", "fsck:size", "fsck:allocator");

  /** Where fsck names a directory entry. */
  private static final Pattern ENTRY = Pattern.compile("entry \"(.*)\" of directory (\\d+)");

  /** What the run saw, across tries. */
  static final FuzzTally TALLY = new FuzzTally();

  @Property(tries = DEFAULT_TRIES, shrinking = ShrinkingMode.OFF,
      afterFailure = AfterFailureMode.SAMPLE_FIRST)
  @AddLifecycleHook(Budget.class)
  void damagedImagesAreRefusedOrConfined(@ForAll long seed, @ForAll boolean crash,
      @ForAll("sizes") int mib, @ForAll boolean checksums) {
    FuzzImage img = TALLY.timed("build image", () -> FuzzImage.build(seed, mib, crash,
        checksums));
    SplittableRandom rnd = new SplittableRandom(seed * 31 + mib);
    List<String> failures = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      for (Corruptions.Named n : Corruptions.STRUCTURED) {
        runCase(img, n.name(), n.mutation(), rnd.nextLong(), failures);
      }
    }
    for (int i = 0; i < FLIPS; i++) {
      runCase(img, "raw flip", Corruptions::rawFlip, rnd.nextLong(), failures);
    }
    TALLY.images.incrementAndGet();
    if (!failures.isEmpty() && !KEEP_GOING) {
      throw new AssertionError(failures.size() + " case(s) of " + img + " failed:\n"
          + String.join("\n", failures.subList(0, Math.min(8, failures.size()))));
    }
  }

  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.of(16, 24, 32);
  }

  // ---- one case ----------------------------------------------------------------------------

  /**
   * Runs one case outside the property (for tests of the oracle itself): the failures it
   * finds, or null when the mutation did not apply.
   */
  static List<String> check(FuzzImage img, Corruptions.Mutation m, long seed) {
    Case c = new Case(img, "check", m, seed);
    c.run();
    return c.damage == null ? null : new ArrayList<>(c.bugs);
  }

  /** Runs one case under a timeout, tallying its outcome and collecting its failures. */
  private static void runCase(FuzzImage img, String name, Corruptions.Mutation m, long seed,
      List<String> failures) {
    Case c = new Case(img, name, m, seed);
    Future<?> f = Worker.get().submit(c::run);
    try {
      f.get(TIMEOUT, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      c.bug("hung for " + TIMEOUT + " s:\n" + Worker.stackOfWorker());
      Worker.abandon();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      c.bug("the case itself failed: " + stack(e.getCause()));
    }
    if (c.damage == null) {
      TALLY.skipped.incrementAndGet();
      return;
    }
    TALLY.record(name, c.outcome, c.fired);
    if (!c.bugs.isEmpty()) {
      String head = name + " on " + img + " case seed " + seed + ": " + c.damage.what();
      for (String b : c.bugs) {
        failures.add(head + "\n    " + b);
        TALLY.failure(name, b, head);
      }
    }
  }

  /** The single worker thread cases run on, replaced when a case hangs. */
  private static final class Worker {
    private static ExecutorService pool;
    private static Thread thread;

    static synchronized ExecutorService get() {
      if (pool == null) {
        pool = Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "corruption-case");
          t.setDaemon(true);
          thread = t;
          return t;
        });
      }
      return pool;
    }

    static synchronized String stackOfWorker() {
      StringBuilder s = new StringBuilder();
      if (thread != null) {
        for (StackTraceElement e : thread.getStackTrace()) {
          s.append("        at ").append(e).append('\n');
          if (s.length() > 4000) {
            break;
          }
        }
      }
      return s.toString();
    }

    static synchronized void abandon() {
      pool.shutdownNow();
      pool = null;
    }
  }

  /** One damaged image: the damage, the checks, what fired. */
  private static final class Case {
    final FuzzImage img;
    final String name;
    final Corruptions.Mutation mutation;
    final long seed;
    final OverlayRegion region;
    Corruptions.Damage damage;
    /** Validator classes that fired. */
    final Set<String> fired = new TreeSet<>();
    /** What went wrong. */
    final List<String> bugs = java.util.Collections.synchronizedList(new ArrayList<>());
    /** "refused", "clean" or "reported". */
    String outcome = "none";
    /** EIO answers seen while walking. */
    int eio;

    Case(FuzzImage img, String name, Corruptions.Mutation mutation, long seed) {
      this.img = img;
      this.name = name;
      this.mutation = mutation;
      this.seed = seed;
      this.region = new OverlayRegion(img.base);
    }

    void bug(String what) {
      bugs.add(what);
    }

    boolean involved(long ino) {
      return damage.involved().contains(ino);
    }

    void run() {
      try {
        damage = mutation.apply(img, region, new SplittableRandom(seed));
      } catch (Corruptions.NotApplicable e) {
        damage = null;
      }
      if (damage == null) {
        return;
      }
      Fsck.Report before = TALLY.timed("fsck before", () -> fsck("fsck of the damaged image"));
      DaxFs fs;
      try {
        fs = TALLY.timed("mount", () -> DaxFs.mount(region, FuzzImage.options()));
      } catch (CorruptionException e) {
        refused(e, before);
        return;
      } catch (Throwable t) {
        bug("mount threw something other than CorruptionException: " + stack(t));
        return;
      }
      mounted(fs, before);
    }

    private Fsck.Report fsck(String what) {
      try {
        return Fsck.check(region, Fsck.Progress.NONE);
      } catch (Throwable t) {
        bug(what + " threw " + stack(t));
        return null;
      }
    }

    private void refused(CorruptionException e, Fsck.Report before) {
      outcome = "refused";
      String msg = e.getMessage();
      fired.add(FuzzTally.classify(msg));
      if (!msg.contains(" at region offset ") || e.structure() == null
          || e.structure().isBlank()) {
        bug("refusal does not name the structure and its offset: " + msg);
      }
      if (e.errno() != Errno.EIO) {
        bug("refusal carries " + e.errno() + " rather than EIO: " + msg);
      }
      if (before != null && before.exitCode() != 4) {
        bug("the mount refuses (" + msg + ") but fsck exits " + before.exitCode());
      }
    }

    private void mounted(DaxFs fs, Fsck.Report before) {
      MountReport rep = fs.mountReport();
      if (rep.usedBackupSuperblock()) {
        fired.add("backup superblock");
      }
      if (rep.journalRollbacks() > 0) {
        fired.add("journal rollback");
      }
      if (img.clean && !rep.clean() && rep.journalRollbacks() == 0) {
        fired.add("checkpoint rejected");
        fired.add(FuzzTally.classify(rep.reason()));
      }
      Set<Long> seen = new HashSet<>();
      try {
        TALLY.timed("walk", () -> {
          walk(fs, seen);
          return null;
        });
        TALLY.timed("probe", () -> {
          probe(fs, seen);
          return null;
        });
      } catch (Throwable t) {
        bug("using the mounted filesystem threw " + stack(t));
      } finally {
        try {
          fs.unmount();
        } catch (Throwable t) {
          bug("unmount threw " + stack(t));
        }
      }
      Fsck.Report after = TALLY.timed("fsck after", () -> fsck("fsck after the mount"));
      if (before != null) {
        judge(before, "fsck of the damaged image");
        if (damage.mustDetect() && before.exitCode() == 0) {
          bug("fsck finds nothing wrong with the damaged image");
        }
        if (before.exitCode() == 0 && eio > 0) {
          bug("fsck passes the damaged image but " + eio + " operations answered EIO");
        }
        for (Fsck.Problem p : before.problems) {
          if (p.kind().equals("fatal")) {
            bug("fsck calls fatal what the mount accepted: " + p);
          }
        }
      }
      if (after == null) {
        return;
      }
      judge(after, "fsck after the mount");
      outcome = after.exitCode() == 0 ? "clean" : "reported";
      if (after.problems.stream().anyMatch(Fsck.Problem::fixable)) {
        TALLY.timed("repair", () -> {
          repair();
          return null;
        });
      }
    }

    /** Every problem fsck reports must name the damage; tallies what fired. */
    private void judge(Fsck.Report r, String what) {
      for (Fsck.Problem p : r.problems) {
        fired.add(switch (p.kind()) {
          case "inode", "fatal", "superblock" -> FuzzTally.classify(p.message());
          default -> "fsck:" + p.kind();
        });
        if (!attributed(p)) {
          bug(what + " reports a problem the damage does not explain: " + p);
        }
      }
    }

    private boolean attributed(Fsck.Problem p) {
      if (damage.allowedKinds().contains(p.kind())) {
        return true;
      }
      // An entry is explained by the inode it named before the damage, too.
      Matcher e = ENTRY.matcher(p.where());
      if (e.matches()) {
        Map<String, Long> names = img.listing.get(Long.parseLong(e.group(2)));
        Long was = names == null ? null : names.get(e.group(1));
        if (was != null && involved(was)) {
          return true;
        }
      }
      Matcher m = Pattern.compile("\\d+").matcher(p.where() + " " + p.message());
      while (m.find()) {
        String n = m.group();
        if (n.length() < 18 && involved(Long.parseLong(n))) {
          return true;
        }
      }
      return false;
    }

    /** A repair on a copy must fix everything it calls fixable and never throw. */
    private void repair() {
      OverlayRegion copy = new OverlayRegion(region);
      try {
        Fsck.Report r = Fsck.repair(copy, Fsck.Progress.NONE);
        for (Fsck.Problem p : r.problems) {
          if (p.fixable()) {
            bug("repair left a problem it calls fixable: " + p);
          }
        }
      } catch (Throwable t) {
        bug("fsck repair threw " + stack(t));
      }
    }

    /**
     * Walks everything reachable (cycles cut): directories not involved list what they did,
     * inodes not involved read back as before, errors only from involved inodes, and every
     * inode not involved is reached.
     */
    private void walk(DaxFs fs, Set<Long> seen) {
      ArrayDeque<Long> unvisited = new ArrayDeque<>();
      long root = fs.rootIno();
      seen.add(root);
      try {
        String d = FuzzImage.describe(fs, root);
        if (!involved(root) && !d.equals(img.expect.get(root))) {
          bug("the root changed: " + d + " was " + img.expect.get(root));
        }
        unvisited.add(root);
      } catch (ErrnoException e) {
        answered(e, root, root);
      }
      int budget = 100_000;
      while (!unvisited.isEmpty() && budget-- > 0) {
        long dir = unvisited.poll();
        Map<String, DirEntry> names;
        try {
          names = FsTesting.list(fs, dir);
        } catch (ErrnoException e) {
          answered(e, dir, dir);
          continue;
        }
        if (!involved(dir)) {
          Map<String, Long> now = new java.util.TreeMap<>();
          names.forEach((k, v) -> now.put(k, v.ino()));
          if (!now.equals(img.listing.get(dir))) {
            bug("directory " + dir + " lists " + now + " but listed " + img.listing.get(dir));
          }
        }
        for (DirEntry e : names.values()) {
          long ino = e.ino();
          if (!seen.add(ino)) {
            continue;
          }
          String d;
          boolean isDir;
          try {
            d = FuzzImage.describe(fs, ino);
            isDir = fs.getattr(ino).isDir();
          } catch (ErrnoException x) {
            answered(x, ino, dir);
            continue;
          }
          if (!involved(ino) && !d.equals(img.expect.get(ino))) {
            bug("inode " + ino + " (\"" + e.name() + "\" in " + dir + ") changed: " + d
                + " was " + img.expect.get(ino));
          }
          if (involved(ino)) {
            poked.add(new long[] {ino, isDir ? 1 : 0});
          }
          if (isDir) {
            unvisited.add(ino);
          }
        }
      }
      for (long ino : img.expect.keySet()) {
        if (!involved(ino) && !seen.contains(ino)) {
          bug("inode " + ino + " is no longer reachable");
        }
      }
      for (long[] p : poked) {
        poke(fs, p[0], p[1] == 1);
      }
    }

    /** Involved inodes that loaded, to be used once the walk is done. */
    private final List<long[]> poked = new ArrayList<>();

    /**
     * Uses an involved inode that the mount accepted: whatever its damage, operations on it
     * answer an errno or work; they never throw anything else.
     */
    private void poke(DaxFs fs, long ino, boolean isDir) {
      try {
        if (isDir) {
          Attr a = fs.create(ROOT, ino, Name.of("fuzz-poke"), 0644);
          FileHandle h = fs.open(ROOT, a.ino(), FileHandle.O_RDWR);
          try {
            FsTesting.write(fs, h, 0, FsTesting.pattern(100, 3));
          } finally {
            fs.release(h);
          }
          FsTesting.list(fs, ino);
          fs.unlink(ROOT, ino, Name.of("fuzz-poke"));
          fs.mkdir(ROOT, ino, Name.of("fuzz-poke-dir"), 0755);
          fs.rmdir(ROOT, ino, Name.of("fuzz-poke-dir"));
        } else if (fs.getattr(ino).isRegular()) {
          FileHandle h = fs.open(ROOT, ino, FileHandle.O_RDWR);
          try {
            FsTesting.write(fs, h, 4096, FsTesting.pattern(100, 4));
            fs.fallocate(ROOT, h, FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, 0,
                4096);
          } finally {
            fs.release(h);
          }
          fs.setattr(ROOT, ino, SetAttr.create().size(3000));
        }
        fs.setxattr(ROOT, ino, "user.fuzz-poke", FsTesting.pattern(10, 5), 0);
        fs.removexattr(ROOT, ino, "user.fuzz-poke");
        fs.cleanLog(ino, true);
      } catch (ErrnoException e) {
        // An errno is a fine answer from a damaged inode.
      } catch (Throwable t) {
        bug("using involved inode " + ino + " threw " + stack(t));
      }
    }

    /** An errno while walking: fine from an involved inode, a bug otherwise. */
    private void answered(ErrnoException e, long ino, long dir) {
      if (e.errno() == Errno.EIO) {
        eio++;
        String msg = e.getMessage();
        int at = msg.indexOf("is damaged: ");
        fired.add(FuzzTally.classify(at >= 0 ? msg.substring(at) : msg));
      }
      if (!involved(ino) && !involved(dir)) {
        bug("inode " + ino + " (in directory " + dir + ") answers " + e.errno() + " though "
            + "the damage does not involve it: " + e.getMessage());
      }
    }

    /**
     * The mounted filesystem still works: a new file and directory in the root, written and
     * read back, logs cleaned, and every file not involved still reads as before.
     */
    private void probe(DaxFs fs, Set<Long> seen) {
      if (involved(fs.rootIno())) {
        return;
      }
      SplittableRandom rnd = new SplittableRandom(seed);
      byte[] data = FsTesting.pattern(3 * 4096 + 1000, (int) seed);
      FileHandle h = fs.open(ROOT, "/fuzz-probe", FileHandle.O_CREAT | FileHandle.O_EXCL
          | FileHandle.O_RDWR, 0644);
      try {
        FsTesting.write(fs, h, 0, data);
        byte[] back = FsTesting.read(fs, h, 0, data.length + 10);
        if (!Arrays.equals(data, back)) {
          bug("a file written after the mount reads back differently");
        }
      } finally {
        fs.release(h);
      }
      fs.mkdir(ROOT, "/fuzz-probe-dir", 0755);
      if (rnd.nextInt(3) == 0) {
        fs.cleanAllLogs(rnd.nextBoolean());
      }
      // A few files not involved read back as before (fsck afterwards sees any block the
      // probe or the cleaning took from another file).
      List<Long> files = new ArrayList<>();
      for (long ino : seen) {
        if (!involved(ino) && img.dataBlocks.containsKey(ino)) {
          files.add(ino);
        }
      }
      files.sort(null);
      for (int i = 0; i < 4 && !files.isEmpty(); i++) {
        long ino = files.remove(rnd.nextInt(files.size()));
        String d = FuzzImage.describe(fs, ino);
        if (!d.equals(img.expect.get(ino))) {
          bug("inode " + ino + " changed after a write and cleaning: " + d + " was "
              + img.expect.get(ino));
        }
      }
    }
  }

  static String stack(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    String s = w.toString();
    return s.length() > 3000 ? s.substring(0, 3000) + "..." : s;
  }

  /** Sets the tries from the budget property; afterwards prints the tally and checks it. */
  public static final class Budget implements AroundPropertyHook {
    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context,
        PropertyExecutor property) {
      context.attributes().setTries(intProperty(TRIES, DEFAULT_TRIES));
      long t0 = System.nanoTime();
      PropertyExecutionResult result = property.execute();
      String tally = TALLY.render((System.nanoTime() - t0) / 1_000_000);
      System.out.println(tally);
      if (!TALLY.all.isEmpty()) {
        TALLY.writeAll(java.nio.file.Path.of("target", "corruption-fuzz-failures.txt"));
      }
      if (result.status() != PropertyExecutionResult.Status.SUCCESSFUL) {
        return result;
      }
      List<String> missing = new ArrayList<>();
      for (String c : REQUIRED) {
        if (TALLY.classCount(c) == 0) {
          missing.add(c);
        }
      }
      if (!TALLY.failures.isEmpty()) {
        return result.mapToFailed(TALLY.failures.size() + " kinds of failure:\n"
            + TALLY.renderFailures() + "\nvalidators that never fired: " + missing + "\n"
            + tally);
      }
      if (!missing.isEmpty()) {
        return result.mapToFailed("validators that never fired: " + missing + "\n" + tally);
      }
      return result;
    }

    @Override
    public int aroundPropertyProximity() {
      return -100;
    }
  }
}
