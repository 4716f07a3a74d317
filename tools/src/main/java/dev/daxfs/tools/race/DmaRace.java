package dev.daxfs.tools.race;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.DaxEntry;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.FsStats;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.TestSwitches;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaCompletion;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.DmaTag;
import dev.daxfs.gup.Gup;
import dev.daxfs.gup.WriteTiming;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The DMA-versus-truncate race: the bug Linux fixed for filesystem DAX, run on purpose.
 *
 * <p>Each round writes file A, maps it, and has several emulated devices start short-term
 * transfers into random byte ranges of it; each transfer pins its pages at submission and writes
 * its tag records at the end of its hold. While they are in flight the round truncates, punches,
 * zeroes or collapses a range that overlaps one of them. As soon as that returns, file B writes
 * a known pattern into freshly allocated blocks; the allocator hands out the lowest free blocks
 * first, so B receives what A just freed. When every transfer has completed, B must hold exactly
 * its pattern, A exactly what the operation left of its data and the DMA writes (a model of the
 * file says which), and every tag record must be where the model puts it and nowhere else.
 *
 * <p>With the layout break the operation waits until the last transfer into its range unpins,
 * so nothing is ever misdirected. With the break switched off (a test switch, for demonstrating
 * that the harness catches the bug) devices write into blocks that B owns by then.
 *
 * <p>Not thread-safe: one thread runs the rounds; the devices' completions only record times.
 */
final class DmaRace implements AutoCloseable {

  /** The harness's own region: small, so freed blocks are handed out again at once. */
  static final long REGION_BYTES = 16L << 20;

  /** Pages of file A, the file under DMA. */
  static final int FILE_PAGES = 24;

  /** Pages file B writes after the cut: enough to take every block A freed, and more. */
  static final int OTHER_PAGES = 2 * FILE_PAGES;

  /** Most transfers in flight per round. */
  static final int MAX_TRANSFERS = 6;

  /** Longest transfer: two pages and a half, so transfers straddle page boundaries. */
  static final int MAX_TRANSFER_BYTES = 2 * Cut.PAGE + Cut.PAGE / 2;

  /** Bound on one layout break's wait: a hang becomes ETIMEDOUT, reported, not a stuck run. */
  static final Duration LAYOUT_WAIT_BOUND = Duration.ofSeconds(30);

  /** How long the end of a round waits for its transfers. */
  static final long TRANSFER_WAIT_SECONDS = 30;

  private static final int PAGE = Cut.PAGE;
  private static final Cred ROOT = Cred.root();
  private static final String FILE_A = "/dma-target";
  private static final String FILE_B = "/reused";

  /**
   * The devices: different holds (the kernel's bio_delay), one with a bandwidth limit; all
   * write at the end of the hold, the moment a freed block would take the damage.
   */
  static final List<DeviceSpec> DEVICES = List.of(
      DeviceSpec.named("nic0").withHold(Duration.ofMillis(1)).withTiming(WriteTiming.AT_END),
      DeviceSpec.named("gpu0").withHold(Duration.ofMillis(2)).withBandwidth(1_000_000_000L)
          .withTiming(WriteTiming.AT_END),
      DeviceSpec.named("nvme0").withHold(Duration.ofNanos(600_000))
          .withTiming(WriteTiming.AT_END));

  /** The region the filesystem lives on. */
  private final PmemRegion region;

  /** Whether the layout break is skipped (demonstration only). */
  private final boolean skipLayoutBreak;

  /** Whether the filesystem keeps per-block data checksums. */
  private final boolean dataChecksums;

  /** Every random choice of the run, in order: a seed fixes the plans of all rounds. */
  private final SplittableRandom rng;

  /** The seed the run started from. */
  private final long seed;

  /** Counts the devices' pins; outlives the filesystems a run may remake. */
  private final Gup gup = new Gup();

  /** Runs the transfers on its own threads. */
  private final DmaEmulator dma = new DmaEmulator(gup);

  /** The devices of {@link #DEVICES}, in that order. */
  private final List<DmaDevice> devices = new ArrayList<>();

  /** The mounted filesystem; remade after a round that broke it (only without the break). */
  private DaxFs fs;

  /** What the run found so far. */
  private final RaceReport report;

  /**
   * @param region the region to format; its contents are lost
   * @param skipLayoutBreak run without the layout break: only for the harness's own region
   * @param dataChecksums format with per-block data checksums, so that every block read back
   *     is verified (the devices write into pages the filesystem marked stale)
   */
  DmaRace(PmemRegion region, long seed, boolean skipLayoutBreak, boolean dataChecksums) {
    this.region = Objects.requireNonNull(region, "region");
    this.seed = seed;
    this.skipLayoutBreak = skipLayoutBreak;
    this.dataChecksums = dataChecksums;
    this.rng = new SplittableRandom(seed);
    this.report = new RaceReport(seed, skipLayoutBreak, dataChecksums, region.describe());
    for (DeviceSpec spec : DEVICES) {
      devices.add(dma.createDevice(spec));
    }
    format();
  }

