package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every operation is durable when it returns: after each one, no line of the region holds a
 * store that was not flushed and fenced. The crash-recording region tracks every line.
 */
class DurabilityTest {

  private static final Cred ROOT = Cred.root();

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
    add(names, ops, "rename", f -> f.rename(ROOT, "/g", "/d/h", 0));
    add(names, ops, "unlink", f -> f.unlink(ROOT, "/d/h"));
    add(names, ops, "unlink last", f -> f.unlink(ROOT, "/d/f"));
    add(names, ops, "rmdir", f -> {
      f.unlink(ROOT, "/s");
      f.rmdir(ROOT, "/d");
    });
    for (int i = 0; i < ops.size(); i++) {
      long fencesBefore = region.fences();
      ops.get(i).accept(fs);
      assertTrue(region.fences() > fencesBefore, names.get(i) + " never fenced");
      region.assertPersisted(0, region.size());
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
