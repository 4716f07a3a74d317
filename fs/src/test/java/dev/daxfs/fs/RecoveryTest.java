package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import dev.daxfs.pmem.HeapRegion;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Clean and crash remounts, orphans, statfs. */
class RecoveryTest {

  /** A small tree with every kind of inode, data, holes, links and xattrs. */
  private static void populate(DaxFs fs) {
    fs.mkdir(ROOT, "/a", 0755);
    fs.mkdir(ROOT, "/a/b", 0700);
    writeFile(fs, "/a/f", pattern(50_000, 1));
    FileHandle h = fs.open(ROOT, "/a/sparse", FileHandle.O_CREAT | FileHandle.O_RDWR, 0600);
    write(fs, h, 1 << 22, pattern(10, 2));
    fs.fallocate(ROOT, h, FileIo.FALLOC_FL_KEEP_SIZE, 0, 8 * 4096);
    fs.fallocate(ROOT, h, FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, 4096,
        4096);
    fs.release(h);
    fs.link(ROOT, "/a/f", "/a/b/hard");
    fs.symlink(ROOT, "../f", "/a/b/sym");
    fs.mknod(ROOT, "/a/fifo", Mode.S_IFIFO | 0644, 0);
    fs.mknod(ROOT, "/a/dev", Mode.S_IFBLK | 0600, 0x0803);
    long f = fs.resolve(ROOT, "/a/f", true).ino();
    fs.setxattr(ROOT, f, "user.color", utf8("blue"), 0);
    fs.setxattr(ROOT, fs.resolve(ROOT, "/a", true).ino(), "trusted.t", pattern(500, 3), 0);
    fs.setattr(ROOT, f, SetAttr.create().uid(42).gid(43).mode(0640).mtime(123_456_789));
    for (int i = 0; i < 40; i++) {
      writeFile(fs, "/a/b/n" + i, pattern(i * 100, i));
    }
    for (int i = 0; i < 40; i += 3) {
      fs.unlink(ROOT, "/a/b/n" + i);
    }
    fs.rename(ROOT, "/a/b/n1", "/top", 0);
  }

  @Test
  void theFirstMountAfterMkfsSaysSoAndACrashAfterItIsRecovered() {
    HeapRegion r = formatted(32);
    DaxFs fs = mount(r);
    MountReport first = fs.mountReport();
    assertTrue(first.firstMount(), first.toString());
    assertEquals("first mount since mkfs: nothing to recover", first.reason());
    fs.mkdir(ROOT, "/d", 0755);
    // A crash (no unmount): the next mount recovers, and is no first mount.
    MountReport crashed = mount(HeapRegion.copyOf(r)).mountReport();
    assertFalse(crashed.firstMount(), crashed.toString());
    assertFalse(crashed.clean());
    assertTrue(crashed.reason().startsWith("not cleanly unmounted"), crashed.reason());
  }

  @Test
  void aCleanRemountShowsTheSameTreeAndSaysClean() {
    HeapRegion r = formatted(32);
    DaxFs fs = mount(r);
    assertFalse(fs.mountReport().clean(), "a new filesystem has no allocator checkpoint");
    assertTrue(fs.mountReport().firstMount(), fs.mountReport().toString());
    populate(fs);
    Map<String, String> before = snapshot(fs);
    long free = fs.statfs().freeBlocks();
    fs.unmount();
    DaxFs again = mount(r);
    MountReport rep = again.mountReport();
    assertTrue(rep.clean(), rep.reason());
    assertFalse(rep.firstMount());
    assertEquals(0, rep.journalRollbacks());
    assertFalse(rep.usedBackupSuperblock());
    assertEquals(before, snapshot(again));
    assertEquals(free, again.statfs().freeBlocks(), "the checkpoint restored the free space");
    assertNothingLeaks(again);
  }

  @Test
  void aCrashRemountShowsTheSameTreeAndSaysWhy() {
    HeapRegion r = formatted(32);
    DaxFs fs = mount(r);
    populate(fs);
    Map<String, String> before = snapshot(fs);
    long free = fs.statfs().freeBlocks();
    DaxFs again = mount(r); // no unmount: a crash
    MountReport rep = again.mountReport();
    assertFalse(rep.clean());
    assertTrue(rep.reason().contains("not cleanly unmounted"), rep.reason());
    assertTrue(rep.inodesScanned() >= 30, "inodes replayed: " + rep.inodesScanned());
    assertEquals(0, rep.damagedInodes());
    assertEquals(before, snapshot(again));
    assertEquals(free, again.statfs().freeBlocks(), "the rebuilt allocator agrees");
    assertNothingLeaks(again);
  }