  private void format() {
    DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(dataChecksums));
    MountOptions options = MountOptions.defaults().layoutWaitTimeout(LAYOUT_WAIT_BOUND);
    if (skipLayoutBreak) {
      TestSwitches bug = TestSwitches.none();
      bug.skipLayoutBreak = true;
      options.testSwitches(bug).testHarnessRegion();
    }
    fs = DaxFs.mount(region, options);
  }

  /** Runs {@code iterations} rounds and returns what they found. */
  RaceReport run(int iterations) {
    long start = System.nanoTime();
    for (int r = 0; r < iterations; r++) {
      Plan plan = Plan.random(rng);
      try {
        round(r, plan);
      } catch (RuntimeException | Error e) {
        if (!skipLayoutBreak) {
          throw new RaceFailure("round " + r + " (" + plan.cut + ") failed with the layout break"
              + " on: " + e.getMessage(), e);
        }
        // Without the break, DMA into reused blocks may hit the filesystem's own metadata; such
        // a round is damage the harness found. Start over on a fresh filesystem.
        report.failedRound(r, e);
        drainTransfers();
        try {
          fs.unmount();
        } catch (RuntimeException damaged) {
          // The damaged filesystem is thrown away with the region's next format.
        }
        format();
      }
      report.iterations = r + 1;
    }
    drainTransfers();
    checkRecovery();
    report.elapsedNanos = System.nanoTime() - start;
    return report;
  }

  /** What one round does, drawn before it starts so that timing never changes later plans. */
  private record Plan(List<Planned> transfers, Cut cut, long delayNanos) {

    static Plan random(SplittableRandom rng) {
      long size = (long) FILE_PAGES * PAGE;
      int n = 1 + rng.nextInt(MAX_TRANSFERS);
      List<Planned> ts = new ArrayList<>();
      for (int tries = 0; ts.size() < n && tries < 100; tries++) {
        int len = DmaTag.RECORD_BYTES
            * (1 + rng.nextInt(MAX_TRANSFER_BYTES / DmaTag.RECORD_BYTES));
        long addr = DmaTag.RECORD_BYTES
            * rng.nextLong((size - len) / DmaTag.RECORD_BYTES + 1);
        Planned p = new Planned(rng.nextInt(DEVICES.size()), addr, len);
        if (ts.stream().noneMatch(q -> q.overlaps(p))) {
          ts.add(p);
        }
      }
      Planned hot = ts.get(rng.nextInt(ts.size()));
      RaceOp op = RaceOp.values()[rng.nextInt(RaceOp.values().length)];
      Cut cut = Cut.random(op, rng, size, hot.addr, hot.addr + hot.length);
      // Half the cuts come at once, the others part way into the shortest hold.
      long delay = rng.nextBoolean() ? 0 : rng.nextLong(500_000);
      return new Plan(List.copyOf(ts), cut, delay);
    }
  }

  /** A transfer of the plan: device, byte address in file A, length. */
  private record Planned(int device, long addr, int length) {
    boolean overlaps(Planned o) {
      return addr < o.addr + o.length && o.addr < addr + length;
    }

    long firstPage() {
      return addr / PAGE;
    }

    long lastPage() {
      return (addr + length - 1) / PAGE;
    }
  }

  /** The transfers of a round in flight: their futures, completion times and pinned frames. */
  private record InFlight(List<CompletableFuture<DmaCompletion>> futures,
      AtomicLongArray completedAt, Set<Long> pinnedInBreak) {}

  private void round(int r, Plan plan) {
    long size = (long) FILE_PAGES * PAGE;
    byte[] aData = pattern(seed, r, 'A', (int) size);
    byte[] bData = pattern(seed, r, 'B', OTHER_PAGES * PAGE);

    FileHandle a = fs.open(ROOT, FILE_A, FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0644);
    // B exists before the cut, so that its inode's log page is not what takes a freed block.
    FileHandle b = fs.open(ROOT, FILE_B, FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0644);
    CpuMapping m = null;
    try {
      fs.write(ROOT, a, 0, ByteBuffer.wrap(aData));
      // B gets an address space, so that its blocks carry it as owner in their descriptors and
      // a DMA write landing in one is seen as misdirected.
      fs.addressSpace(b);
      m = fs.mmap(ROOT, a, 0, size, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);

      FsStats stats = fs.stats();
      long waitsBefore = stats.layoutWaits.sum();
      long waitNanosBefore = stats.layoutWaitNanos.sum();
      long misdirectedBefore = dma.misdirectedWrites();

      InFlight inFlight = submit(plan, m);
      if (plan.delayNanos > 0) {
        LockSupport.parkNanos(plan.delayNanos);
      }
      plan.cut.apply(fs, ROOT, a);
      long returned = System.nanoTime();
      report.ops.merge(plan.cut.op().label(), 1L, Long::sum);

      fs.write(ROOT, b, 0, ByteBuffer.wrap(bData));
      PageDescriptors pages = fs.pageDescriptors();
      for (long pfn : inFlight.pinnedInBreak) {
        report.pinnedBlocksInBreak++;
        if (pages.describe(pfn).ownerInode() == b.ino()) {
          report.pinnedBlocksReused++;
        }
      }

      List<DmaCompletion> done = awaitAll(inFlight.futures);
      // The devices are done with A: fsync writes back what they dirtied and, with checksums,
      // clears the stale marks with fresh checksums, which the reads below then verify.
      fs.fsync(a, false);
      if (stats.layoutWaits.sum() > waitsBefore) {
        report.roundsThatWaited++;
        report.waits.add(stats.layoutWaitNanos.sum() - waitNanosBefore);
        long lastUnpin = 0;
        for (int i = 0; i < plan.transfers.size(); i++) {
          Planned p = plan.transfers.get(i);
          if (plan.cut.breaks(p.firstPage(), p.lastPage())) {
            lastUnpin = Math.max(lastUnpin, inFlight.completedAt.get(i));
          }
        }
        if (lastUnpin > 0) {
          report.breakReturn.add(Math.max(0, returned - lastUnpin));
        }
      }
      report.misdirectedWrites += dma.misdirectedWrites() - misdirectedBefore;
      check(r, plan, done, aData, a, bData, b);
    } finally {
      if (m != null) {
        m.close();
      }
      fs.release(a);
      fs.release(b);
      fs.unlink(ROOT, FILE_A);
      fs.unlink(ROOT, FILE_B);
    }
  }

  /**
   * Starts the plan's transfers on mapping {@code m} of A: each pins its pages now and writes
   * at the end of its device's hold. Notes when each completes and which page frames in the
   * cut's broken range they pinned.
   */
  private InFlight submit(Plan plan, CpuMapping m) {
    DaxAddressSpace space = m.space();
    int n = plan.transfers.size();
    List<CompletableFuture<DmaCompletion>> futures = new ArrayList<>(n);
    AtomicLongArray completedAt = new AtomicLongArray(n);
    Set<Long> pinnedInBreak = new LinkedHashSet<>();
    for (int i = 0; i < n; i++) {
      Planned p = plan.transfers.get(i);
      CompletableFuture<DmaCompletion> f = devices.get(p.device).writeTagged(m, p.addr, p.length);
      int slot = i;
      // Runs on the device's thread right after its unpin (or here, if it already finished).
      f.whenComplete((c, e) -> completedAt.set(slot, System.nanoTime()));
      futures.add(f);
      for (long page = p.firstPage(); page <= p.lastPage(); page++) {
        DaxEntry e = space.entry(page);
        if (plan.cut.breaks(page, page) && e.kind() == DaxEntry.Kind.PAGE) {
          pinnedInBreak.add(e.pfn());
        }
      }
    }
    return new InFlight(futures, completedAt, pinnedInBreak);
  }

  /**
   * Checks both files once every transfer has completed. The model of A is its data, every DMA
   * write (each landed before the cut changed the pages it wrote, or into pages the cut does
   * not change: what the layout break guarantees), then the cut; B must hold its pattern; the
   * tag records of A must be the model's, and B must hold none.
   */
  private void check(int r, Plan plan, List<DmaCompletion> done, byte[] aData, FileHandle a,
      byte[] bData, FileHandle b) {
    byte[] model = aData.clone();
    for (int i = 0; i < plan.transfers.size(); i++) {
      Planned p = plan.transfers.get(i);
      DmaCompletion c = done.get(i);
      byte[] tags = DmaTag.pattern(devices.get(p.device).id(), c.sequence(), p.length);
      System.arraycopy(tags, 0, model, (int) p.addr, p.length);
      report.dmaTransfers++;
      report.dmaWrites += c.pages();
    }
    model = plan.cut.expected(model);

    BitSet unreadableA = new BitSet();
    BitSet unreadableB = new BitSet();
    byte[] aNow = readAll(a, unreadableA);
    byte[] bNow = readAll(b, unreadableB);
    report.unreadableBlocks += unreadableA.cardinality() + unreadableB.cardinality();
    TagCount expected = TagCount.of(model);
    TagCount inA = TagCount.of(aNow);
    report.tagsExpected += expected.total();
    report.tagsLost += inA.missingFrom(expected);
    report.tagsStray += inA.beyond(expected) + TagCount.of(bNow).total();
    report.corrupted(r, differingPages(model, aNow, unreadableA),
        differingPages(bData, bNow, unreadableB));
  }

  private static List<DmaCompletion> awaitAll(List<CompletableFuture<DmaCompletion>> fs) {
    List<DmaCompletion> out = new ArrayList<>(fs.size());
    for (CompletableFuture<DmaCompletion> f : fs) {
      try {
        out.add(f.get(TRANSFER_WAIT_SECONDS, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RaceFailure("interrupted while waiting for DMA transfers", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof ErrnoException ee) {
          throw ee;
        }
        throw new RaceFailure("a DMA transfer failed: " + cause, cause);
      } catch (TimeoutException e) {
        throw new RaceFailure("a DMA transfer did not complete within " + TRANSFER_WAIT_SECONDS
            + " seconds", e);
      }
    }
    return out;
  }

  /**
   * Crashes a copy of the region now (every operation has returned, so everything is durable)
   * and mounts it: recovery, rebuilding the allocator from the logs alone, must find exactly the
   * free blocks the running filesystem has. A DMA write into a log page, or a block freed twice
   * or never, shows here.
   */
  private void checkRecovery() {
    HeapRegion image = HeapRegion.copyOf(region);
    try {
      DaxFs again = DaxFs.mount(image, MountOptions.defaults());
      try {
        report.recoveryFreeBlocksDelta = again.statfs().freeBlocks() - fs.statfs().freeBlocks();
      } finally {
        again.unmount();
      }
    } catch (RuntimeException e) {
      report.recoveryError = e.toString();
    }
  }

  /** Waits until no device holds a pin, after a failed round. */
  private void drainTransfers() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TRANSFER_WAIT_SECONDS);
    while (gup.stats().outstanding() != 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
  }

  /**
   * The file's bytes, page by page; a page whose read fails with EIO (a data checksum that no
   * longer matches, or a media error) reads as zeroes and is added to {@code unreadable}.
   */
  private byte[] readAll(FileHandle h, BitSet unreadable) {
    int size = (int) fs.getattr(h.ino()).size();
    byte[] out = new byte[size];
    for (int off = 0; off < size; off += PAGE) {
      ByteBuffer page = ByteBuffer.wrap(out, off, Math.min(PAGE, size - off));
      try {
        while (page.hasRemaining() && fs.read(h, page.position(), page) > 0) {
          // read on to the end of the page
        }
      } catch (ErrnoException e) {
        if (e.errno() != dev.daxfs.dax.Errno.EIO) {
          throw e;
        }
        java.util.Arrays.fill(out, off, off + Math.min(PAGE, size - off), (byte) 0);
        unreadable.set(off / PAGE);
      }
    }
    return out;
  }

  /** Pages (of the longer of the two) in which {@code want} and {@code got} differ. */
  static long differingPages(byte[] want, byte[] got) {
    return differingPages(want, got, new BitSet());
  }

  /**
   * Pages (of the longer of the two) in which {@code want} and {@code got} differ, counting
   * every page in {@code unreadable} as differing.
   */
  static long differingPages(byte[] want, byte[] got, BitSet unreadable) {
    int len = Math.max(want.length, got.length);
    long bad = 0;
    for (int off = 0; off < len; off += PAGE) {
      int end = Math.min(len, off + PAGE);
      if (unreadable.get(off / PAGE) || end > want.length || end > got.length
          || java.util.Arrays.mismatch(want, off, end, got, off, end) >= 0) {
        bad++;
      }
    }
    return bad;
  }

  /**
   * Bytes that differ per run, round, file and offset, and that never decode as a DMA tag
   * record (they lack its magic and checksum), so any tag found is a DMA write.
   */
  static byte[] pattern(long seed, int round, char file, int length) {
    byte[] out = new byte[length];
    ByteBuffer b = ByteBuffer.wrap(out);
    long x = seed * 0x9E3779B97F4A7C15L + round * 0xBF58476D1CE4E5B9L + file;
    for (int off = 0; off < length; off += 8) {
      x += 0x9E3779B97F4A7C15L;
      long z = x;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      b.putLong(off, z ^ (z >>> 31));
    }
    return out;
  }

  /** The gup instance of the run's devices (tests check that no pin is left). */
  Gup gup() {
    return gup;
  }

  @Override
  public void close() {
    try {
      dma.close();
    } finally {
      fs.unmount();
    }
  }

  /** The harness could not finish a round with the layout break on: a finding in itself. */
  static final class RaceFailure extends RuntimeException {
    RaceFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
