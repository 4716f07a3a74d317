package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Crash images taken at every fence of a workload all mount, can be walked and read, and stay
 * usable. (The full model check of the visible state lives in the crash-consistency suite.)
 */
class CrashRecoveryTest {

  private static final Cred ROOT = Cred.root();

  @Test
  void everyCrashImageMountsAndIsUsable() {
    List<String> failures = run(MountOptions.defaults());
    if (!failures.isEmpty()) {
      fail(failures.size() + " crash images failed, first: " + failures.get(0));
    }
  }

  @Test
  void recoveryThatIgnoresTheJournalIsCaught() {
    TestSwitches bug = new TestSwitches();
    bug.ignoreActiveJournal = true;
    List<String> failures = run(MountOptions.defaults().testSwitches(bug));
    assertTrue(!failures.isEmpty(), "no crash image showed the ignored journal");
  }

  /** Runs the workload, checking every crash image with {@code recovery}; returns failures. */
  private static List<String> run(MountOptions recovery) {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(16 << 20));
    DaxFs.mkfs(region, MkfsOptions.defaults());
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    List<String> failures = new ArrayList<>();
    long[] images = new long[1];
    CrashImageOptions options = CrashImageOptions.DEFAULT.withSamples(8);
    region.addFenceListener((fence, r) -> {
      CrashPoint point = r.crashPoint(options);
      for (CrashImage image : point.images()) {
        images[0]++;
        try {
          check(image, recovery);
        } catch (RuntimeException | AssertionError e) {
          failures.add("fence " + fence + " image " + image.index() + ": " + e);
        }
      }
    });
    fs.mkdir(ROOT, "/a", 0755);
    FileHandle h = fs.open(ROOT, "/a/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[9000]));
    fs.write(ROOT, h, 4000, ByteBuffer.wrap(new byte[] {7, 7, 7}));
    fs.link(ROOT, "/a/f", "/l");
    fs.rename(ROOT, "/a/f", "/g", 0);
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(100));
    fs.fallocate(ROOT, h, 0, 0, 20000);
    fs.unlink(ROOT, "/g");
    fs.unlink(ROOT, "/l");
    fs.release(h);
    fs.rmdir(ROOT, "/a");
    assertTrue(images[0] > 50, "only " + images[0] + " images checked");
    return failures;
  }

  /** Mounts an image, walks and reads everything, and makes a change. */
  private static void check(CrashImage image, MountOptions recovery) {
    DaxFs fs = DaxFs.mount(image, recovery);
    walk(fs, fs.rootIno(), 0);
    fs.mkdir(ROOT, fs.rootIno(), Name.of("after-crash"), 0755);
    fs.unmount();
    DaxFs again = DaxFs.mount(image, MountOptions.defaults());
    assertTrue(again.mountReport().clean(), again.mountReport().reason());
    walk(again, again.rootIno(), 0);
  }

  private static void walk(DaxFs fs, long dir, int depth) {
    for (DirEntry e : fs.readdir(ROOT, dir, 2, 1000)) {
      Attr a = fs.getattr(e.ino());
      if (a.isDir()) {
        walk(fs, a.ino(), depth + 1);
      } else if (a.isRegular()) {
        FileHandle h = fs.open(ROOT, a.ino(), FileHandle.O_RDONLY | FileHandle.O_NOATIME);
        ByteBuffer b = ByteBuffer.allocate((int) a.size() + 1);
        int n = fs.read(h, 0, b);
        if (n != a.size()) {
          throw new AssertionError("read " + n + " of " + a.size() + " bytes of " + e.name());
        }
        fs.release(h);
      }
    }
  }
}
