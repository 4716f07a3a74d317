package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.pmem.Sizes;
import dev.daxfs.tools.Json;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.mount.Detached;
import dev.daxfs.tools.mount.MountPoints;
import dev.daxfs.tools.mount.RuntimeDir;
import dev.daxfs.tools.mount.Unmount;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs bench fuse}: the same workloads through a daxfs mount, on /dev/shm directly (the
 * limit) and through bindfs over /dev/shm (a FUSE passthrough filesystem written in C, the peer):
 * 1 MiB sequential write and read of one file, 4 KiB random reads and writes with fio
 * (libaio, iodepth 64, O_DIRECT) when fio is installed, and the rate of creating empty files.
 *
 * <p>Method: daxfs is mounted with {@code daxfs mount} (a separate process, as a user has it) on
 * a fresh region in /dev/shm; each run measures every figure on the three targets in a rotating
 * order, so a slow moment of a shared machine does not fall on one target only; each figure is
 * the median of the runs, with their minimum and maximum. Sequential reads start with an empty
 * page cache when run as root (sync, then drop_caches); otherwise they say they did not.
 */
@Command(
    name = "fuse",
    mixinStandardHelpOptions = true,
    description = {
      "A daxfs mount against /dev/shm and bindfs.",
      "",
      "Sequential 1 MiB write and read, fio 4 KiB random read and write (when fio is installed)"
          + " and file creates through a daxfs mount, on /dev/shm directly (the limit) and"
          + " through bindfs over /dev/shm (the FUSE peer). Figures are medians of the runs with"
          + " their spread; ratios are daxfs over each baseline.",
      ""
    })
public final class FuseBench implements Callable<Integer>, BenchSuite {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Target of every ratio to bindfs, the FUSE peer: at least as fast. */
  static final double PEER_RATIO_TARGET = 1.0;

  /** Bytes per sequential request. */
  static final int CHUNK = 1 << 20;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Option(names = "--no-peer", description = "Run without bindfs when it is not installed.")
  boolean noPeer;

  @Option(names = "--size", defaultValue = "256M",
      description = "Size of the sequential file and of fio's file (default ${DEFAULT-VALUE}).")
  String size;

  @Option(names = "--runs", defaultValue = "5",
      description = "Runs per figure, 1 to 50 (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--creates", defaultValue = "5000",
      description = "Files created per run (default ${DEFAULT-VALUE}).")
  int creates;

  @Option(names = "--fio-seconds", defaultValue = "3",
      description = "Seconds per fio job (default ${DEFAULT-VALUE}).")
  int fioSeconds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** One filesystem measured. */
  private record Target(String name, Path dir) {}

  @Override
  public Integer call() throws Exception {
    print(run());
    return 0;
  }

  @Override
  public JsonNode report() throws Exception {
    Map<String, Object> report = run();
    clearProgress();
    return Json.mapper().valueToTree(report);
  }

