package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Figures for the reliability report, run by hand (never timed assertions):
 *
 * <pre>
 * mvn -B -q -o -pl fs -am test -Dtest=ReliabilityFiguresTest -Ddaxfs.figures=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * then read {@code fs/target/surefire-reports/dev.daxfs.fs.ReliabilityFiguresTest-output.txt}.
 * fsck time per 100,000 files ({@code daxfs.figures.files}, default 100000, on an emulated
 * region in /dev/shm), and log cleaning throughput (pages freed and entries rewritten per
 * second) for churned logs.
 */
@EnabledIfSystemProperty(named = "daxfs.figures", matches = "true")
class ReliabilityFiguresTest {

  private static final int P = 4096;

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  @Test
  void fsckTimePerHundredThousandFiles() throws Exception {
    int files = Integer.getInteger("daxfs.figures.files", 100_000);
    int perDir = 1000;
    long blocks = 64L * 1024 + files * 3L;
    Path path = Path.of("/dev/shm", "daxfs-figures-" + ProcessHandle.current().pid());
    Files.deleteIfExists(path);
    try (PmemRegion region = Regions.open(path, RegionOptions.create(blocks * P))) {
      DaxFs.mkfs(region, MkfsOptions.defaults());
      DaxFs fs = DaxFs.mount(region, MountOptions.defaults().backgroundCleaning(false));
      long t0 = System.nanoTime();
      byte[] data = FsTesting.pattern(100, 1);
      long dir = 0;
      for (int i = 0; i < files; i++) {
        if (i % perDir == 0) {
          dir = fs.mkdir(ROOT, fs.rootIno(), Name.of("d" + i / perDir), 0755).ino();
        }
        Attr a = fs.create(ROOT, dir, Name.of("f" + i), 0644);
        FileHandle h = fs.open(ROOT, a.ino(), FileHandle.O_WRONLY);
        fs.write(ROOT, h, 0, ByteBuffer.wrap(data));
        fs.release(h);
      }
      long built = System.nanoTime() - t0;
      fs.unmount();
      List<Long> runs = new ArrayList<>();
      Fsck.Report last = null;
      for (int i = 0; i < 3; i++) {
        long s = System.nanoTime();
        last = Fsck.check(region, Fsck.Progress.NONE);
        runs.add(System.nanoTime() - s);
      }
      assertEquals(0, last.exitCode());
      runs.sort(null);
      long s = System.nanoTime();
      DaxFs clean = DaxFs.mount(region, MountOptions.defaults());
      long cleanMount = System.nanoTime() - s;
      clean.unmount();
      Corruptions.editSuperblock(region, true, true, b -> b.putLong(96,
          Superblock.STATE_MOUNTED));
      s = System.nanoTime();
      DaxFs scanned = DaxFs.mount(region, MountOptions.defaults());
      long scanMount = System.nanoTime() - s;
      scanned.unmount();
      double per100k = ms(runs.get(1)) * 100_000 / files;
      System.out.printf("fsck: %d files in %d directories (%s, %d blocks), built in %.0f ms%n",
          files, files / perDir, region.describe(), blocks, ms(built));
      System.out.printf("fsck: check took %.0f / %.0f / %.0f ms (min / median / max of 3); "
          + "median per 100,000 files: %.0f ms; counts %s%n", ms(runs.get(0)), ms(runs.get(1)),
          ms(runs.get(2)), per100k, last.counts);
      System.out.printf("fsck: for comparison, a clean mount took %.0f ms and a mount that "
          + "replays every log %.0f ms%n", ms(cleanMount), ms(scanMount));
    } finally {
      Files.deleteIfExists(path);
    }
  }

  @Test
  void logCleaningThroughput() {
    MountOptions manual = MountOptions.defaults().backgroundCleaning(false);
    // 1. Fast cleaning of one long churned log: every page but the head and the tail's dead.
    HeapRegion r1 = FsTesting.formatted(256);
    DaxFs fs = DaxFs.mount(r1, manual);
    long f = FsTesting.writeFile(fs, "/f", FsTesting.pattern(100, 1)).ino();
    for (int i = 0; i < 200_000; i++) {
      fs.setattr(ROOT, f, SetAttr.create().mtime(1_000_000_000L + i));
    }
    int pages = fs.volume().cache.get(f).log.pageCount();
    long s = System.nanoTime();
    DaxFs.CleanResult fast = fs.cleanLog(f, false);
    long t = System.nanoTime() - s;
    assertTrue(fast.pagesFreedFast() + fast.pagesFreedThorough() > pages / 2);
    System.out.printf("cleaning: one log of %d pages (200,000 setattrs): fast %d + thorough %d "
        + "pages freed in %.1f ms = %.0f pages/s%n", pages, fast.pagesFreedFast(),
        fast.pagesFreedThorough(), ms(t), (fast.pagesFreedFast() + fast.pagesFreedThorough())
            / (t / 1e9));

    // 2. Thorough cleaning of a directory: live names among many dead ones.
    long d = fs.mkdir(ROOT, "/dir", 0755).ino();
    for (int i = 0; i < 60_000; i++) {
      fs.create(ROOT, d, Name.of("n" + i), 0644);
      if (i % 4 != 0) {
        fs.unlink(ROOT, d, Name.of("n" + i));
      }
    }
    Inode dir = fs.volume().cache.get(d);
    int dirPages = dir.log.pageCount();
    s = System.nanoTime();
    DaxFs.CleanResult thorough = fs.cleanLog(d, true);
    t = System.nanoTime() - s;
    long entries = dir.log.entryCount();
    assertTrue(thorough.pagesFreedThorough() > 0);
    System.out.printf("cleaning: directory log of %d pages, 15,000 live of 60,000 names: fast %d"
        + " + thorough %d pages freed, %d entries rewritten into %d pages, in %.1f ms = %.0f "
        + "entries/s, %.0f pages freed/s%n", dirPages, thorough.pagesFreedFast(),
        thorough.pagesFreedThorough(), entries, dir.log.pageCount(), ms(t), entries / (t / 1e9),
        (thorough.pagesFreedFast() + thorough.pagesFreedThorough()) / (t / 1e9));
    fs.unmount();

    // 3. Many small churned logs, cleaned in one call.
    HeapRegion r3 = FsTesting.formatted(512);
    DaxFs many = DaxFs.mount(r3, manual);
    int n = 5_000;
    for (int i = 0; i < n; i++) {
      long ino = FsTesting.writeFile(many, "/m" + i, FsTesting.pattern(10, i)).ino();
      for (int k = 0; k < 160; k++) {
        many.setxattr(ROOT, ino, "user.x", FsTesting.pattern(40, k), 0);
      }
    }
    long totalPages = 0;
    for (Inode in : many.volume().cache.all()) {
      totalPages += in.log.pageCount();
    }
    s = System.nanoTime();
    // Thorough: a replaced xattr's entry is the tombstone of the one it replaced, so an xattr
    // churn leaves no page that fast cleaning alone may drop.
    DaxFs.CleanResult all = many.cleanAllLogs(true);
    t = System.nanoTime() - s;
    long freed = all.pagesFreedFast() + all.pagesFreedThorough();
    assertTrue(freed > 0);
    System.out.printf("cleaning: %d churned logs (%d pages): fast %d + thorough %d pages freed "
        + "in %.0f ms = %.0f pages/s%n", all.inodes(), totalPages, all.pagesFreedFast(),
        all.pagesFreedThorough(), ms(t), freed / (t / 1e9));
    many.unmount();
  }
}
