package dev.daxfs.tools.crash;

import dev.daxfs.dax.Errno;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The crash-consistency checker: runs a workload on daxfs over a crash-recording region,
 * freezes a crash point at every fence and at the end, and checks the crash images of every
 * point against the model (see {@link ImageChecker} for what one image must pass, and {@link
 * ImageExplorer} for how a point's images are covered).
 *
 * <p>What an image must show: the model's state after the operation running at its fence, or
 * the one before it (atomicity); the state after the last completed operation at the end
 * (durability). While the workload runs, every operation's result and the live tree are
 * compared with the model too, so that a model mistake shows as such and never as a crash
 * violation.
 *
 * <p>Workloads run on the checker's own threads, whose ids agree modulo 64: daxfs picks
 * journal lanes and allocation groups by thread id, so a run, its crash points and their
 * images are the same every time, and {@code --replay} finds the image it was given.
 *
 * <p>Thread-safe: {@link #checkAll} checks workloads in parallel, each on one thread.
 */
public final class CrashChecker implements AutoCloseable {

  /** Size of every region checked: the smallest daxfs formats, so images stay cheap. */
  public static final long REGION_SIZE = 16L << 20;

  /** Violations described per workload (all are counted). */
  private static final int DESCRIBED = 20;

  /** Enumerate up to this many in-flight units per point (the most a point supports). */
  private static final int ENUMERATED = 30;

  /** Thread ids agree modulo this; a multiple of daxfs's journal lanes and allocation groups. */
  private static final int THREAD_ID_MODULUS = 64;

  /** Measures the CPU time each check takes (the machine may be shared). */
  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private final CheckOptions options;

  /** The filesystem a setup leaves, by setup; made once. */
  private final Map<List<Op>, Base> bases = new ConcurrentHashMap<>();

  /** The checker's threads. */
  private final ExecutorService pool;

  /** An image of a setup's result, and whether its first mount's fences were checked yet. */
  private record Base(CrashPoint frozen, AtomicBoolean mountChecked) {}

  /** A crash point of a run, with the fence it came at and the operation then running. */
  private record Recorded(long fence, int op, CrashPoint point) {}

  public CrashChecker(CheckOptions options) {
    Injection i = options.injection();
    if (i != null && i.needsDataChecksums() && !options.dataChecksums()) {
      throw new IllegalArgumentException("the injection " + i.cliName() + " needs data "
          + "checksums: without them the bug does no harm");
    }
    this.options = options;
    this.pool = Executors.newFixedThreadPool(options.threads(), CrashChecker::thread);
  }

  /** A daemon thread whose id is 0 modulo {@link #THREAD_ID_MODULUS}. */
  private static Thread thread(Runnable r) {
    while (true) {
      Thread t = new Thread(r, "crashtest");
      if (t.getId() % THREAD_ID_MODULUS == 0) {
        t.setDaemon(true);
        return t;
      }
    }
  }

  public CheckOptions options() {
    return options;
  }

  /** Checks one workload. */
  public WorkloadResult check(Workload w) {
    return await(pool.submit(() -> run(w, null, null)));
  }

  /** Checks {@code workloads} in parallel, telling {@code done} about each as it finishes. */
  public List<WorkloadResult> checkAll(List<Workload> workloads, Consumer<WorkloadResult> done) {
    List<Future<WorkloadResult>> futures = new ArrayList<>();
    for (Workload w : workloads) {
      futures.add(pool.submit(() -> {
        WorkloadResult r = run(w, null, null);
        done.accept(r);
        return r;
      }));
    }
    List<WorkloadResult> out = new ArrayList<>();
    for (Future<WorkloadResult> f : futures) {
      out.add(await(f));
    }
    return out;
  }

  /**
   * Checks only what {@code target} names ("FENCE" or "end", optionally ":MASK" for one image)
   * and tells {@code out} every detail; an empty target checks the whole workload verbosely.
   */
  public WorkloadResult replay(Workload w, String target, PrintWriter out) {
    return await(pool.submit(() -> run(w, target, out)));
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

  // ---- mounting ----------------------------------------------------------------------------

  /** How the workload's filesystem is mounted (with the injection, when it belongs there). */
  private MountOptions workloadMount() {
    MountOptions m = MountOptions.defaults().backgroundCleaning(false)
        .atime(MountOptions.Atime.NOATIME);
    Injection i = options.injection();
    return i != null && !i.inRecovery() ? m.testSwitches(i.switches()) : m;
  }

  /**
   * How crash images are mounted (with the injection, when it is recovery's). The checker
   * mounts nothing but crash images, each behind its {@link ReadTrackingRegion}, which hides
   * the image from daxfs's own test: it declares the region a test harness's.
   */
  private MountOptions recoveryMount() {
    MountOptions m = MountOptions.defaults().backgroundCleaning(false)
        .atime(MountOptions.Atime.NOATIME);
    Injection i = options.injection();
    return i != null && i.inRecovery() ? m.testSwitches(i.switches()).testHarnessRegion() : m;
  }

  private CrashImageOptions imageOptions() {
    return new CrashImageOptions(ENUMERATED, Math.max(2, options.samples()), options.seed(),
        options.torn());
  }

  /** The filesystem {@code setup} leaves behind, made once per setup. */
  private Base base(List<Op> setup) {
    return bases.computeIfAbsent(setup, s -> {
      HeapRegion heap = new HeapRegion(REGION_SIZE);
      DaxFs.mkfs(heap, MkfsOptions.defaults().dataChecksums(options.dataChecksums()));
      if (!s.isEmpty()) {
        Model model = new Model();
        try (Executor ex = new Executor(heap, MountOptions.defaults().backgroundCleaning(false)
            .atime(MountOptions.Atime.NOATIME))) {
          for (int i = 0; i < s.size(); i++) {
            Errno got = ex.run(s.get(i), i + 1);
            Errno want = model.apply(s.get(i), i + 1);
            if (got != want) {
              throw new IllegalStateException("setup operation '" + s.get(i) + "' "
                  + result(got) + ", the model expects it to " + expectation(want));
            }
          }
        }
      }
      return new Base(new CrashRecordingRegion(heap).crashPoint(), new AtomicBoolean());
    });
  }

  /** The model after {@code setup} and the clean unmount that ends it. */
  private Model modelAfter(List<Op> setup) {
    Model m = new Model();
    for (int i = 0; i < setup.size(); i++) {
      m.apply(setup.get(i), i + 1);
    }
    m.apply(REMOUNT, 0);
    return m;
  }

  private static final Op REMOUNT = WorkloadParser.parseLine("checker", 1, "remount");

  // ---- one workload ------------------------------------------------------------------------

  private WorkloadResult run(Workload w, String target, PrintWriter out) {
    long cpu0 = CPU.getCurrentThreadCpuTime();
    Base base = base(w.setup());
    Run run = new Run(w, modelAfter(w.setup()), out);
    run.record(base);
    run.check(target != null || base.mountChecked().compareAndSet(false, true), target);
    return run.toResult(CPU.getCurrentThreadCpuTime() - cpu0);
  }

  /** One workload: what its run recorded, then what checking its crash points found. */
  private final class Run {
    private final Workload w;
    private final List<Op> ops;

    /** What daxfs should do; applied alongside the run. */
    private final Model model;

    /** Every detail for a replay, or null. */
    private final PrintWriter out;

    /** The model's state before the first operation (index 0) and after each. */
    private final List<FsState> states = new ArrayList<>();

    /** The words each operation stored in place (index as states), or null. */
    private final List<StateDiff.Tear> tears = new ArrayList<>();

    /** The crash points, in fence order; the last one is the end of the workload. */
    private final List<Recorded> points = new ArrayList<>();

    /** The first operation whose result or tree differs from the model's, or -1. */
    private int diverged = -1;

    /** The first violations, described. */
    private final List<Violation> violations = new ArrayList<>();

    private long violationCount;
    private long checkedPoints;
    private long mounts;
    private long sampled;
    private BigInteger covered = BigInteger.ZERO;
    private BigInteger total = BigInteger.ZERO;

    Run(Workload w, Model model, PrintWriter out) {
      this.w = w;
      this.ops = w.ops();
      this.model = model;
      this.out = out;
    }

    /**
     * Runs the workload on a recording of {@code base}, freezing a crash point at every fence,
     * and compares every result and the live tree with the model as it goes.
     */
    void record(Base base) {
      states.add(model.snapshot());
      tears.add(null);
      CrashRecordingRegion region = new CrashRecordingRegion(base.frozen().image(0));
      int[] current = {0};
      CrashImageOptions imageOptions = imageOptions();
      CrashRecordingRegion.FenceListener listener = (fence, r) ->
          points.add(new Recorded(fence, current[0], r.crashPoint(imageOptions)));
      region.addFenceListener(listener);
      Executor ex = new Executor(region, workloadMount());
      for (int k = 1; k <= ops.size() && diverged < 0; k++) {
        current[0] = k;
        String problem = step(ex, k);
        if (problem != null) {
          diverged = k;
          violationCount++;
          violations.add(new Violation(w.name(), k, ops.get(k - 1).toString(), 0, "",
              options.seed(), "live", problem, BigInteger.ZERO));
          if (out != null) {
            out.println("op " + k + " (" + ops.get(k - 1) + "): " + problem);
          }
        }
      }
      if (diverged < 0) {
        points.add(new Recorded(0, ops.size() + 1, region.crashPoint(imageOptions)));
      }
      region.removeFenceListener(listener);
      try {
        ex.close();
      } catch (RuntimeException e) {
        if (diverged < 0) {
          throw e;
        }
      }
    }

    /** Runs operation {@code k}; null when daxfs did what the model says, else the difference. */
    private String step(Executor ex, int k) {
      Op op = ops.get(k - 1);
      long counter = w.setup().size() + k;
      try {
        Errno got = ex.run(op, counter);
        Errno want = model.apply(op, counter);
        states.add(model.snapshot());
        tears.add(model.lastTear());
        if (got != want) {
          return "daxfs " + result(got) + ", the model expects it to " + expectation(want);
        }
        List<String> d = StateDiff.diff(StateReader.read(ex.fs()), states.get(k), null, null,
            6);
        return d.isEmpty() ? null : "the live tree differs from the model: "
            + String.join("; ", d);
      } catch (RuntimeException | AssertionError e) {
        return "daxfs threw " + e;
      }
    }

    /**
     * Checks the crash points: all of them, or those {@code target} names ("FENCE" or "end",
     * with ":MASK" one image). The first mount's points only with {@code checkMount}.
     */
    void check(boolean checkMount, String target) {
      ImageChecker checker = new ImageChecker(recoveryMount());
      String mask = target == null ? null : maskOf(target);
      for (Recorded p : points) {
        if ((diverged >= 0 && p.op() >= diverged) || (p.op() == 0 && !checkMount)
            || (target != null && !target.isEmpty() && !pointMatches(p, target))) {
          continue;
        }
        List<ImageChecker.Candidate> candidates = candidates(p.op(), ops, states);
        StateDiff.Tear tear = p.op() >= 1 && p.op() <= ops.size() ? tears.get(p.op()) : null;
        ImageExplorer explorer = new ImageExplorer(p.point());
        ImageExplorer.Check check = image -> checker.check(image, candidates, tear);
        checkedPoints++;
        if (mask != null) {
          checkOne(p, explorer, check, candidates, mask);
          continue;
        }
        ImageExplorer.Outcome o = explorer.explore(check, options.maxImages(),
            options.samples(), options.seed());
        mounts += o.mounts();
        covered = covered.add(o.covered());
        total = total.add(o.total());
        sampled += o.exhaustive() ? 0 : 1;
        if (out != null) {
          out.println(label(p, ops) + ": " + explorer.units() + " in-flight units, "
              + o.mounts() + " images mounted, " + fmt(o.covered()) + " of " + fmt(o.total())
              + " crash states covered" + (o.exhaustive() ? "" : " (sampled)") + ", "
              + o.failures().size() + " failing");
        }
        for (ImageExplorer.Failure f : o.failures()) {
          String m = ImageExplorer.mask(f.applied());
          report(out, p, ops, candidates, m, f.verdict());
          failed(p, m, f.verdict(), f.equivalent().max(BigInteger.ONE));
        }
      }
    }

    /** Checks the one image {@code mask} of point {@code p} (a replay). */
    private void checkOne(Recorded p, ImageExplorer explorer, ImageExplorer.Check check,
        List<ImageChecker.Candidate> candidates, String mask) {
      BitSet applied = ImageExplorer.parseMask(mask);
      if (applied.length() > explorer.units()) {
        throw new IllegalArgumentException("image " + mask + " applies units beyond the "
            + explorer.units() + " this crash point has");
      }
      ImageChecker.Verdict v = explorer.checkOne(applied, check);
      mounts++;
      covered = covered.add(BigInteger.ONE);
      total = total.add(BigInteger.ONE);
      report(out, p, ops, candidates, mask, v);
      if (!v.ok()) {
        failed(p, mask, v, BigInteger.ONE);
      }
    }

    private void failed(Recorded p, String mask, ImageChecker.Verdict v, BigInteger equivalent) {
      violationCount++;
      if (violations.size() < DESCRIBED) {
        violations.add(new Violation(w.name(), p.op(), opText(p.op(), ops), p.fence(), mask,
            options.seed(), v.kind(), v.detail(), equivalent));
      }
    }

    WorkloadResult toResult(long cpuNanos) {
      long fences = points.size() - (diverged < 0 ? 1 : 0);
      return new WorkloadResult(w.name(), ops.size(), fences, checkedPoints, mounts, covered,
          total, sampled, violationCount, List.copyOf(violations), cpuNanos);
    }
  }

  /** The states an image taken at {@code op} may show. */
  private static List<ImageChecker.Candidate> candidates(int op, List<Op> ops,
      List<FsState> states) {
    if (op == 0) {
      return List.of(new ImageChecker.Candidate("the state before the first operation",
          states.get(0)));
    }
    if (op > ops.size()) {
      return List.of(new ImageChecker.Candidate("the state after the last operation (op "
          + ops.size() + ")", states.get(ops.size())));
    }
    return List.of(
        new ImageChecker.Candidate("the state before op " + op + " (" + ops.get(op - 1) + ")",
            states.get(op - 1)),
        new ImageChecker.Candidate("the state after it", states.get(op)));
  }


  private static String opText(int op, List<Op> ops) {
    return op == 0 ? "mount" : op > ops.size() ? "end" : ops.get(op - 1).toString();
  }

  private static String label(Recorded p, List<Op> ops) {
    return (p.fence() == 0 ? "end of workload" : "fence " + p.fence()) + " during op "
        + p.op() + " (" + opText(p.op(), ops) + ")";
  }

  private static boolean pointMatches(Recorded p, String target) {
    String fence = target.contains(":") ? target.substring(0, target.indexOf(':')) : target;
    return fence.equals("end") ? p.fence() == 0 : fence.equals(Long.toString(p.fence()));
  }

  private static String maskOf(String target) {
    int colon = target.indexOf(':');
    return colon < 0 ? null : target.substring(colon + 1);
  }

  /** Every detail of one image's check, for a replay (nothing when {@code out} is null). */
  private static void report(PrintWriter out, Recorded p, List<Op> ops,
      List<ImageChecker.Candidate> candidates, String mask, ImageChecker.Verdict v) {
    if (out == null) {
      return;
    }
    out.println(label(p, ops) + ", image " + mask + ": "
        + (v.ok() ? "passes" : v.kind() + " violation"));
    if (v.ok()) {
      return;
    }
    out.println("  " + v.detail().replace("\n", "\n  "));
    if (v.seen() != null) {
      out.println("recovered state:");
      out.print(v.seen().describe());
    }
    for (ImageChecker.Candidate c : candidates) {
      out.println(c.label() + ":");
      out.print(c.state().describe());
    }
  }

  static String result(Errno e) {
    return e == null ? "succeeded" : "failed with " + e;
  }

  static String expectation(Errno e) {
    return e == null ? "succeed" : "fail with " + e;
  }

  /** A count: exact up to 10^12, else as 1.23e456. */
  static String fmt(BigInteger n) {
    String digits = n.toString();
    if (digits.length() <= 12) {
      return digits;
    }
    return digits.charAt(0) + "." + digits.substring(1, 3) + "e" + (digits.length() - 1);
  }
}
