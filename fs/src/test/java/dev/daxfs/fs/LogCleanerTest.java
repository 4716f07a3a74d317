package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.shape;
import static dev.daxfs.fs.FsTesting.writeFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Log cleaning frees pages, never changes what the filesystem says, and survives crashes. */
class LogCleanerTest {

  /** Shape plus every inode's times: cleaning must leave all of it alone. */
  private static Map<String, String> state(DaxFs fs) {
    Map<String, String> out = new TreeMap<>(shape(fs));
    walkTimes(fs, "/", fs.rootIno(), out);
    return out;
  }

  private static void walkTimes(DaxFs fs, String path, long ino, Map<String, String> out) {
    Attr a = fs.getattr(ino);
    out.put(path + "#times", a.atime() + "/" + a.mtime() + "/" + a.ctime());
    if (a.isDir()) {
      for (DirEntry e : fs.readdir(ROOT, ino, 2, 10_000)) {
        out.put(path + "#cookie " + e.name(), Long.toString(e.cookie()));
        walkTimes(fs, path + e.name() + "/", e.ino(), out);
      }
    }
  }

  /** Many small changes that leave most log entries dead. */
  private static void churn(DaxFs fs, int rounds) {
    fs.mkdir(ROOT, "/d", 0755);
    FileHandle h = fs.open(ROOT, "/d/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    for (int i = 0; i < rounds; i++) {
      fs.write(ROOT, h, (i % 7) * 4096L, ByteBuffer.wrap(pattern(100, i)));
      fs.setattr(ROOT, h.ino(), SetAttr.create().mode(0600 + (i % 3)));
      fs.setxattr(ROOT, h.ino(), "user.k" + (i % 5), pattern(40, i), 0);
      writeFile(fs, "/d/tmp" + i, pattern(10, i));
      fs.rename(ROOT, "/d/tmp" + i, "/d/keep" + (i % 4), 0);
    }
    fs.release(h);
  }

  @Test
  void cleaningFreesPagesAndChangesNothingVisible() {
    HeapRegion region = new HeapRegion(64 << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults().backgroundCleaning(false));
    churn(fs, 400);
    Map<String, String> before = state(fs);
    long free = fs.statfs().freeBlocks();
    DaxFs.CleanResult r = fs.cleanAllLogs(false);
    assertTrue(r.pagesFreedFast() + r.pagesFreedThorough() > 0, r.toString());
    assertTrue(fs.statfs().freeBlocks() > free, "pages went back to the allocator");
    assertEquals(before, state(fs), "cleaning changed what the filesystem says");
    DaxFs.CleanResult again = fs.cleanAllLogs(true);
    assertEquals(before, state(fs), "a rewrite changed what the filesystem says");
    assertTrue(again.pagesFreedThorough() > 0);
    // A crash now (mount the same bytes again) and a clean remount both read the new logs.
    assertEquals(before, state(DaxFs.mount(HeapRegion.copyOf(region), MountOptions.defaults())));
    fs.unmount();
    assertEquals(before, state(DaxFs.mount(region, MountOptions.defaults())));
    assertEquals(0, Fsck.check(region, Fsck.Progress.NONE).exitCode());
    // New names after a rewrite never reuse the cookie of a removed one.
    DaxFs fs2 = DaxFs.mount(region, MountOptions.defaults());
    long dir = fs2.resolve(ROOT, "/d", true).ino();
    long maxCookie = fs2.readdir(ROOT, dir, 0, 10_000).stream()
        .mapToLong(DirEntry::cookie).max().orElse(0);
    writeFile(fs2, "/d/new", pattern(1, 1));
    assertTrue(fs2.readdir(ROOT, dir, 0, 10_000).stream().mapToLong(DirEntry::cookie).max()
        .orElse(0) > maxCookie);
  }

  /**
   * The worker runs on its own thread, so the test waits for the state it must reach (a log
   * under a quarter of what the churn wrote) rather than for a time; the deadline is a hang
   * guard. Once the churn stops, the log is either short or queued (it doubled since its last
   * cleaning), and a queued inode is cleaned, so the wait ends however slow the machine.
   */
  @Test
  void theBackgroundCleanerKeepsAChurningLogShort() {
    DaxFs fs = FsTesting.newFs();
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    int rounds = 5000;
    for (int i = 0; i < rounds; i++) {
      fs.setattr(ROOT, h.ino(), SetAttr.create().mode(0600 + (i % 2)));
    }
    Inode in = fs.volume().cache.get(h.ino());
    int full = rounds * 64 / LogPage.CAPACITY;
    Waiting.until(() -> fs.stats().logCleanings.sum() > 0 && logPages(in) < full / 4,
        () -> "the background cleaner shortening the log below " + full / 4 + " pages ("
            + rounds + " setattrs fill " + full + "; " + logPages(in) + " now, "
            + fs.stats().logCleanings.sum() + " cleanings)");
  }

