package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs bench pmem}: 4 KiB random writes and reads through an emulated region, against
 * the same operations through a plain MappedByteBuffer over the same /dev/shm file (the limit a
 * Java program can reach), plus 4 KiB random persists (store, flush, fence) through the region.
 *
 * <p>Method: both mappings are faulted in first; every operation is warmed up until compiled;
 * then rounds of about 100 ms each alternate between the baseline and the region (the order
 * flips every round), and each figure is the median over the rounds. A ratio is the median of
 * the per-round ratios, so that a slow moment on a shared machine hits both sides of it alike.
 */
@Command(
    name = "pmem",
    mixinStandardHelpOptions = true,
    description = {
      "4 KiB random writes, reads and persists through an emulated pmem region, against a plain"
          + " MappedByteBuffer over the same /dev/shm file.",
      "Prints the flush model it ran with; figures are medians over alternating rounds."
    })
public final class PmemBench implements Callable<Integer>, BenchSuite {

  /** Target of both ratios to the raw mapping: the region keeps 90% of what Java can reach. */
  static final double RATIO_TARGET = 0.9;

  /** Bytes per operation. */
  static final int BLOCK = 4096;

  /** The baseline is one MappedByteBuffer, which an int indexes. */
  static final long MAX_SIZE = (1L << 31) - BLOCK;

  /** Operations between two clock reads. */
  private static final int BATCH = 256;

  /** Length of one measured round. */
  private static final long ROUND_NANOS = 100_000_000L;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Option(
      names = "--seconds",
      defaultValue = "10",
      description = "Time spent measuring, 1 to 45 (default ${DEFAULT-VALUE}); set-up adds about a second.")
  int seconds;

  @Option(
      names = "--size",
      defaultValue = "256M",
      description = "Region size, 1M to 2G-4K (default ${DEFAULT-VALUE}); larger than the CPU caches.")
  String size;

