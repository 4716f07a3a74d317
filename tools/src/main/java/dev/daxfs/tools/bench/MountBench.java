package dev.daxfs.tools.bench;

import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.MountReport;
import dev.daxfs.fs.Name;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Mount time of a filesystem holding many files: after a clean unmount (the allocator comes
 * from the checkpoint, inodes load lazily) and after a crash (every log is replayed). A crash
 * is a region closed while mounted: on an emulated region every store has reached the file,
 * so the next mount sees what a power cut after the last operation leaves.
 *
 * <p>The files are empty regular files, {@link #FILES_PER_DIR} to a directory. Each mount is
 * repeated {@link #REPEATS} times on the same region and the median is reported; the first
 * mount after population is not measured (it would include the JIT compiling recovery).
 */
final class MountBench {
  private MountBench() {}

  /** Files per directory. */
  static final int FILES_PER_DIR = 1000;

  /** Measured mounts of each kind. */
  static final int REPEATS = 3;

  /** What was measured. */
  record Result(
      int files,
      int dirs,
      long regionBytes,
      double populateSeconds,
      long[] cleanNanos,
      long[] crashNanos,
      MountReport clean,
      MountReport crash) {

    double cleanMedianMillis() {
      return medianMillis(cleanNanos);
    }

    double crashMedianMillis() {
      return medianMillis(crashNanos);
    }

    private static double medianMillis(long[] nanos) {
      double[] ms = new double[nanos.length];
      for (int i = 0; i < nanos.length; i++) {
        ms[i] = nanos[i] / 1e6;
      }
      return FsRounds.median(ms);
    }
  }

  /** Region bytes for {@code files} files: a log page and an inode slot each, and room. */
  static long regionBytesFor(int files) {
    long perFile = 4096 + 4096 / 31 + 64;
    long bytes = (64L << 20) + files * perFile;
    return (bytes + (1 << 20) - 1) & ~((1L << 20) - 1);
  }

  static Result measure(int files, FlushModel model, boolean checksums) throws IOException {
    Path file = Files.createTempFile(Regions.DEFAULT_DIRECTORY, "daxfs-bench-", ".region");
    Files.delete(file);
    long size = regionBytesFor(files);
    RegionOptions create = RegionOptions.create(size)
        .withBackend(RegionOptions.Backend.EMULATED)
        .withFlushModel(model);
    try {
      int dirs = (files + FILES_PER_DIR - 1) / FILES_PER_DIR;
      double populate;
      try (PmemRegion region = Regions.open(file, create)) {
        DaxFs.mkfs(region, MkfsOptions.defaults().dataChecksums(checksums));
        DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
        long t0 = System.nanoTime();
        populate(fs, files, dirs);
        populate = (System.nanoTime() - t0) / 1e9;
        fs.unmount();
      }
      RegionOptions existing = RegionOptions.existing()
          .withBackend(RegionOptions.Backend.EMULATED)
          .withFlushModel(model);
      // Clean: mount, unmount; the first pass warms up.
      long[] clean = new long[REPEATS];
      MountReport cleanReport = null;
      for (int i = -1; i < REPEATS; i++) {
        try (PmemRegion region = Regions.open(file, existing)) {
          long t = System.nanoTime();
          DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
          long took = System.nanoTime() - t;
          cleanReport = fs.mountReport();
          fs.unmount();
          if (i >= 0) {
            clean[i] = took;
          }
        }
      }
      // Crash: each mount is abandoned without unmounting, so the next one recovers; the
      // first pass (after the clean unmount above) only leaves the filesystem mounted.
      long[] crash = new long[REPEATS];
      MountReport crashReport = null;
      for (int i = -1; i < REPEATS; i++) {
        try (PmemRegion region = Regions.open(file, existing)) {
          long t = System.nanoTime();
          // No background cleaner: nothing may touch the region once it is closed under the
          // abandoned mount (the cleaner starts only on a commit, which these mounts never see).
          DaxFs fs = DaxFs.mount(region, MountOptions.defaults().backgroundCleaning(false));
          long took = System.nanoTime() - t;
          if (i >= 0) {
            crash[i] = took;
            crashReport = fs.mountReport();
          }
        }
      }
      if (!cleanReport.clean() || crashReport.clean()) {
        throw new IllegalStateException("the mounts did not go as planned: after the clean "
            + "unmount \"" + cleanReport.reason() + "\", after the crash \""
            + crashReport.reason() + "\"");
      }
      return new Result(files, dirs, size, populate, clean, crash, cleanReport, crashReport);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static void populate(DaxFs fs, int files, int dirs) {
    Cred root = Cred.root();
    int made = 0;
    for (int d = 0; d < dirs; d++) {
      long dir = fs.mkdir(root, fs.rootIno(), Name.of("d" + d), 0755).ino();
      for (int f = 0; f < FILES_PER_DIR && made < files; f++, made++) {
        fs.create(root, dir, Name.of("f" + f), 0644);
      }
    }
  }
}
