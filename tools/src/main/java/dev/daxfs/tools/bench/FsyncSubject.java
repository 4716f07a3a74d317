package dev.daxfs.tools.bench;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.Scrub;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One mode of {@code daxfs bench fsync}: a filesystem with data checksums, freshly formatted on
 * its own emulated region in /dev/shm and mounted with one pinned_fsync setting, holding one
 * 1 MiB file written through write() and mapped for read and write, every page faulted in for
 * read; and, unless it is the baseline, a device that keeps the whole range pinned short-term.
 * A turn writes a few bytes into the range and fsyncs, over and over, timing each fsync.
 */
final class FsyncSubject implements Closeable {

  /** The range a device pins and fsync covers: 1 MiB, 256 pages. */
  static final int RANGE = 1 << 20;

  /** Pages in {@link #RANGE}. */
  static final int PAGES = RANGE / PmemRegion.PAGE_SIZE;

  /** Bytes each write() stores before an fsync: one long, the write's number. */
  static final int WRITE_BYTES = Long.BYTES;

  /**
   * Region size: the file, and room for its log, which grows by an entry for every stale mark
   * a pin sets and every one an fsync clears, and which the cleaner reclaims only behind them.
   */
  static final long REGION_BYTES = 128 * Sizes.MiB;

  /** The path of the pinned file. */
  private static final String FILE = "/pinned";

  /** Every operation runs as root. */
  private static final Cred ROOT = Cred.root();

  /** Name in the report: "baseline", "wait" or "proceed". */
  final String name;

  /** The region file, removed on close. */
  private final Path file;

  /** The region the filesystem is formatted on. */
  private final PmemRegion region;

  /** The mounted filesystem. */
  private final DaxFs fs;

  /** The pinned file, open read-write. */
  private final FileHandle handle;

  /** The whole file mapped for read and write: what the device pins through. */
  private final CpuMapping mapping;

  /** The device pinning the range, or null for the baseline. */
  private final DeviceLoop device;

  /** Every fsync latency of the recorded turns. */
  final Latencies fsyncs = new Latencies();

  /** The recorded turns, in order. */
  final List<Turn> turns = new ArrayList<>();

  /** The source of each write(); its first long is the write's number. */
  private final ByteBuffer src = ByteBuffer.allocate(WRITE_BYTES);

  /** Writes so far: picks the next offset and the bytes stored. */
  private long writes;

  private FsyncSubject(String name, Path file, PmemRegion region, DaxFs fs, FileHandle handle,
      CpuMapping mapping, DeviceLoop device) {
    this.name = name;
    this.file = file;
    this.region = region;
    this.fs = fs;
    this.handle = handle;
    this.mapping = mapping;
    this.device = device;
  }