  /** Checks the options, mounts, measures, unmounts, and returns the report. */
  private Map<String, Object> run() throws Exception {
    long bytes = Sizes.parse(size);
    if (bytes < CHUNK || bytes % CHUNK != 0 || bytes > (8L << 30)) {
      throw new IllegalArgumentException("--size must be a whole number of MiB from 1M to 8G, "
          + "not " + size);
    }
    if (runs < 1 || runs > 50 || creates < 1 || fioSeconds < 1) {
      throw new IllegalArgumentException("--runs must be 1 to 50, --creates and --fio-seconds "
          + "at least 1");
    }
    boolean bindfs = onPath("bindfs");
    if (!bindfs && !noPeer) {
      throw new IllegalStateException("bindfs (the FUSE peer) is not installed: install the "
          + "Debian package bindfs, or pass --no-peer");
    }
    boolean fio = onPath("fio");
    boolean root = RuntimeDir.uid() == 0;
    String tag = "daxfs-bench-" + ProcessHandle.current().pid();
    Path work = Files.createTempDirectory(tag);
    Path shm = Path.of("/dev/shm", tag + "-shm");
    Path bindSrc = Path.of("/dev/shm", tag + "-bindfs");
    Path bindMp = work.resolve("bindfs");
    Path daxMp = work.resolve("daxfs");
    Path region = Path.of("/dev/shm", tag + ".region");
    long regionSize = Math.max(Sizes.GiB, ((3 * bytes + 512 * Sizes.MiB) / Sizes.GiB + 1)
        * Sizes.GiB);
    Map<String, Object> report = new LinkedHashMap<>();
    boolean daxMounted = false;
    boolean bindMounted = false;
    try {
      Files.createDirectories(shm);
      List<Target> targets = new ArrayList<>();
      targets.add(new Target("shm", shm));
      Map<String, Object> mounts = new LinkedHashMap<>();
      if (bindfs) {
        Files.createDirectories(bindSrc);
        Files.createDirectories(bindMp);
        run(List.of("bindfs", bindSrc.toString(), bindMp.toString()), 30);
        bindMounted = true;
        targets.add(new Target("bindfs", bindMp));
        mounts.put("bindfs", mountOptions(bindMp));
      }
      StringWriter mountOut = new StringWriter();
      Detached.start(daxMp, List.of("--pmem", region.toString(), "--size",
          Long.toString(regionSize)), new PrintWriter(mountOut));
      daxMounted = true;
      targets.add(new Target("daxfs", daxMp));
      mounts.put("daxfs", mountOptions(daxMp));

      report.put("date", Instant.now().toString());
      report.put("machine", machine());
      report.put("size_bytes", bytes);
      report.put("runs", runs);
      report.put("creates_per_run", creates);
      report.put("read_cache", root ? "dropped before each sequential read"
          : "not dropped (needs root): sequential reads may come from the page cache");
      report.put("daxfs_region", regionBackend(daxMp));
      report.put("mount_options", mounts);

      Map<String, Map<String, double[]>> figures = new LinkedHashMap<>();
      for (String f : figureNames(fio)) {
        Map<String, double[]> per = new LinkedHashMap<>();
        for (Target t : targets) {
          per.put(t.name(), new double[runs]);
        }
        figures.put(f, per);
      }
      byte[] pattern = new byte[CHUNK];
      new SplittableRandom(42).nextBytes(pattern);
      // One untimed pass first: the daxfs process compiles its hot paths, and every target
      // gets its files laid out, before anything counts.
      progress("warm-up");
      for (Target t : targets) {
        seqWrite(t.dir(), bytes, pattern);
        seqRead(t.dir(), bytes);
        createRate(t.dir(), -1);
        if (fio) {
          fio(t.dir(), "randread", bytes);
          fio(t.dir(), "randwrite", bytes);
        }
      }
      for (int r = 0; r < runs; r++) {
        progress("run " + (r + 1) + " of " + runs);
        for (int i = 0; i < targets.size(); i++) {
          Target t = targets.get((i + r) % targets.size());
          figures.get("seq_write_mb_s").get(t.name())[r] = seqWrite(t.dir(), bytes, pattern);
          if (root) {
            dropCaches();
          }
          figures.get("seq_read_mb_s").get(t.name())[r] = seqRead(t.dir(), bytes);
          figures.get("create_per_s").get(t.name())[r] = createRate(t.dir(), r);
          if (fio) {
            figures.get("rand_read_4k_iops").get(t.name())[r] = fio(t.dir(), "randread", bytes);
            figures.get("rand_write_4k_iops").get(t.name())[r] =
                fio(t.dir(), "randwrite", bytes);
          }
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Map<String, double[]>> f : figures.entrySet()) {
        Map<String, Object> per = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : f.getValue().entrySet()) {
          double[] v = e.getValue().clone();
          Arrays.sort(v);
          per.put(e.getKey(), Map.of("median", round(median(v)), "min", round(v[0]),
              "max", round(v[v.length - 1])));
        }
        out.put(f.getKey(), per);
      }
      report.put("figures", out);
      for (String f : figures.keySet()) {
        String base = f.replaceAll("_(mb_s|iops|per_s)$", "");
        double dax = median(figures.get(f).get("daxfs"));
        if (bindfs) {
          report.put(base + "_ratio_vs_bindfs", round(dax / median(figures.get(f).get("bindfs"))));
        }
        report.put(base + "_ratio_vs_shm", round(dax / median(figures.get(f).get("shm"))));
      }
      if (!fio) {
        report.put("fio", "not installed: the random 4 KiB figures are missing (Debian "
            + "package fio)");
      }
    } finally {
      if (daxMounted) {
        try {
          if (Unmount.unmount(daxMp).clean()) {
            // The log of a bench mount that went well says nothing worth keeping.
            Files.deleteIfExists(RuntimeDir.forCurrentUser()
                .files(MountPoints.canonical(daxMp)).log());
          }
        } catch (RuntimeException | IOException e) {
          spec.commandLine().getErr().println("daxfs bench fuse: unmounting " + daxMp
              + " failed: " + e.getMessage());
        }
      }
      if (bindMounted) {
        run(List.of("fusermount3", "-u", bindMp.toString()), 30);
      }
      deleteTree(shm);
      deleteTree(bindSrc);
      Files.deleteIfExists(region);
      if (!MountPoints.isMountpoint(daxMp) && !MountPoints.isMountpoint(bindMp)) {
        deleteTree(work);
      }
    }
    return report;
  }