  @Option(
      names = "--flush-delay-ns",
      defaultValue = "0",
      description = "Busy-wait per flushed 64-byte line, modelling real pmem (default 0: free flushes).")
  long flushDelayNs;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Result result = run();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(result.toJson()));
    } else {
      result.printTable(out);
    }
    out.flush();
    return 0;
  }

  @Override
  public JsonNode report() throws IOException {
    return run().toJson();
  }

  /** Checks the options and measures. */
  private Result run() throws IOException {
    long bytes = checkedSize();
    if (seconds < 1 || seconds > 45) {
      throw usage("--seconds must be between 1 and 45, not " + seconds);
    }
    if (flushDelayNs < 0 || flushDelayNs > 1_000_000) {
      throw usage("--flush-delay-ns must be between 0 and 1000000, not " + flushDelayNs);
    }
    return measure(bytes, seconds * 1_000_000_000L, FlushModel.emulated(flushDelayNs));
  }

  private long checkedSize() {
    long bytes;
    try {
      bytes = Sizes.parse(size);
    } catch (IllegalArgumentException e) {
      throw usage("--size: " + e.getMessage());
    }
    if (bytes < Regions.MIN_SIZE || bytes > MAX_SIZE || bytes % BLOCK != 0) {
      throw usage("--size must be a multiple of 4 KiB from 1 MiB to 2 GiB - 4 KiB (one "
          + "MappedByteBuffer maps the baseline), not " + Sizes.format(bytes));
    }
    return bytes;
  }

  /**
   * A bad option value, reported by the command line's failure handler as one sentence (a
   * ParameterException would bring the whole usage text with it).
   */
  private static IllegalArgumentException usage(String message) {
    return new IllegalArgumentException(message);
  }

  // ---- the measurement ---------------------------------------------------------------

  /** The operations measured. */
  enum Op {
    RAW_WRITE,
    REGION_WRITE,
    RAW_READ,
    REGION_READ,
    REGION_PERSIST
  }

  /** Medians (million operations per second) and ratios of one run. */
  record Result(
      String region,
      FlushModel flushModel,
      long sizeBytes,
      int rounds,
      double[] mops,
      double writeRatio,
      double readRatio) {

    double mops(Op op) {
      return mops[op.ordinal()];
    }

    ObjectNode toJson() {
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("suite", "pmem");
      o.put("flush_model", flushModel.toString());
      o.put("flush_delay_ns", flushModel.nanosPerLine());
      o.put("region", region);
      o.put("size_bytes", sizeBytes);
      o.put("block_bytes", BLOCK);
      o.put("rounds", rounds);
      o.put("raw_write_4k_mops", round(mops(Op.RAW_WRITE)));
      o.put("region_write_4k_mops", round(mops(Op.REGION_WRITE)));
      o.put("raw_read_4k_mops", round(mops(Op.RAW_READ)));
      o.put("region_read_4k_mops", round(mops(Op.REGION_READ)));
      o.put("region_persist_4k_mops", round(mops(Op.REGION_PERSIST)));
      o.put("write_ratio_vs_raw", round(writeRatio));
      o.put("read_ratio_vs_raw", round(readRatio));
      o.put("ratio_target", RATIO_TARGET);
      o.put("java", Runtime.version().toString());
      return o;
    }

    void printTable(PrintWriter out) {
      out.println("daxfs bench pmem: " + region);
      out.println("flush model: " + flushModel);
      out.println();
      out.printf(Locale.ROOT, "%-28s %12s %10s %12s%n", "4 KiB random", "raw Mops/s", "region", "region/raw");
      out.printf(Locale.ROOT, "%-28s %12.3f %10.3f %12.3f%n", "write",
          mops(Op.RAW_WRITE), mops(Op.REGION_WRITE), writeRatio);
      out.printf(Locale.ROOT, "%-28s %12.3f %10.3f %12.3f%n", "read",
          mops(Op.RAW_READ), mops(Op.REGION_READ), readRatio);
      out.printf(Locale.ROOT, "%-28s %12s %10.3f %12s%n", "persist (store+flush+fence)",
          "-", mops(Op.REGION_PERSIST), "-");
      out.println();
      out.println("raw: a plain MappedByteBuffer over the same file. Medians of " + rounds
          + " rounds alternating raw and region; ratios are medians of per-round ratios.");
    }

    private static double round(double v) {
      return BigDecimal.valueOf(v).setScale(3, RoundingMode.HALF_EVEN).doubleValue();
    }
  }

  /** Runs the whole measurement on a fresh region file, removed afterwards. */
  static Result measure(long size, long budgetNanos, FlushModel model) throws IOException {
    Path file = BenchFiles.newFile(".region");
    Files.delete(file);
    try (PmemRegion region = Regions.open(file, RegionOptions.create(size)
        .withBackend(RegionOptions.Backend.EMULATED)
        .withFlushModel(model))) {
      MappedByteBuffer raw;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        raw = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
      }
      Workload w = new Workload(raw, region, size);
      w.prefault();
      return w.run(budgetNanos);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** The two mappings of one file, and the operations measured on them. */
  static final class Workload {

    /** The baseline mapping. */
    private final MappedByteBuffer raw;

    /** The region under test, over the same file. */
    private final PmemRegion region;

    /** Random block-aligned offsets, cycled through by every operation alike. */
    private final long[] offsets;

    /** Source of every write. */
    private final byte[] src = new byte[BLOCK];

    /** Destination of every read. */
    private final byte[] dst = new byte[BLOCK];

    /** Position in {@link #offsets}. */
    private int cursor;

    /** Folds read bytes in so that no read can be optimised away. */
    long sink;

    Workload(MappedByteBuffer raw, PmemRegion region, long size) {
      this.raw = raw;
      this.region = region;
      SplittableRandom random = new SplittableRandom(42);
      long blocks = size / BLOCK;
      this.offsets = new long[1 << 16];
      for (int i = 0; i < offsets.length; i++) {
        offsets[i] = random.nextLong(blocks) * BLOCK;
      }
      for (int i = 0; i < BLOCK; i++) {
        src[i] = (byte) random.nextInt();
      }
    }

    /** Touches every page through both mappings, so neither pays page faults while measured. */
    void prefault() {
      for (long off = 0; off < region.size(); off += BLOCK) {
        raw.put((int) off, src, 0, BLOCK);
        region.storeByte(off, (byte) 1);
      }
    }

    private long next() {
      long off = offsets[cursor];
      cursor = (cursor + 1) & (offsets.length - 1);
      return off;
    }

    void rawWrite(int n) {
      for (int i = 0; i < n; i++) {
        raw.put((int) next(), src, 0, BLOCK);
      }
    }

    void regionWrite(int n) {
      for (int i = 0; i < n; i++) {
        region.store(next(), src, 0, BLOCK);
      }
    }

    void rawRead(int n) {
      long s = 0;
      for (int i = 0; i < n; i++) {
        raw.get((int) next(), dst, 0, BLOCK);
        s += dst[i & (BLOCK - 1)];
      }
      sink += s;
    }

    void regionRead(int n) {
      long s = 0;
      for (int i = 0; i < n; i++) {
        region.load(next(), dst, 0, BLOCK);
        s += dst[i & (BLOCK - 1)];
      }
      sink += s;
    }

    void regionPersist(int n) {
      for (int i = 0; i < n; i++) {
        region.storePersist(next(), src, 0, BLOCK);
      }
    }

    private void batch(Op op) {
      switch (op) {
        case RAW_WRITE -> rawWrite(BATCH);
        case REGION_WRITE -> regionWrite(BATCH);
        case RAW_READ -> rawRead(BATCH);
        case REGION_READ -> regionRead(BATCH);
        case REGION_PERSIST -> regionPersist(BATCH);
      }
    }

    /** Million operations per second of {@code op} over about {@code nanos}. */
    double round(Op op, long nanos) {
      long start = System.nanoTime();
      long end = start + nanos;
      long ops = 0;
      long now;
      do {
        batch(op);
        ops += BATCH;
        now = System.nanoTime();
      } while (now < end);
      return ops * 1e3 / (now - start);
    }

    Result run(long budgetNanos) {
      Op[] ops = Op.values();
      // Warm-up: a fifth of the budget, in short turns so that every operation gets compiled.
      long warm = budgetNanos / 5;
      long turn = Math.min(ROUND_NANOS / 4, warm / (ops.length * 4));
      for (long spent = 0; spent < warm; spent += turn * ops.length) {
        for (Op op : ops) {
          round(op, turn);
        }
      }
      long roundNanos = Math.min(ROUND_NANOS, (budgetNanos - warm) / (ops.length * 3));
      int rounds = (int) Math.max(3, (budgetNanos - warm) / (roundNanos * ops.length));
      double[][] samples = new double[ops.length][rounds];
      double[] writeRatios = new double[rounds];
      double[] readRatios = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        boolean rawFirst = r % 2 == 0;
        pair(Op.RAW_WRITE, Op.REGION_WRITE, rawFirst, roundNanos, samples, r);
        pair(Op.RAW_READ, Op.REGION_READ, rawFirst, roundNanos, samples, r);
        samples[Op.REGION_PERSIST.ordinal()][r] = round(Op.REGION_PERSIST, roundNanos);
        writeRatios[r] = samples[Op.REGION_WRITE.ordinal()][r] / samples[Op.RAW_WRITE.ordinal()][r];
        readRatios[r] = samples[Op.REGION_READ.ordinal()][r] / samples[Op.RAW_READ.ordinal()][r];
      }
      double[] medians = new double[ops.length];
      for (Op op : ops) {
        medians[op.ordinal()] = median(samples[op.ordinal()]);
      }
      return new Result(region.describe(), region.flushModel(), region.size(), rounds, medians,
          median(writeRatios), median(readRatios));
    }

    private void pair(Op raw, Op reg, boolean rawFirst, long nanos, double[][] samples, int r) {
      Op first = rawFirst ? raw : reg;
      Op second = rawFirst ? reg : raw;
      samples[first.ordinal()][r] = round(first, nanos);
      samples[second.ordinal()][r] = round(second, nanos);
    }
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
