package dev.daxfs.tools.bench;

import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The limit: the region itself, as large as one data file, with no filesystem; the random and
 * the sequential operations share it. A write is {@link PmemRegion#storePersist} (store,
 * flush, fence: what a durable write costs at least), a read is {@link PmemRegion#load}, at the
 * same offsets the filesystems use. It has no files, so it does not create.
 */
final class RawSubject implements FsSubject {

  /** The region file, removed on close. */
  private final Path file;

  /** The region, every page faulted in. */
  private final PmemRegion region;

  /** Positions in the workload. */
  private final FsWorkload.Cursor cursor;

  /** What writes store. */
  private final byte[] src;

  /** Where reads land. */
  private final byte[] dst = new byte[FsWorkload.CHUNK];

  /** Folded read bytes. */
  private long sink;

  private RawSubject(Path file, PmemRegion region, FsWorkload w) {
    this.file = file;
    this.region = region;
    this.cursor = new FsWorkload.Cursor(w);
    this.src = w.pattern;
    for (long off = 0; off < w.fileBytes; off += FsWorkload.CHUNK) {
      region.storePersist(off, src, 0, FsWorkload.CHUNK);
    }
  }

  static RawSubject open(FsWorkload w, FlushModel model) throws IOException {
    Path file = Files.createTempFile(Regions.DEFAULT_DIRECTORY, "daxfs-bench-", ".raw");
    Files.delete(file);
    PmemRegion region = null;
    try {
      region = Regions.open(file, RegionOptions.create(w.fileBytes)
          .withBackend(RegionOptions.Backend.EMULATED)
          .withFlushModel(model));
      return new RawSubject(file, region, w);
    } catch (IOException | RuntimeException | Error e) {
      if (region != null) {
        region.close();
      }
      Files.deleteIfExists(file);
      throw e;
    }
  }

  @Override
  public String name() {
    return "raw";
  }

  @Override
  public String describe() {
    return "raw: store+flush+fence and load on " + region.describe();
  }

  @Override
  public boolean supports(FsOp op) {
    return op != FsOp.CREATE;
  }

  @Override
  public void run(FsOp op, int n) {
    switch (op) {
      case RAND_WRITE_4K -> {
        for (int i = 0; i < n; i++) {
          region.storePersist(cursor.nextRandom(), src, 0, FsWorkload.PAGE);
        }
      }
      case RAND_READ_4K -> {
        long s = 0;
        for (int i = 0; i < n; i++) {
          region.load(cursor.nextRandom(), dst, 0, FsWorkload.PAGE);
          s += dst[i & (FsWorkload.PAGE - 1)];
        }
        sink += s;
      }
      case SEQ_WRITE_1M -> {
        for (int i = 0; i < n; i++) {
          region.storePersist(cursor.nextSequential(), src, 0, FsWorkload.CHUNK);
        }
      }
      case SEQ_READ_1M, SEQ_READ_1M_SCATTERED -> {
        long s = 0;
        for (int i = 0; i < n; i++) {
          region.load(cursor.nextSequential(), dst, 0, FsWorkload.CHUNK);
          s += dst[i & (FsWorkload.PAGE - 1)];
        }
        sink += s;
      }
      case CREATE -> throw new UnsupportedOperationException("raw memory has no files");
    }
  }

  @Override
  public long sink() {
    return sink;
  }

  @Override
  public void close() throws IOException {
    try {
      region.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
