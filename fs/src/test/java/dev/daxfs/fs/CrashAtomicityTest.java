package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.pmem.HeapRegion;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every operation is atomic across a crash: stopping it before any one of its stores leaves,
 * after recovery, either the tree before it or the tree after it, and never a leaked block.
 * The crash points are every store the operation makes ({@link CrashingRegion}).
 */
class CrashAtomicityTest {

  private static final int P = 4096;

  /** The tree every operation starts from. */
  private static void setup(DaxFs fs) {
    fs.mkdir(ROOT, "/a", 0755);
    fs.mkdir(ROOT, "/b", 0755);
    fs.mkdir(ROOT, "/a/sub", 0755);
    writeFile(fs, "/a/sub/inner", pattern(100, 9));
    writeFile(fs, "/a/f", pattern(6 * P + 100, 1));
    writeFile(fs, "/b/g", pattern(3 * P, 2));
    fs.link(ROOT, "/b/g", "/a/hard");
    fs.mkdir(ROOT, "/b/empty", 0755);
    fs.symlink(ROOT, "f", "/a/sym");
    fs.setxattr(ROOT, fs.resolve(ROOT, "/a/f", true).ino(), "user.x", utf8("1"), 0);
  }

  private HeapRegion base;

  @BeforeEach
  void format() {
    base = formatted(16);
    DaxFs fs = mount(base);
    setup(fs);
    fs.unmount();
  }

  /**
   * Runs {@code op} once to learn its stores, then crashes it before each of them. Returns the
   * first crash point whose recovered tree is neither the tree before nor the one after, or -1.
   */
  private long firstTornCrashPoint(Consumer<DaxFs> op, MountOptions options) {
    Map<String, String> before = shape(mount(HeapRegion.copyOf(base)));
    CrashingRegion ref = new CrashingRegion(HeapRegion.copyOf(base));
    DaxFs fs = DaxFs.mount(ref, options);
    ref.arm(Long.MAX_VALUE);
    op.accept(fs);
    long stores = ref.mutations();
    DaxFs done = mount(ref.image());
    Map<String, String> after = shape(done);
    assertNotEquals(before, after, "the operation changed nothing");
    assertNothingLeaks(done);
    for (long k = 0; k < stores; k++) {
      CrashingRegion r = new CrashingRegion(HeapRegion.copyOf(base));
      DaxFs victim = DaxFs.mount(r, options);
      r.arm(k);
      try {
        op.accept(victim);
        fail("no crash at store " + k + " of " + stores);
      } catch (CrashingRegion.Crash expected) {
        // the world stopped here
      }
      DaxFs recovered = mount(r.image());
      assertFalse(recovered.mountReport().clean());
      Map<String, String> s = shape(recovered);
      if (!s.equals(before) && !s.equals(after)) {
        return k;
      }
      assertNothingLeaks(recovered);
    }
    return -1;
  }

  private void assertAtomic(Consumer<DaxFs> op) {
    long k = firstTornCrashPoint(op, MountOptions.defaults());
    assertEquals(-1, k, "a crash before store " + k + " left a tree that is neither before "
        + "nor after the operation");
  }

  private static long ino(DaxFs fs, String path) {
    return fs.resolve(ROOT, path, false).ino();
  }

  // ---- the checker can fail --------------------------------------------------------------

  @Test
  void theCheckerCatchesARenameWithoutTheJournal() {
    TestSwitches s = TestSwitches.none();
    s.renameInPlace = true;
    assertTrue(firstTornCrashPoint(fs -> fs.rename(ROOT, "/a/f", "/b/f2", 0),
        MountOptions.defaults().testSwitches(s).testHarnessRegion()) >= 0);
  }

  @Test
  void theCheckerCatchesAnUnlinkInTheWrongOrder() {
    TestSwitches s = TestSwitches.none();
    s.unlinkWrongOrder = true;
    assertTrue(firstTornCrashPoint(fs -> fs.unlink(ROOT, "/a/hard"),
        MountOptions.defaults().testSwitches(s).testHarnessRegion()) >= 0);
  }

  // ---- names -----------------------------------------------------------------------------

  @Test
  void create() {
    assertAtomic(fs -> fs.create(ROOT, ino(fs, "/a"), name("new"), 0644));
  }

  @Test
  void mkdir() {
    assertAtomic(fs -> fs.mkdir(ROOT, "/a/sub/newdir", 0700));
  }

