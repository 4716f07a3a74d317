package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every operation is durable when it returns: after each one, no line of the region holds a
 * store that was not flushed and fenced (the crash-recording region tracks every line), and
 * the image a crash at that moment would leave mounts to the same tree, times included.
 */
class DurabilityTest {

  private static final Cred ROOT = Cred.root();

  /** makedev(1, 3), /dev/null. */
  private static final long CHAR_RDEV = (1 << 8) | 3;

  /** makedev(8, 1), /dev/sda1. */
  private static final long BLOCK_RDEV = (8 << 8) | 1;

  /** Explicit times set by utimens, nanoseconds included. */
  private static final long ATIME = 1_234_567_890_123_456_789L;
  private static final long MTIME = 1_111_111_111_987_654_321L;

  /**
   * Checks that the operations whose effect this test names did what they say (the crash
   * image is compared against the live state, so the live state must be the right one).
   */
  private static void expect(String op, Map<String, String> tree) {
    switch (op) {
      case "mknod char" -> assertTrue(tree.get("/d/c").contains(" mode=20620 ")
          && tree.get("/d/c").contains(" rdev=" + CHAR_RDEV + " "), tree.get("/d/c"));
      case "mknod block" -> assertTrue(tree.get("/d/b").contains(" mode=60660 ")
          && tree.get("/d/b").contains(" rdev=" + BLOCK_RDEV + " "), tree.get("/d/b"));
      case "utimens" -> assertTrue(tree.get("/g").contains(" atime=" + ATIME + " "),
          tree.get("/g"));
      case "utimens omit atime" -> assertTrue(tree.get("/g").contains(" atime=" + ATIME + " ")
          && tree.get("/g").contains(" mtime=" + MTIME + " "), tree.get("/g"));
      case "removexattr" -> assertFalse(tree.get("/g").contains("xattr:user.k"), tree.get("/g"));
      case "rename exchange" -> assertTrue(tree.get("/d/h").contains(" mode=10644 ")
          && tree.get("/d/p").contains(" nlink=2 "), tree.get("/d/h") + tree.get("/d/p"));
      default -> { }
    }
  }