  /**
   * Formats a region with data checksums, mounts it with {@code pinnedFsync}, writes and maps
   * the file. With a {@code dma} emulator a device named after the subject pins the range for
   * {@code hold} per transfer once a turn starts; without one, nothing pins it (the baseline).
   */
  static FsyncSubject open(String name, MountOptions.PinnedFsync pinnedFsync, DmaEmulator dma,
      Duration hold) throws IOException {
    Path file = BenchFiles.newFile(".region");
    Files.delete(file);
    PmemRegion region = null;
    DaxFs fs = null;
    try {
      region = Regions.open(file, RegionOptions.create(REGION_BYTES)
          .withBackend(RegionOptions.Backend.EMULATED));
      // Real pmem takes no page faults; neither should the measured fsyncs.
      for (long off = 0; off < REGION_BYTES; off += PmemRegion.PAGE_SIZE) {
        region.storeByte(off, (byte) 0);
      }
      DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(true));
      fs = DaxFs.mount(region, MountOptions.defaults().pinnedFsync(pinnedFsync));
      FileHandle h = fs.open(ROOT, FILE, FileHandle.O_CREAT | FileHandle.O_EXCL
          | FileHandle.O_RDWR, 0644);
      byte[] data = new byte[RANGE];
      for (int i = 0; i < RANGE; i++) {
        data[i] = (byte) (i * 31 + (i >>> 12) + 1);
      }
      fs.write(ROOT, h, 0, ByteBuffer.wrap(data));
      CpuMapping m = fs.mmap(ROOT, h, 0, RANGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
      // Read faults map every page, so every subject's write() stores in place into a page a
      // mapping holds, device or not; the device's pins then take write faults.
      for (long off = 0; off < RANGE; off += PmemRegion.PAGE_SIZE) {
        m.loadByte(off);
      }
      fs.fsync(h, false);
      DeviceLoop device = dma == null ? null
          : new DeviceLoop(dma.createDevice(DeviceSpec.named("nic-" + name).withHold(hold)), m,
              RANGE);
      return new FsyncSubject(name, file, region, fs, h, m, device);
    } catch (IOException | RuntimeException | Error e) {
      if (fs != null) {
        fs.close();
      }
      if (region != null) {
        region.close();
      }
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** Whether a device pins the range during turns. */
  boolean pinned() {
    return device != null;
  }

  /** The flush model of the region. */
  FlushModel flushModel() {
    return region.flushModel();
  }

  /** The region, for the report's description. */
  String describe() {
    return "daxfs with data checksums on " + region.describe();
  }

  /**
   * What one turn measured.
   *
   * @param fsyncs fsyncs completed
   * @param nanos wall time of the writes and fsyncs, from the device's start to the last fsync
   * @param p50Micros median fsync latency of the turn
   * @param staleAfterLastFsync stale blocks a scrub found right after the last fsync returned
   * @param mismatches blocks that scrub found not matching their checksum (must be none)
   * @param device what the device did (nothing for the baseline)
   */
  record Turn(long fsyncs, long nanos, double p50Micros, long staleAfterLastFsync,
      long mismatches, DeviceLoop.Run device) {}

  /**
   * Starts the device (if any), writes and fsyncs for {@code nanos}, scrubs right after the
   * last fsync while the device starts no new transfer, and stops the device.
   *
   * @param record whether the fsync latencies go into {@link #fsyncs} (not during warm-up)
   */
  Turn turn(long nanos, boolean record) throws InterruptedException {
    if (device != null) {
      device.start();
    }
    Latencies mine = new Latencies();
    long count = 0;
    long start = System.nanoTime();
    long end = start + nanos;
    Scrub.Report scrub;
    DeviceLoop.Run run = new DeviceLoop.Run(0, 0, 0);
    long now;
    try {
      do {
        writeFewBytes();
        long before = System.nanoTime();
        fs.fsync(handle, false);
        now = System.nanoTime();
        mine.add(now - before);
        if (record) {
          fsyncs.add(now - before);
        }
        count++;
      } while (now < end);
      scrub = device == null ? Scrub.run(fs) : device.withoutNewTransfers(() -> Scrub.run(fs));
    } finally {
      if (device != null) {
        run = device.stop();
      }
    }
    Turn t = new Turn(count, now - start, mine.percentileMicros(50),
        scrub.staleBlocks, scrub.mismatches.size(), run);
    if (record) {
      turns.add(t);
    }
    return t;
  }

  /** Stores the next write's number at the next offset: page after page, then a long further. */
  private void writeFewBytes() {
    long n = writes++;
    long off = (n % PAGES) * PmemRegion.PAGE_SIZE
        + (n / PAGES) * WRITE_BYTES % PmemRegion.PAGE_SIZE;
    src.clear();
    src.putLong(0, n);
    try {
      fs.write(ROOT, handle, off, src);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOSPC) {
        throw new IllegalStateException("daxfs filled its " + Sizes.format(REGION_BYTES)
            + " region with log entries faster than the cleaner reclaimed them", e);
      }
      throw e;
    }
  }

  /** What the filesystem looks like once the device has gone and one fsync ran. */
  record Released(long stale, long verified, long mismatches, long bytesRead,
      long checksumErrors, long misdirectedWrites) {}

  /**
   * With the device stopped (after the last turn), fsyncs once and verifies: a scrub of every
   * block, and a read() of the whole file, which fails with EIO on a checksum mismatch.
   */
  Released release() {
    fs.fsync(handle, false);
    Scrub.Report scrub = Scrub.run(fs);
    ByteBuffer all = ByteBuffer.allocate(RANGE);
    long read = 0;
    int n;
    while (all.hasRemaining() && (n = fs.read(handle, all.position(), all)) > 0) {
      read += n;
    }
    return new Released(scrub.staleBlocks, scrub.blocksVerified, scrub.mismatches.size(), read,
        fs.stats().checksumErrors.sum(), device == null ? 0 : device.misdirectedWrites());
  }

  @Override
  public void close() throws IOException {
    try {
      if (device != null) {
        device.close();
      }
      mapping.close();
      fs.release(handle);
      fs.unmount();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping the device of " + name, e);
    } finally {
      region.close();
      Files.deleteIfExists(file);
    }
  }
}