  @Test
  void aCrashAfterACleanMountIsStillACrash() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    writeFile(fs, "/f", pattern(10, 1));
    fs.unmount();
    DaxFs second = mount(r);
    assertTrue(second.mountReport().clean());
    writeFile(second, "/g", pattern(10, 2));
    DaxFs third = mount(r);
    assertFalse(third.mountReport().clean());
    assertArrayEquals(pattern(10, 2), content(third, third.resolve(ROOT, "/g", true).ino()));
    third.unmount();
    assertTrue(mount(r).mountReport().clean());
  }

  @Test
  void newDataAfterACrashDoesNotOverwriteOldData() {
    HeapRegion r = formatted(32);
    DaxFs fs = mount(r);
    populate(fs);
    Map<String, String> before = snapshot(fs);
    DaxFs again = mount(r);
    for (int i = 0; i < 30; i++) {
      writeFile(again, "/new" + i, pattern(60_000, 100 + i));
    }
    for (int i = 0; i < 30; i++) {
      again.unlink(ROOT, "/new" + i);
    }
    Map<String, String> after = snapshot(again);
    assertEquals(before.keySet(), after.keySet());
    for (String k : before.keySet()) {
      if (!k.equals("/")) {
        assertEquals(before.get(k), after.get(k), k);
      }
    }
  }

  @Test
  void anOrphanSurvivesACrashOnlyUntilMountFreesIt() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long free0 = fs.statfs().freeBlocks();
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    write(fs, h, 0, pattern(100_000, 1));
    fs.unlink(ROOT, "/f");
    assertArrayEquals(pattern(100, 1), read(fs, h, 0, 100));
    assertTrue(fs.statfs().freeBlocks() < free0 - 20);
    DaxFs again = mount(r); // crash with the file open
    MountReport rep = again.mountReport();
    assertEquals(1, rep.orphansFreed());
    assertErrno(Errno.ENOENT, () -> again.getattr(h.ino()));
    assertEquals(free0, again.statfs().freeBlocks(), "the orphan's blocks came back");
    assertNothingLeaks(again);
  }

  @Test
  void orphansAreFreedByACleanUnmount() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long free0 = fs.statfs().freeBlocks();
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    write(fs, h, 0, pattern(100_000, 1));
    fs.unlink(ROOT, "/f");
    fs.unmount();
    DaxFs again = mount(r);
    assertTrue(again.mountReport().clean());
    assertEquals(0, again.mountReport().orphansFreed());
    assertErrno(Errno.ENOENT, () -> again.getattr(h.ino()));
    assertEquals(free0, again.statfs().freeBlocks());
    DaxFs crashed = mount(r);
    assertEquals(free0, crashed.statfs().freeBlocks(), "a scan agrees with the checkpoint");
  }

  @Test
  void aRemovedOpenDirectoryIsAnOrphanToo() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long free0 = fs.statfs().freeBlocks();
    Attr d = fs.mkdir(ROOT, "/d", 0755);
    FileHandle h = fs.open(ROOT, d.ino(), FileHandle.O_RDONLY | FileHandle.O_DIRECTORY);
    fs.rmdir(ROOT, "/d");
    assertEquals(0, fs.getattr(d.ino()).nlink());
    assertErrno(Errno.ENOENT, () -> fs.create(ROOT, d.ino(), name("x"), 0644));
    DaxFs again = mount(r);
    assertEquals(free0, again.statfs().freeBlocks());
    fs.release(h);
  }

  @Test
  void statfsReportsTheRegion() {
    HeapRegion r = formatted(32);
    DaxFs fs = mount(r);
    StatFs s = fs.statfs();
    assertEquals(4096, s.blockSize());
    assertEquals(r.size() / 4096, s.blocks());
    assertEquals(255, s.nameMax());
    assertTrue(s.freeBlocks() > s.blocks() - 100 && s.freeBlocks() < s.blocks());
    assertTrue(s.availableBlocks() < s.freeBlocks(), "a reserve is kept back");
    assertTrue(s.freeFiles() > 1000 && s.files() > s.freeFiles());
    long files = s.files() - s.freeFiles();
    writeFile(fs, "/f", pattern(40_960, 1));
    StatFs t = fs.statfs();
    assertEquals(files + 1, t.files() - t.freeFiles(), "one more inode in use");
    assertTrue(s.freeBlocks() - t.freeBlocks() >= 10, "ten data blocks");
    assertEquals(s.freeBlocks() - t.freeBlocks(), s.availableBlocks() - t.availableBlocks());
  }

  @Test
  void manyFilesGrowTheInodeTableAndSurviveACrash() {
    HeapRegion r = formatted(32);
    DaxFs fs = mount(r);
    for (int i = 0; i < 300; i++) {
      fs.mkdir(ROOT, "/d" + i, 0755);
    }
    for (int i = 0; i < 300; i += 2) {
      fs.rmdir(ROOT, "/d" + i);
    }
    Map<String, String> before = snapshot(fs);
    DaxFs again = mount(r);
    assertEquals(before, snapshot(again));
    assertNothingLeaks(again);
    again.unmount();
    DaxFs third = mount(r);
    assertTrue(third.mountReport().clean());
    assertEquals(2, third.readdir(ROOT, third.rootIno(), 0, 10).size());
  }
}