  private static List<String> figureNames(boolean fio) {
    List<String> names = new ArrayList<>(List.of("seq_write_mb_s", "seq_read_mb_s",
        "create_per_s"));
    if (fio) {
      names.addAll(List.of("rand_read_4k_iops", "rand_write_4k_iops"));
    }
    return names;
  }

  /** MB/s (10^6 bytes) writing {@code bytes} in 1 MiB requests, ending with fsync. */
  static double seqWrite(Path dir, long bytes, byte[] pattern) throws IOException {
    Path f = dir.resolve("seq");
    ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
    buf.put(pattern).flip();
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long done = 0; done < bytes; done += CHUNK) {
        buf.rewind();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      ch.force(true);
    }
    return bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
  }

  /** MB/s reading the sequential file in 1 MiB requests. */
  static double seqRead(Path dir, long bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
    long read = 0;
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(dir.resolve("seq"), StandardOpenOption.READ)) {
      while (true) {
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
          break;
        }
        read += n;
      }
    }
    double mbs = read / 1e6 / ((System.nanoTime() - t0) / 1e9);
    if (read != bytes) {
      throw new IllegalStateException("read " + read + " bytes back instead of " + bytes);
    }
    return mbs;
  }

  /** Empty files created per second by one thread, then removed (untimed). */
  private double createRate(Path dir, int run) throws IOException {
    Path d = Files.createDirectory(dir.resolve("creates-" + (run < 0 ? "warm" : run)));
    long t0 = System.nanoTime();
    for (int i = 0; i < creates; i++) {
      try (SeekableByteChannel c = Files.newByteChannel(d.resolve("f" + i),
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        // Created and closed: the operation measured.
      }
    }
    double rate = creates / ((System.nanoTime() - t0) / 1e9);
    deleteTree(d);
    return rate;
  }

  /** IOPS of one fio job on {@code dir}. */
  private double fio(Path dir, String rw, long bytes) throws IOException, InterruptedException {
    String out = run(List.of("fio", "--name=daxfs-bench", "--filename=" + dir.resolve("fio"),
        "--size=" + bytes, "--rw=" + rw, "--bs=4k", "--ioengine=libaio", "--iodepth=64",
        "--direct=1", "--time_based", "--runtime=" + fioSeconds, "--output-format=json"),
        fioSeconds + 300L);
    JsonNode job = JSON.readTree(out.substring(out.indexOf('{'))).path("jobs").path(0);
    return job.path(rw.equals("randread") ? "read" : "write").path("iops").asDouble();
  }

  private static void dropCaches() throws IOException, InterruptedException {
    run(List.of("sync"), 60);
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
  }

  /** Runs a program; returns its output; fails with its output when it fails. */
  private static String run(List<String> cmd, long seconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[][] out = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        out[0] = p.getInputStream().readAllBytes();
      } catch (IOException e) {
        out[0] = new byte[0];
      }
    });
    reader.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(cmd.get(0) + " did not finish within " + seconds
          + " seconds");
    }
    reader.join();
    String s = new String(out[0], StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + s.strip());
    }
    return s;
  }

  /**
   * The mount's options as /proc/self/mountinfo shows them, and the readahead window of its
   * backing device (not a mount option, but it decides the size of sequential READ requests).
   */
  private static String mountOptions(Path mp) throws IOException {
    String want = mp.toRealPath().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      int dash = Arrays.asList(f).indexOf("-");
      if (f.length > 5 && f[4].equals(want) && dash > 0 && f.length > dash + 3) {
        Path readahead = Path.of("/sys/class/bdi", f[2], "read_ahead_kb");
        String ra = Files.isReadable(readahead)
            ? ", read_ahead_kb=" + Files.readString(readahead).strip() : "";
        return f[dash + 1] + " " + f[5] + "," + f[dash + 3] + ra;
      }
    }
    return "unknown";
  }

  private static String regionBackend(Path daxMp) {
    try (ControlClient c = ControlClient.connect(
        RuntimeDir.forCurrentUser().files(MountPoints.canonical(daxMp)).socket())) {
      return c.request("stat").path("backend").asText();
    } catch (Exception e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpus", Runtime.getRuntime().availableProcessors());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", Runtime.version().toString());
    return m;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  private void progress(String what) {
    if (System.console() != null && !json) {
      spec.commandLine().getErr().print("\rbench fuse: " + what + " ");
      spec.commandLine().getErr().flush();
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : (Iterable<Path>) s.sorted((a, b) -> b.getNameCount() - a.getNameCount())
          ::iterator) {
        Files.deleteIfExists(x);
      }
    }
  }

  /** Wipes the progress line off the terminal. */
  private void clearProgress() {
    if (System.console() != null && !json) {
      spec.commandLine().getErr().print("\r" + " ".repeat(40) + "\r");
      spec.commandLine().getErr().flush();
    }
  }

  @SuppressWarnings("unchecked")
  private void print(Map<String, Object> report) {
    PrintWriter out = spec.commandLine().getOut();
    clearProgress();
    if (json) {
      out.println(Json.write(report));
      return;
    }
    out.printf("daxfs bench fuse: %s, %d runs, %s per sequential file, %d creates per run%n",
        report.get("date"), runs, Sizes.format((Long) report.get("size_bytes")), creates);
    out.println("  read cache: " + report.get("read_cache"));
    out.println("  daxfs region: " + report.get("daxfs_region"));
    ((Map<String, Object>) report.get("mount_options")).forEach(
        (k, v) -> out.println("  " + k + " mount: " + v));
    Map<String, Object> figures = (Map<String, Object>) report.get("figures");
    out.printf("  %-20s %24s %24s %24s%n", "median (min-max)", "shm", "bindfs", "daxfs");
    for (Map.Entry<String, Object> f : figures.entrySet()) {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-20s", f.getKey()));
      Map<String, Object> per = (Map<String, Object>) f.getValue();
      for (String t : List.of("shm", "bindfs", "daxfs")) {
        Map<String, Object> v = (Map<String, Object>) per.get(t);
        sb.append(String.format(Locale.ROOT, " %24s", v == null ? "-"
            : String.format(Locale.ROOT, "%.0f (%.0f-%.0f)", v.get("median"), v.get("min"),
                v.get("max"))));
      }
      out.println(sb);
    }
    for (Map.Entry<String, Object> e : report.entrySet()) {
      if (e.getKey().contains("_ratio_vs_")) {
        out.printf(Locale.ROOT, "  %s: %.2f%n", e.getKey(), (Double) e.getValue());
      }
    }
    if (report.containsKey("fio")) {
      out.println("  fio: " + report.get("fio"));
    }
  }
}