  private static int logPages(Inode in) {
    in.lock.readLock().lock();
    try {
      return in.log.pageCount();
    } finally {
      in.lock.readLock().unlock();
    }
  }

  @Test
  void aCrashAtAnyFenceOfCleaningLeavesAFilesystemThatMountsAndChecksClean() {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(32 << 20));
    DaxFs.mkfs(region, MkfsOptions.defaults());
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    churn(fs, 120);
    Map<String, String> before = state(fs);
    List<String> failures = new ArrayList<>();
    long[] images = {0};
    region.addFenceListener((fence, r) -> {
      for (CrashImage image : r.crashPoint(CrashImageOptions.DEFAULT.withSamples(4)).images()) {
        images[0]++;
        try {
          DaxFs recovered = DaxFs.mount(image, MountOptions.defaults());
          if (!state(recovered).equals(before)) {
            failures.add("fence " + fence + ": state changed");
          }
          recovered.unmount();
          Fsck.Report report = Fsck.check(image, Fsck.Progress.NONE);
          if (report.exitCode() != 0) {
            failures.add("fence " + fence + ": fsck " + report.problems);
          }
        } catch (RuntimeException e) {
          failures.add("fence " + fence + ": " + e);
        }
      }
    });
    fs.cleanAllLogs(false);
    fs.cleanAllLogs(true);
    assertTrue(images[0] > 20, "only " + images[0] + " crash images");
    assertEquals(List.of(), failures);
  }

  @Test
  void fastCleaningNeverSeparatesANameFromItsRemoval() {
    HeapRegion region = new HeapRegion(32 << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults().backgroundCleaning(false));
    fs.mkdir(ROOT, "/d", 0755);
    long dir = fs.resolve(ROOT, "/d", true).ino();
    Inode d = fs.volume().cache.get(dir);
    // Pages full of adds, then pages of removals of most of them: an add's page may go only
    // with the page of its removal.
    for (int i = 0; i < 300; i++) {
      writeFile(fs, "/d/n" + i, pattern(1, i));
    }
    for (int i = 0; i < 220; i++) {
      fs.unlink(ROOT, "/d/n" + i);
    }
    for (int i = 0; i < 200; i++) {
      fs.setattr(ROOT, dir, SetAttr.create().mode(0700 + (i % 2)));
    }
    Map<String, String> before = state(fs);
    LogCleaner.Result r;
    d.lock.writeLock().lock();
    try {
      r = fs.volume().cleaner.fast(d);
    } finally {
      d.lock.writeLock().unlock();
    }
    assertTrue(r.pagesFreedFast() > 0, "nothing to collect: the test proves nothing");
    PmemRegion copy = HeapRegion.copyOf(fs.volume().region);
    assertEquals(before, state(DaxFs.mount(copy, MountOptions.defaults())),
        "after freeing " + r.pagesFreedFast() + " pages the log no longer replays");
  }

  @Test
  void aForegroundCleaningThatFailsLeavesTheCommittedOperationSuccessful() {
    HeapRegion region = FsTesting.formatted(16);
    DaxFs fs = FsTesting.mount(region);
    long dir = fs.mkdir(ROOT, "/d", 0755).ino();
    Inode d = fs.volume().cache.get(dir);
    int i = 0;
    while (d.log.pageCount() < LogCleaner.MIN_PAGES - 1) {
      fs.release(fs.createAndOpen(ROOT, dir, Name.of("f" + i), 0644,
          FileHandle.O_CREAT | FileHandle.O_EXCL | FileHandle.O_WRONLY));
      fs.unlink(ROOT, dir, Name.of("f" + i));
      i++;
    }
    // A media error where the next clean must record the head's old next pointer.
    region.poison(Layout.offset(d.log.pageBlocks()[0]) + LogPage.NEXT, 8);
    long cleanings = fs.stats().logCleanings.sum();
    for (int n = 0; n < 2000; n++, i++) {
      fs.release(fs.createAndOpen(ROOT, dir, Name.of("f" + i), 0644,
          FileHandle.O_CREAT | FileHandle.O_EXCL | FileHandle.O_WRONLY));
      fs.unlink(ROOT, dir, Name.of("f" + i));
    }
    assertTrue(d.log.pageCount() >= LogCleaner.MIN_PAGES, "the directory's log was due");
    assertEquals(cleanings, fs.stats().logCleanings.sum(), "no cleaning could succeed");
    assertEquals(2, fs.readdir(ROOT, dir, 0, 10).size(), "every create and unlink took effect");
  }
}
