package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.MemoryBlockMap;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.gup.Gup;
import dev.daxfs.gup.PinOwner;
import dev.daxfs.gup.PinVector;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.tools.Json;
import java.io.PrintWriter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code daxfs bench gup}: what pinning costs against its limit, two atomic adds on a flat long
 * array measured in the same run; batch pins; how fast the last unpin wakes a waiter; and what
 * page descriptors cost in memory, measured on the heap for a 16 GiB region.
 */
@Command(
    name = "gup",
    mixinStandardHelpOptions = true,
    description =
      "Pin + unpin of one page against two atomic adds (the limit), 512-page batch pins, "
      + "wake-up latency of a waiter after the last unpin, and page descriptor memory.")
public final class GupBench implements Callable<Integer>, BenchSuite {

  /** Target: a pin and unpin cost at most twice two atomic adds ("mostly just atomics"). */
  static final double PIN_RATIO_TARGET = 2.0;

  /** Target: median microseconds from the last unpin to the waiter running again. */
  static final double WAKE_LATENCY_TARGET_US = 100;

  private static final int PAGE = PmemRegion.PAGE_SIZE;
  private static final int BATCH = 512;
  private static final long SIXTEEN_GIB = 16L << 30;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Option(names = "--quick", description = "A short run with few iterations (a smoke test, not a measurement).")
  boolean quick;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Keeps the JIT from discarding measured work. */
  private static volatile long sink;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> report = run();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      out.println(mapper.writeValueAsString(report));
    } else {
      print(out, report);
    }
    out.flush();
    return 0;
  }

  @Override
  public JsonNode report() throws Exception {
    return Json.mapper().valueToTree(run());
  }

  /** Measures everything and returns the report, figures by name. */
  private Map<String, Object> run() throws Exception {
    int rounds = quick ? 2 : 7;
    long singles = quick ? 20_000 : 4_000_000;
    long batches = quick ? 50 : 8_000;
    int wakes = quick ? 20 : 400;

    HeapRegion region = new HeapRegion((BATCH + 64L) * PAGE);
    PageDescriptors pages = new PageDescriptors(region);
    MemoryBlockMap blocks =
        new MemoryBlockMap(pages, new MemoryBlockMap.BlockAllocator(1, pages.pageCount() - 1), 1, (long) BATCH * PAGE);
    DaxAddressSpace space = new DaxAddressSpace(pages, 1, blocks);
    CpuMapping mapping = space.mmap(0, (long) BATCH * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    for (int i = 0; i < BATCH; i++) {
      mapping.storeLong((long) i * PAGE, i);
    }
    Gup gup = new Gup();
    PinOwner owner = gup.owner("bench");

    // Interleave the baseline and the pin path round by round, so both see the same machine.
    double[] atomic = new double[rounds];
    double[] pinUnpin = new double[rounds];
    double[] batch = new double[rounds];
    long[] flat = new long[PageDescriptors.CHUNK_PAGES * 4];
    atomicPairs(flat, singles / 4);
    pinUnpin(gup, owner, mapping, singles / 4);
    pinBatches(gup, owner, mapping, batches / 4);
    for (int r = 0; r < rounds; r++) {
      atomic[r] = atomicPairs(flat, singles);
      pinUnpin[r] = pinUnpin(gup, owner, mapping, singles);
      batch[r] = pinBatches(gup, owner, mapping, batches);
    }
    double atomicNs = median(atomic);
    double pinNs = median(pinUnpin);
    double batchNs = median(batch);
    // Each round measures the baseline right before the pin path, so a round's ratio sees one
    // machine state; the median of those ratios is steadier on a shared machine than a ratio of
    // medians.
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      ratios[r] = pinUnpin[r] / atomic[r];
    }
    double ratio = median(ratios);
    double[] wake = wakeLatenciesMicros(gup, owner, mapping, pages, blocks.blockOf(0), wakes);

    long tableOf16GiB = PageDescriptors.detached(SIXTEEN_GIB / PAGE).bytesAllocated();
    long emptyTiB = PageDescriptors.detached((1L << 40) / PAGE).bytesAllocated();
    double measuredPerPage = measuredDescriptorBytesPerPage(SIXTEEN_GIB / PAGE);
    PageDescriptors full = PageDescriptors.detached(SIXTEEN_GIB / PAGE);
    for (long pfn = 0; pfn < full.pageCount(); pfn += PageDescriptors.CHUNK_PAGES) {
      full.setWatched(pfn, true);
    }
    long accounted16GiB = full.bytesAllocated();

    if (gup.stats().outstanding() != 0 || pages.misuseEvents() != 0) {
      throw new IllegalStateException("the benchmark left pins behind or misused a page: " + gup.stats());
    }

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("suite", "gup");
    report.put("region", region.describe());
    report.put("flush_model", region.flushModel().toString());
    report.put("quick", quick);
    report.put("pin_unpin_ns", round(pinNs));
    report.put("atomic_pair_ns", round(atomicNs));
    report.put("pin_ratio_vs_atomic", round(ratio));
    report.put("pin_ratio_statistic", "median over rounds of pin_unpin_ns / atomic_pair_ns");
    report.put("pin_ratio_target", PIN_RATIO_TARGET);
    report.put("pin_ratio_met", ratio <= PIN_RATIO_TARGET);
    report.put("pin_batch_512_ns_per_page", round(batchNs));
    report.put("wake_latency_us_p50", round(percentile(wake, 50)));
    report.put("wake_latency_us_p99", round(percentile(wake, 99)));
    report.put("wake_latency_target_us", WAKE_LATENCY_TARGET_US);
    report.put("wake_latency_met", percentile(wake, 50) <= WAKE_LATENCY_TARGET_US);
    report.put("descriptor_bytes_per_page", round(measuredPerPage));
    report.put("descriptor_bytes_per_page_accounted", round((double) accounted16GiB / (SIXTEEN_GIB / PAGE)));
    report.put("descriptor_table_bytes_16gib", accounted16GiB);
    report.put("descriptor_table_bytes_16gib_unused", tableOf16GiB);
    report.put("descriptor_table_bytes_1tib_unused", emptyTiB);
    report.put("rounds", rounds);
    report.put("pins_per_round", singles);
    report.put("wake_samples", wakes);
    return report;
  }

  // ---- measurements -------------------------------------------------------------------------------

  /** Two atomic adds on one slot of a flat long array, as a pin and an unpin would do: ns per pair. */
  private static double atomicPairs(long[] flat, long n) {
    long delta = PageDescriptors.GUP_PIN_COUNTING_BIAS + (1L << 48);
    long acc = 0;
    long start = System.nanoTime();
    for (long i = 0; i < n; i++) {
      acc += (long) LONGS.getAndAdd(flat, 8, delta);
      acc += (long) LONGS.getAndAdd(flat, 8, -delta);
    }
    long elapsed = System.nanoTime() - start;
    sink += acc;
    return (double) elapsed / n;
  }

  /**
   * pinUserPages + unpinUserPages of one page through an installed pte, reading the pinned page
   * frame as a driver would: ns per pair. The caller's pin vector is made once, as a driver keeps
   * its page array.
   */
  private static double pinUnpin(Gup gup, PinOwner owner, CpuMapping mapping, long n) throws Exception {
    PinVector pins = owner.newPinVector();
    long acc = 0;
    long start = System.nanoTime();
    for (long i = 0; i < n; i++) {
      gup.pinUserPages(pins, mapping, 0, 1, 0);
      acc += pins.pfn(0);
      gup.unpinUserPages(pins, false);
    }
    long elapsed = System.nanoTime() - start;
    sink += acc;
    return (double) elapsed / n;
  }

  /** A 512-page pin and its unpin: ns per page. */
  private static double pinBatches(Gup gup, PinOwner owner, CpuMapping mapping, long n) throws Exception {
    PinVector pins = owner.newPinVector();
    long acc = 0;
    long start = System.nanoTime();
    for (long i = 0; i < n; i++) {
      gup.pinUserPages(pins, mapping, 0, BATCH, 0);
      acc += pins.pfn(BATCH - 1);
      gup.unpinUserPages(pins, false);
    }
    long elapsed = System.nanoTime() - start;
    sink += acc;
    return (double) elapsed / n / BATCH;
  }

  /**
   * A thread sleeps in waitIdle on a pinned page; the main thread notes the time and unpins;
   * the waiter notes when it runs again. Microseconds, one per sample.
   */
  private static double[] wakeLatenciesMicros(
      Gup gup, PinOwner owner, CpuMapping mapping, PageDescriptors pages, long pfn, int samples)
      throws Exception {
    long[] woke = new long[samples];
    long[] unpinned = new long[samples];
    int[] armed = {-1};
    VarHandle slot = MethodHandles.arrayElementVarHandle(int[].class);
    Throwable[] failure = new Throwable[1];
    Thread waiter =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < samples; i++) {
                  while ((int) slot.getVolatile(armed, 0) != i) {
                    Thread.onSpinWait();
                  }
                  pages.waitIdle(pfn);
                  woke[i] = System.nanoTime();
                  slot.setVolatile(armed, 0, -1 - i);
                }
              } catch (Throwable e) {
                failure[0] = e;
              }
            },
            "bench-waiter");
    waiter.setDaemon(true);
    waiter.start();
    PinVector h = owner.newPinVector();
    for (int i = 0; i < samples; i++) {
      gup.pinUserPages(h, mapping, 0, 1, 0);
      slot.setVolatile(armed, 0, i);
      while (waiter.getState() != Thread.State.WAITING && failure[0] == null) {
        Thread.onSpinWait();
      }
      unpinned[i] = System.nanoTime();
      gup.unpinUserPages(h, false);
      while ((int) slot.getVolatile(armed, 0) != -1 - i && failure[0] == null) {
        Thread.onSpinWait();
      }
      if (failure[0] != null) {
        throw new IllegalStateException("wake-up waiter failed: " + failure[0], failure[0]);
      }
    }
    waiter.join();
    double[] micros = new double[samples];
    for (int i = 0; i < samples; i++) {
      micros[i] = (woke[i] - unpinned[i]) / 1000.0;
    }
    return micros;
  }

  /** Heap bytes per page of a descriptor table for {@code pageCount} pages with every page in use. */
  private static double measuredDescriptorBytesPerPage(long pageCount) {
    long before = usedHeapAfterGc();
    PageDescriptors table = PageDescriptors.detached(pageCount);
    for (long pfn = 0; pfn < pageCount; pfn++) {
      table.setOwner(pfn, 1, pfn);
    }
    long after = usedHeapAfterGc();
    sink += table.chunksAllocated();
    return (double) (after - before) / pageCount;
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- statistics and output ----------------------------------------------------------------------

  private static double median(double[] values) {
    return percentile(values, 50);
  }

  private static double percentile(double[] values, int p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static void print(PrintWriter out, Map<String, Object> r) {
    out.printf("gup benchmark on %s, flush model: %s%s%n", r.get("region"), r.get("flush_model"),
        Boolean.TRUE.equals(r.get("quick")) ? " (quick run: not a measurement)" : "");
    out.printf("  pin + unpin, one page          %10.2f ns%n", (Double) r.get("pin_unpin_ns"));
    out.printf("  two atomic adds (the limit)    %10.2f ns%n", (Double) r.get("atomic_pair_ns"));
    out.printf("  ratio (median of rounds)       %10.2f   (target <= %.1f: %s)%n",
        (Double) r.get("pin_ratio_vs_atomic"), PIN_RATIO_TARGET, met(r.get("pin_ratio_met")));
    out.printf("  512-page pin + unpin, per page %10.2f ns%n", (Double) r.get("pin_batch_512_ns_per_page"));
    out.printf("  wake-up after last unpin, p50  %10.2f us (target <= %.0f: %s), p99 %.2f us%n",
        (Double) r.get("wake_latency_us_p50"), WAKE_LATENCY_TARGET_US, met(r.get("wake_latency_met")),
        (Double) r.get("wake_latency_us_p99"));
    out.printf("  descriptors, 16 GiB all in use %10.2f bytes/page measured, %.2f accounted (%d bytes)%n",
        (Double) r.get("descriptor_bytes_per_page"), (Double) r.get("descriptor_bytes_per_page_accounted"),
        (Long) r.get("descriptor_table_bytes_16gib"));
    out.printf("  descriptors unused: 16 GiB %d bytes, 1 TiB %d bytes%n",
        (Long) r.get("descriptor_table_bytes_16gib_unused"), (Long) r.get("descriptor_table_bytes_1tib_unused"));
  }

  private static String met(Object b) {
    return Boolean.TRUE.equals(b) ? "met" : "MISSED";
  }
}
