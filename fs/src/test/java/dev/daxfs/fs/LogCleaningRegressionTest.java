package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.formatted;
import static dev.daxfs.fs.FsTesting.mount;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.utf8;
import static dev.daxfs.fs.FsTesting.writeFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.HeapRegion;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The smallest reproductions of what the stress tests found in log cleaning. */
class LogCleaningRegressionTest {

  /** Appends dead setattr entries until the log's tail moves to a new page. */
  private static void toNextPage(DaxFs fs, long ino) {
    Inode in = fs.volume().cache.get(ino);
    int start = in.log.tailPageIndex();
    for (int i = 0; in.log.tailPageIndex() == start; i++) {
      fs.setattr(ROOT, ino, SetAttr.create().mtime(1_000_000_000L + i));
    }
  }

  /**
   * An xattr set twice and then removed: the removal keeps only the second setter from coming
   * back. Fast cleaning frees the pages of the second setter and of the removal together, the
   * first setter's page stays (it is the head), and replay resurrects the removed attribute
   * with its first value.
   */
  @Test
  void aRemovedXattrDoesNotComeBackAfterFastCleaning() {
    HeapRegion r = formatted(16);
    DaxFs fs = DaxFs.mount(r, MountOptions.defaults().backgroundCleaning(false));
    long f = writeFile(fs, "/f", pattern(10, 1)).ino();
    fs.setxattr(ROOT, f, "user.a", utf8("first"), 0);
    fs.setxattr(ROOT, f, "user.keep", utf8("k"), 0);
    toNextPage(fs, f);
    fs.setxattr(ROOT, f, "user.a", utf8("second"), 0);
    toNextPage(fs, f);
    fs.removexattr(ROOT, f, "user.a");
    toNextPage(fs, f);
    toNextPage(fs, f);
    DaxFs.CleanResult cleaned = fs.cleanLog(f, false);
    assertTrue(cleaned.pagesFreedFast() > 0, cleaned.toString());
    assertEquals(List.of("user.keep"), fs.listxattr(ROOT, f), "live, after cleaning");
    HeapRegion crashed = HeapRegion.copyOf(r);
    fs.unmount();
    assertEquals(List.of("user.keep"), mount(r).listxattr(ROOT, f), "after a clean remount");
    assertEquals(List.of("user.keep"), mount(crashed).listxattr(ROOT, f),
        "after a crash remount");
  }
}
