package dev.daxfs.tools.bench;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.Name;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * daxfs through its Java API, freshly formatted on an emulated region in /dev/shm whose pages
 * are all faulted in first (real pmem takes no page faults, and the baselines take none
 * either). Heap buffers: the region copies straight from and to their arrays.
 */
final class DaxfsSubject implements FsSubject {

  /** open(2) flags of a create: O_CREAT | O_EXCL | O_WRONLY, as creat(2) with O_EXCL. */
  private static final int CREATE_FLAGS = FileHandle.O_CREAT | FileHandle.O_EXCL
      | FileHandle.O_WRONLY;

  /** The JSON name: "daxfs", or "daxfs_crc" with data checksums. */
  private final String name;

  /** The region file, removed on close. */
  private final Path file;

  /** The region daxfs is formatted on. */
  private final PmemRegion region;

  /** The same region when it counts persistence work, else null. */
  private final CountingRegion counter;

  /** The mounted filesystem. */
  private final DaxFs fs;

  /** Every operation runs as root, as a FUSE request from root would. */
  private final Cred cred = Cred.root();

  /** The file of the 4 KiB random operations, open read-write. */
  private final FileHandle randomFile;

  /** The file of the 1 MiB sequential operations, open read-write. */
  private final FileHandle sequentialFile;

  /** The directory creates happen in. */
  private final long dir;

  /** The names creates use, built once so that building them is not measured. */
  private final Name[] names = new Name[FsWorkload.NAMES];

  /** Positions in the workload. */
  private final FsWorkload.Cursor cursor;

  /** Sources and destinations of the transfers. */
  private final ByteBuffer src4k;

  private final ByteBuffer src1m;
  private final ByteBuffer dst4k = ByteBuffer.allocate(FsWorkload.PAGE);
  private final ByteBuffer dst1m = ByteBuffer.allocate(FsWorkload.CHUNK);

  /** Folded read bytes. */
  private long sink;

  private DaxfsSubject(String name, Path file, PmemRegion region, DaxFs fs, FsWorkload w) {
    this.name = name;
    this.file = file;
    this.region = region;
    this.counter = region instanceof CountingRegion c ? c : null;
    this.fs = fs;
    this.cursor = new FsWorkload.Cursor(w);
    this.src4k = ByteBuffer.wrap(w.pattern, 0, FsWorkload.PAGE).slice();
    this.src1m = ByteBuffer.wrap(w.pattern);
    this.dir = fs.mkdir(cred, fs.rootIno(), Name.of("bench"), 0755).ino();
    for (int i = 0; i < names.length; i++) {
      names[i] = Name.of(FsWorkload.name(i));
    }
    this.randomFile = createFilled(w, "random");
    this.sequentialFile = createFilled(w, "sequential");
  }

  private FileHandle createFilled(FsWorkload w, String name) {
    FileHandle h = fs.createAndOpen(cred, fs.rootIno(), Name.of(name), 0644,
        FileHandle.O_CREAT | FileHandle.O_EXCL | FileHandle.O_RDWR);
    for (long off = 0; off < w.fileBytes; off += FsWorkload.CHUNK) {
      write(h, off, src1m);
    }
    return h;
  }

  /**
   * Formats a new region of {@code regionBytes} in /dev/shm and writes the two data files.
   *
   * @param checksums format with data checksums (mkfs option)
   * @param counting put a {@link CountingRegion} between daxfs and the region
   */
  static DaxfsSubject open(FsWorkload w, long regionBytes, FlushModel model, boolean checksums,
      boolean counting) throws IOException {
    Path file = Files.createTempFile(Regions.DEFAULT_DIRECTORY, "daxfs-bench-", ".region");
    Files.delete(file);
    PmemRegion region = null;
    try {
      region = Regions.open(file, RegionOptions.create(regionBytes)
          .withBackend(RegionOptions.Backend.EMULATED)
          .withFlushModel(model));
      if (counting) {
        region = new CountingRegion(region);
      }
      for (long off = 0; off < regionBytes; off += FsWorkload.PAGE) {
        region.storeByte(off, (byte) 0);
      }
      DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(checksums));
      DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
      return new DaxfsSubject(checksums ? "daxfs_crc" : "daxfs", file, region, fs, w);
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
    return name;
  }

  @Override
  public String describe() {
    return "daxfs" + (fs.dataChecksums() ? " with data checksums" : "") + " on "
        + region.describe();
  }

  @Override
  public boolean supports(FsOp op) {
    return true;
  }

  @Override
  public void run(FsOp op, int n) {
    try {
      switch (op) {
        case RAND_WRITE_4K -> {
          for (int i = 0; i < n; i++) {
            write(randomFile, cursor.nextRandom(), src4k);
          }
        }
        case RAND_READ_4K -> {
          for (int i = 0; i < n; i++) {
            read(randomFile, cursor.nextRandom(), dst4k, i);
          }
        }
        case SEQ_WRITE_1M -> {
          for (int i = 0; i < n; i++) {
            write(sequentialFile, cursor.nextSequential(), src1m);
          }
        }
        case SEQ_READ_1M -> {
          for (int i = 0; i < n; i++) {
            read(sequentialFile, cursor.nextSequential(), dst1m, i);
          }
        }
        case SEQ_READ_1M_SCATTERED -> {
          for (int i = 0; i < n; i++) {
            read(randomFile, cursor.nextSequential(), dst1m, i);
          }
        }
        case CREATE -> {
          for (int i = 0; i < n; i++) {
            Name nm = names[cursor.nextName()];
            fs.release(fs.createAndOpen(cred, dir, nm, 0644, CREATE_FLAGS));
            fs.unlink(cred, dir, nm);
          }
        }
        default -> throw new IllegalArgumentException("no operation " + op);
      }
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOSPC) {
        throw new IllegalStateException("daxfs filled its " + Sizes.format(region.size())
            + " region during the run (copy-on-write and logs awaiting cleaning need room);"
            + " give it more with --region-size", e);
      }
      throw e;
    }
  }

  private void write(FileHandle h, long off, ByteBuffer src) {
    src.clear();
    fs.write(cred, h, off, src);
  }

  private void read(FileHandle h, long off, ByteBuffer dst, int i) {
    dst.clear();
    int got = fs.read(h, off, dst);
    if (got != dst.capacity()) {
      throw new IllegalStateException("daxfs read " + got + " bytes at " + off + " where "
          + dst.capacity() + " were expected");
    }
    sink += dst.get(i & (FsWorkload.PAGE - 1));
  }

  /** What daxfs has stored, flushed and fenced, or null when not counting. */
  CountingRegion counter() {
    return counter;
  }

  @Override
  public long sink() {
    return sink;
  }

  @Override
  public void close() throws IOException {
    try {
      fs.release(randomFile);
      fs.release(sequentialFile);
      fs.unmount();
    } finally {
      region.close();
      Files.deleteIfExists(file);
    }
  }
}
