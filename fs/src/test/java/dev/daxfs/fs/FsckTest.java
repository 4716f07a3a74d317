package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.writeFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** fsck finds each kind of damage, repairs what needs no guessing, and leaves the rest. */
class FsckTest {

  private HeapRegion region;
  private DaxFs fs;

  @BeforeEach
  void setUp() {
    region = new HeapRegion(32 << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    fs = DaxFs.mount(region, MountOptions.defaults());
    fs.mkdir(ROOT, "/d", 0755);
    writeFile(fs, "/d/a", pattern(9000, 1));
    fs.link(ROOT, "/d/a", "/b");
    fs.symlink(ROOT, "d/a", "/s");
  }

  private static String kinds(Fsck.Report r) {
    return r.problems.stream().map(p -> p.kind() + "@" + p.where() + ": " + p.message())
        .collect(Collectors.joining("; "));
  }

  @Test
  void aHealthyFilesystemIsCleanMountedCrashedOrUnmounted() {
    Fsck.Report crashed = Fsck.check(HeapRegion.copyOf(region), Fsck.Progress.NONE);
    assertEquals(0, crashed.exitCode(), kinds(crashed));
    fs.unmount();
    Fsck.Report clean = Fsck.check(region, Fsck.Progress.NONE);
    assertEquals(0, clean.exitCode(), kinds(clean));
    assertEquals(2L, clean.counts.get("regular_files") + clean.counts.get("symlinks"));
  }

  @Test
  void aWrongLinkCountIsRepaired() {
    Inode a = fs.volume().cache.get(fs.resolve(ROOT, "/b", true).ino());
    a.lock.writeLock().lock();
    try {
      Txn txn = new Txn(fs.volume(), false);
      txn.append(a, Entries.link(5, fs.volume().now()));
      txn.commit();
    } finally {
      a.lock.writeLock().unlock();
    }
    fs.unmount();
    Fsck.Report r = Fsck.check(region, Fsck.Progress.NONE);
    assertEquals(4, r.exitCode());
    assertTrue(kinds(r).contains("link count 5 but 2 names"), kinds(r));
    Fsck.Report fixed = Fsck.repair(region, Fsck.Progress.NONE);
    assertEquals(1, fixed.exitCode(), kinds(fixed));
    assertEquals(0, Fsck.check(region, Fsck.Progress.NONE).exitCode());
    assertEquals(2, DaxFs.mount(region, MountOptions.defaults()).resolve(ROOT, "/b", true)
        .nlink());
  }

  @Test
  void aDanglingEntryIsRemoved() {
    long ino = fs.resolve(ROOT, "/d/a", true).ino();
    fs.unmount();
    region.storeLong(slotOffset(ino) + InodeTable.VALID, TaggedWord.NULL);
    Fsck.Report r = Fsck.check(region, Fsck.Progress.NONE);
    assertTrue(kinds(r).contains("dangling@entry \"a\" of directory"), kinds(r));
    assertTrue(kinds(r).contains("dangling@entry \"b\" of directory 1"), kinds(r));
    Fsck.Report fixed = Fsck.repair(region, Fsck.Progress.NONE);
    assertEquals(1, fixed.exitCode(), kinds(fixed));
    DaxFs again = DaxFs.mount(region, MountOptions.defaults());
    assertEquals(2, again.readdir(ROOT, again.resolve(ROOT, "/d", true).ino(), 0, 10).size());
  }

  private long slotOffset(long ino) {
    DaxFs m = DaxFs.mount(HeapRegion.copyOf(region), MountOptions.defaults());
    return m.volume().inodes.slotOffset(ino);
  }

  @Test
  void aBlockOwnedTwiceIsReportedAndLeft() {
    long a = fs.resolve(ROOT, "/d/a", true).ino();
    Inode other = fs.volume().cache.get(fs.resolve(ROOT, "/d/a", true).ino());
    long stolen = BlockMap.block(other.blocks.get(0));
    FileHandle h = fs.open(ROOT, "/c", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[100]));
    Inode c = fs.volume().cache.get(h.ino());
    c.lock.writeLock().lock();
    try {
      Txn txn = new Txn(fs.volume(), false);
      txn.append(c, Entries.extent(1, stolen, 1, LogEntry.EXT_SIZE, 8192, 0, 0, null));
      txn.commit();
    } finally {
      c.lock.writeLock().unlock();
    }
    fs.release(h);
    Fsck.Report r = Fsck.check(HeapRegion.copyOf(region), Fsck.Progress.NONE);
    assertEquals(4, r.exitCode());
    assertTrue(kinds(r).contains("block " + stolen + ": belongs to both page 0 of inode " + a),
        kinds(r));
    assertEquals(4, Fsck.repair(region, Fsck.Progress.NONE).exitCode(),
        "repair does not guess which file owns the block");
  }

  @Test
  void aStaleCheckpointAndAnUnfinishedJournalAreRepaired() {
    fs.unmount();
    Superblock sb = Superblock.load(region);
    long off = Layout.offset(sb.checkpointBlock) + Checkpoint.HEADER;
    region.storeLong(off, region.loadLong(off) + 1);
    Fsck.Report r = Fsck.check(region, Fsck.Progress.NONE);
    assertTrue(kinds(r).contains("allocator@allocator checkpoint"), kinds(r));
    assertEquals(1, Fsck.repair(region, Fsck.Progress.NONE).exitCode());
    assertEquals(0, Fsck.check(region, Fsck.Progress.NONE).exitCode());
  }

  @Test
  void aDamagedPrimarySuperblockIsRewrittenFromTheBackup() {
    fs.unmount();
    region.storeLong(8, 0x7777);
    Fsck.Report r = Fsck.check(region, Fsck.Progress.NONE);
    assertTrue(kinds(r).contains("superblock@primary superblock"), kinds(r));
    assertEquals(1, Fsck.repair(region, Fsck.Progress.NONE).exitCode());
    assertEquals(0, Fsck.check(region, Fsck.Progress.NONE).exitCode());
  }

  @Test
  void aDamagedLogIsReportedAndThatFileAloneAnswersEio() {
    long ino = fs.resolve(ROOT, "/d/a", true).ino();
    Inode a = fs.volume().cache.get(ino);
    long firstEntry = Layout.offset(a.log.headBlock()) + LogPage.HEADER;
    fs.unmount();
    region.storeByte(firstEntry + 20, (byte) 0x5a);
    Fsck.Report r = Fsck.check(region, Fsck.Progress.NONE);
    assertEquals(4, r.exitCode());
    assertTrue(kinds(r).contains("inode@inode " + ino), kinds(r));
    DaxFs again = DaxFs.mount(region, MountOptions.defaults());
    FsTesting.assertErrno(dev.daxfs.dax.Errno.EIO, () -> again.getattr(ino));
    again.getattr(again.resolve(ROOT, "/s", false).ino());
  }
}