  @Test
  void everyOperationLeavesNothingInFlight() {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(32 << 20));
    DaxFs.mkfs(region, MkfsOptions.defaults());
    region.assertPersisted(0, region.size());
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    List<String> names = new ArrayList<>();
    List<Consumer<DaxFs>> ops = new ArrayList<>();
    add(names, ops, "mkdir", f -> f.mkdir(ROOT, "/d", 0755));
    add(names, ops, "create", f -> f.release(f.open(ROOT, "/d/f",
        FileHandle.O_CREAT | FileHandle.O_RDWR, 0644)));
    add(names, ops, "write", f -> {
      FileHandle h = f.open(ROOT, "/d/f", FileHandle.O_RDWR, 0);
      f.write(ROOT, h, 100, ByteBuffer.wrap(new byte[10000]));
      f.release(h);
    });
    add(names, ops, "overwrite", f -> {
      FileHandle h = f.open(ROOT, "/d/f", FileHandle.O_RDWR, 0);
      f.write(ROOT, h, 5000, ByteBuffer.wrap(new byte[] {1, 2, 3}));
      f.release(h);
    });
    add(names, ops, "truncate", f -> f.setattr(ROOT, f.resolve(ROOT, "/d/f", true).ino(),
        SetAttr.create().size(3000)));
    add(names, ops, "fallocate", f -> {
      FileHandle h = f.open(ROOT, "/d/f", FileHandle.O_RDWR, 0);
      f.fallocate(ROOT, h, 0, 0, 1 << 20);
      f.fallocate(ROOT, h, FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, 4096, 8192);
      f.release(h);
    });
    add(names, ops, "link", f -> f.link(ROOT, "/d/f", "/g"));
    add(names, ops, "symlink", f -> f.symlink(ROOT, "d/f", "/s"));
    add(names, ops, "setxattr", f -> f.setxattr(ROOT, f.resolve(ROOT, "/g", true).ino(),
        "user.k", new byte[] {9}, 0));
    add(names, ops, "chmod", f -> f.setattr(ROOT, f.resolve(ROOT, "/g", true).ino(),
        SetAttr.create().mode(0600)));
    add(names, ops, "mknod fifo", f -> f.mknod(ROOT, "/d/p", Mode.S_IFIFO | 0644, 0));
    add(names, ops, "mknod socket", f -> f.mknod(ROOT, "/d/so", Mode.S_IFSOCK | 0644, 0));
    add(names, ops, "mknod char", f -> f.mknod(ROOT, "/d/c", Mode.S_IFCHR | 0620, CHAR_RDEV));
    add(names, ops, "mknod block", f -> f.mknod(ROOT, "/d/b", Mode.S_IFBLK | 0660, BLOCK_RDEV));
    add(names, ops, "utimens", f -> f.setattr(ROOT, f.resolve(ROOT, "/g", true).ino(),
        SetAttr.create().atime(ATIME).mtime(SetAttr.NOW)));
    add(names, ops, "utimens omit atime", f -> f.setattr(ROOT,
        f.resolve(ROOT, "/g", true).ino(), SetAttr.create().mtime(MTIME)));
    add(names, ops, "removexattr", f -> f.removexattr(ROOT, f.resolve(ROOT, "/g", true).ino(),
        "user.k"));
    add(names, ops, "rename", f -> f.rename(ROOT, "/g", "/d/h", 0));
    add(names, ops, "rename exchange", f -> f.rename(ROOT, "/d/h", "/d/p",
        Namespace.RENAME_EXCHANGE));
    add(names, ops, "unlink", f -> f.unlink(ROOT, "/d/h"));
    add(names, ops, "unlink second name", f -> f.unlink(ROOT, "/d/p"));
    add(names, ops, "unlink last", f -> f.unlink(ROOT, "/d/f"));
    add(names, ops, "unlink device nodes", f -> {
      f.unlink(ROOT, "/d/c");
      f.unlink(ROOT, "/d/b");
      f.unlink(ROOT, "/d/so");
    });
    add(names, ops, "rmdir", f -> {
      f.unlink(ROOT, "/s");
      f.rmdir(ROOT, "/d");
    });
    for (int i = 0; i < ops.size(); i++) {
      long fencesBefore = region.fences();
      ops.get(i).accept(fs);
      assertTrue(region.fences() > fencesBefore, names.get(i) + " never fenced");
      region.assertPersisted(0, region.size());
      // What a crash now leaves is what the operation made: its changes are on the media.
      Map<String, String> live = FsTesting.snapshot(fs);
      DaxFs crashed = DaxFs.mount(region.crashPoint().image(0), MountOptions.defaults());
      assertEquals(live, FsTesting.snapshot(crashed), "after " + names.get(i) + ", a crash");
      expect(names.get(i), live);
    }
    fs.unmount();
    region.assertPersisted(0, region.size());
    DaxFs again = DaxFs.mount(region, MountOptions.defaults());
    assertTrue(again.mountReport().clean());
    assertEquals(2, again.readdir(ROOT, again.rootIno(), 0, 10).size());
  }

  @Test
  void theCheckCatchesAnEntryThatWasNeverFlushed() {
    CrashRecordingRegion region = new CrashRecordingRegion(new HeapRegion(32 << 20));
    DaxFs.mkfs(region, MkfsOptions.defaults());
    TestSwitches bug = new TestSwitches();
    bug.skipEntryFlush = true;
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults().testSwitches(bug));
    fs.mkdir(ROOT, "/d", 0755);
    AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> region.assertPersisted(0, region.size()));
    assertTrue(e.getMessage().contains("dirty"), e.getMessage());
  }

  private static void add(List<String> names, List<Consumer<DaxFs>> ops, String name,
      Consumer<DaxFs> op) {
    names.add(name);
    ops.add(op);
  }
}