  @Test
  void symlinkAndMknod() {
    assertAtomic(fs -> fs.symlink(ROOT, "../b/g", "/a/sym2"));
    assertAtomic(fs -> fs.mknod(ROOT, "/b/dev", Mode.S_IFCHR | 0600, 0x0104));
  }

  @Test
  void link() {
    assertAtomic(fs -> fs.link(ROOT, "/a/f", "/b/f-link"));
  }

  @Test
  void unlinkOfTheLastName() {
    assertAtomic(fs -> fs.unlink(ROOT, "/a/f"));
  }

  @Test
  void unlinkOfOneOfTwoNames() {
    assertAtomic(fs -> fs.unlink(ROOT, "/a/hard"));
  }

  @Test
  void unlinkOfAnOpenFile() {
    assertAtomic(fs -> {
      fs.open(ROOT, "/a/f", FileHandle.O_RDONLY, 0);
      fs.unlink(ROOT, "/a/f");
    });
  }

  @Test
  void rmdir() {
    assertAtomic(fs -> fs.rmdir(ROOT, "/b/empty"));
  }

  @Test
  void renames() {
    assertAtomic(fs -> fs.rename(ROOT, "/a/f", "/a/f2", 0));
    assertAtomic(fs -> fs.rename(ROOT, "/a/f", "/b/f2", 0));
    assertAtomic(fs -> fs.rename(ROOT, "/a/f", "/b/g", 0));
    assertAtomic(fs -> fs.rename(ROOT, "/a/sub", "/b/sub", 0));
    assertAtomic(fs -> fs.rename(ROOT, "/a/sub", "/b/empty", 0));
    assertAtomic(fs -> fs.rename(ROOT, "/a/sub", "/b/g", Namespace.RENAME_EXCHANGE));
    assertAtomic(fs -> fs.rename(ROOT, "/a/f", "/a/sym", Namespace.RENAME_EXCHANGE));
  }

  // ---- data ------------------------------------------------------------------------------

  private static void withHandle(DaxFs fs, String path, Consumer<FileHandle> body) {
    FileHandle h = fs.open(ROOT, path, FileHandle.O_RDWR, 0);
    body.accept(h);
    fs.release(h);
  }

  @Test
  void aMultiPageOverwriteIsAtomic() {
    assertAtomic(fs -> withHandle(fs, "/a/f", h -> write(fs, h, 1000, pattern(4 * P, 5))));
  }

  @Test
  void anExtendingWriteIsAtomic() {
    assertAtomic(fs -> withHandle(fs, "/b/g", h -> write(fs, h, 3 * P - 10, pattern(2 * P,
        6))));
  }

  @Test
  void truncates() {
    assertAtomic(fs -> fs.setattr(ROOT, ino(fs, "/a/f"), SetAttr.create().size(P + 1)));
    assertAtomic(fs -> fs.setattr(ROOT, ino(fs, "/a/f"), SetAttr.create().size(20 * P)));
  }

  @Test
  void fallocateModes() {
    int keep = FileIo.FALLOC_FL_KEEP_SIZE;
    assertAtomic(fs -> withHandle(fs, "/a/f", h -> fs.fallocate(ROOT, h,
        FileIo.FALLOC_FL_PUNCH_HOLE | keep, 100, 3 * P)));
    assertAtomic(fs -> withHandle(fs, "/a/f", h -> fs.fallocate(ROOT, h,
        FileIo.FALLOC_FL_ZERO_RANGE, 100, 8 * P)));
    assertAtomic(fs -> withHandle(fs, "/a/f", h -> fs.fallocate(ROOT, h,
        FileIo.FALLOC_FL_COLLAPSE_RANGE, P, 2 * P)));
    assertAtomic(fs -> withHandle(fs, "/a/f", h -> fs.fallocate(ROOT, h,
        FileIo.FALLOC_FL_INSERT_RANGE, P, 2 * P)));
    assertAtomic(fs -> withHandle(fs, "/b/g", h -> fs.fallocate(ROOT, h, 0, 0, 10 * P)));
  }

  // ---- attributes ------------------------------------------------------------------------

  @Test
  void attributesAndXattrs() {
    assertAtomic(fs -> fs.setattr(ROOT, ino(fs, "/a/f"), SetAttr.create().mode(04711)
        .uid(7).gid(8)));
    assertAtomic(fs -> fs.setxattr(ROOT, ino(fs, "/a/f"), "user.y", pattern(2000, 3), 0));
    assertAtomic(fs -> fs.removexattr(ROOT, ino(fs, "/a/f"), "user.x"));
  }
}
