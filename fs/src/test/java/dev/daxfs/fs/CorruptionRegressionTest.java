package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.assertErrno;
import static dev.daxfs.fs.FsTesting.content;
import static dev.daxfs.fs.FsTesting.formatted;
import static dev.daxfs.fs.FsTesting.mount;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.writeFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The smallest reproductions of what the corruption fuzzer ({@link CorruptionFuzzProperties})
 * found: each damages one field of a tiny image and states what a robust filesystem does.
 */
class CorruptionRegressionTest {

  private static String problems(Fsck.Report r) {
    return r.problems.stream().map(p -> p.kind() + "@" + p.where() + ": " + p.message()
        + (p.fixable() ? " (fixable)" : "")).collect(Collectors.joining("; "));
  }

  /** The INIT entry of {@code ino}: the first entry of its head page. */
  private static long firstEntry(DaxFs fs, long ino) {
    return Layout.offset(fs.volume().cache.get(ino).log.headBlock()) + LogPage.HEADER;
  }

  /**
   * An entry whose length field was cut to its header, checksum resealed: the length passes
   * the entry checks, and replay must see that the payload is too short rather than read past
   * it (BufferUnderflowException out of mount, getattr and fsck).
   */
  @Test
  void anEntryCutShortWithItsChecksumResealedIsDamageNotACrash() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long ino = writeFile(fs, "/f", pattern(100, 1)).ino();
    long init = firstEntry(fs, ino);
    HeapRegion crashed = HeapRegion.copyOf(r);
    fs.unmount();
    for (HeapRegion image : new HeapRegion[] {r, crashed}) {
      Corruptions.editEntry(image, init, b -> b.putShort(2, (short) LogEntry.HEADER));
      Fsck.Report rep;
      try {
        rep = Fsck.check(image, Fsck.Progress.NONE);
      } catch (RuntimeException e) {
        throw new AssertionError("fsck threw instead of reporting the damage", e);
      }
      assertTrue(problems(rep).contains("inode@inode " + ino), problems(rep));
      DaxFs again;
      try {
        again = mount(image);
      } catch (CorruptionException e) {
        continue;
      } catch (RuntimeException e) {
        throw new AssertionError("mount threw something other than CorruptionException", e);
      }
      try {
        assertErrno(Errno.EIO, () -> again.getattr(ino));
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("getattr of the damaged inode must answer EIO", e);
      }
    }
  }

  /**
   * A file whose log is damaged keeps its blocks reserved in the allocator checkpoint of the
   * last clean unmount, rightly so. fsck must not count them as free and call the checkpoint
   * wrong (and "fixable"): its repair then cannot make the problem go away, and a scanning
   * mount is what hands a damaged inode's blocks to other files.
   */
  @Test
  void aDamagedLogDoesNotMakeTheAllocatorCheckpointLookWrong() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long ino = writeFile(fs, "/a", pattern(3 * 4096, 1)).ino();
    writeFile(fs, "/b", pattern(100, 2));
    long init = firstEntry(fs, ino);
    fs.unmount();
    r.storeByte(init + 20, (byte) (r.loadByte(init + 20) ^ 0x10));
    Fsck.Report rep = Fsck.check(r, Fsck.Progress.NONE);
    assertTrue(problems(rep).contains("inode@inode " + ino), problems(rep));
    assertFalse(problems(rep).contains("allocator@"), problems(rep));
    Fsck.Report repaired = Fsck.repair(r, Fsck.Progress.NONE);
    assertTrue(repaired.problems.stream().noneMatch(Fsck.Problem::fixable),
        "after repair: " + problems(repaired));
  }

  /**
   * A directory entry naming an inode whose slot is damaged names an inode in use: fsck must
   * report the damaged inode, not a "dangling entry naming an inode not in use" that it calls
   * fixable (a repair that removed it would throw the file away; this one cannot, so the
   * "fixable" problem stays).
   */
  @Test
  void anEntryNamingAnInodeWithADamagedSlotIsNotCalledDangling() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long ino = writeFile(fs, "/f", pattern(100, 1)).ino();
    long slot = fs.volume().inodes.slotOffset(ino);
    fs.unmount();
    r.storeLong(slot + InodeTable.VALID, TaggedWord.encode(2,
        TaggedWord.salt(TaggedWord.SALT_INODE_VALID, ino)));
    DaxFs again = mount(HeapRegion.copyOf(r));
    assertErrno(Errno.EIO, () -> again.resolve(ROOT, "/f", true));
    Fsck.Report rep = Fsck.check(r, Fsck.Progress.NONE);
    assertTrue(problems(rep).contains("inode@inode " + ino), problems(rep));
    assertFalse(problems(rep).contains("dangling@"), problems(rep));
    Fsck.Report repaired = Fsck.repair(r, Fsck.Progress.NONE);
    assertTrue(repaired.problems.stream().noneMatch(Fsck.Problem::fixable),
        "after repair: " + problems(repaired));
  }

  /**
   * A damaged root directory leaves nothing reachable; fsck calls it fatal. The mount must
   * agree and refuse with a CorruptionException naming the root's log, rather than mount a
   * filesystem whose every lookup answers EIO.
   */
  @Test
  void aDamagedRootDirectoryRefusesTheMountAsFsckCallsItFatal() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    fs.mkdir(ROOT, "/d", 0755);
    long init = firstEntry(fs, fs.rootIno());
    fs.unmount();
    r.storeByte(init + 20, (byte) (r.loadByte(init + 20) ^ 0x10));
    Fsck.Report rep = Fsck.check(r, Fsck.Progress.NONE);
    assertTrue(rep.problems.stream().anyMatch(p -> p.kind().equals("fatal")), problems(rep));
    for (HeapRegion image : new HeapRegion[] {HeapRegion.copyOf(r), crashCopy(r)}) {
      assertThrows(CorruptionException.class, () -> mount(image),
          "fsck calls the image fatal, the mount accepts it");
    }
  }

  /** A copy of a cleanly unmounted image made to look crashed (state MOUNTED). */
  private static HeapRegion crashCopy(HeapRegion r) {
    HeapRegion c = HeapRegion.copyOf(r);
    Corruptions.editSuperblock(c, true, true, b -> b.putLong(96, Superblock.STATE_MOUNTED));
    return c;
  }

  /**
   * The next-chunk pointer of the inode table is a tagged word whose null value means "last
   * chunk". Zeroed by damage, it silently drops every later chunk: their files answer ENOENT,
   * their numbers are handed out again, and the old names then resolve to the new, unrelated
   * files. Expected: the mount refuses, or the lost inodes answer EIO and their names never
   * lead to another file.
   */
  @Test
  void aZeroedNextChunkPointerDoesNotSilentlyDropInodes() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long victim = 0;
    for (int i = 0; i < 40; i++) {
      long ino = writeFile(fs, "/f" + i, pattern(100, i)).ino();
      if (ino >= InodeTable.SLOTS_PER_CHUNK) {
        victim = i;
      }
    }
    assertTrue(fs.volume().inodes.chunkCount() >= 2);
    fs.unmount();
    r.storeLong(Layout.offset(Layout.FIRST_INODE_CHUNK) + 16, TaggedWord.NULL);
    DaxFs again;
    try {
      again = mount(r);
    } catch (CorruptionException e) {
      return;
    }
    String name = "/f" + victim;
    assertErrno(Errno.EIO, () -> again.resolve(ROOT, name, true), name + " after the damage");
    for (int i = 0; i < 40; i++) {
      again.create(ROOT, again.rootIno(), Name.of("new" + i), 0644);
    }
    assertErrno(Errno.EIO, () -> again.resolve(ROOT, name, true),
        name + " after new files took free inode numbers");
  }

  /**
   * An orphan mark is only meaningful for an inode without names. A stray one on a named file
   * (damage, or a bug) must not make the unmount free the file: its names would dangle and
   * its data would be gone.
   */
  @Test
  void aNamedFileWithAStrayOrphanMarkSurvivesMountAndUnmount() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long ino = writeFile(fs, "/f", pattern(5000, 1)).ino();
    long slot = fs.volume().inodes.slotOffset(ino);
    fs.unmount();
    r.storeLong(slot + InodeTable.ORPHAN, InodeTable.orphanWord(ino, true));
    for (boolean clean : new boolean[] {true, false}) {
      HeapRegion image = clean ? HeapRegion.copyOf(r) : crashCopy(r);
      DaxFs again = mount(image);
      assertArrayEquals(pattern(5000, 1), content(again, ino));
      again.unmount();
      DaxFs third = mount(image);
      try {
        assertArrayEquals(pattern(5000, 1), content(third, third.resolve(ROOT, "/f", true)
            .ino()), (clean ? "clean" : "crash") + " image: /f after a mount and unmount");
      } catch (ErrnoException e) {
        fail((clean ? "clean" : "crash") + " image: /f is gone after a mount and unmount: "
            + e.getMessage());
      }
      assertEquals(0, Fsck.check(image, Fsck.Progress.NONE).problems.stream()
          .filter(p -> !p.kind().equals("orphan")).count());
    }
  }

  /** Commits a forged extent into {@code ino}'s log (what damage with a valid CRC looks like). */
  private static void forgeExtent(DaxFs fs, long ino, long page, long block, long size) {
    Inode in = fs.volume().cache.get(ino);
    in.lock.writeLock().lock();
    try {
      Txn txn = new Txn(fs.volume(), false);
      txn.append(in, Entries.extent(page, block, 1, LogEntry.EXT_SIZE, size, 0, 0, null));
      txn.commit();
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  /**
   * A file's log maps a block that the allocator holds free (an extent forged with a valid
   * checksum; a clean mount trusts its checkpoint). Truncating the file must answer an errno,
   * or work; it must not throw IllegalStateException ("double free") out of setattr.
   */
  @Test
  void truncatingAFileThatMapsAFreeBlockAnswersAnErrnoNotAnIllegalStateException() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long a = writeFile(fs, "/a", pattern(100, 1)).ino();
    java.util.List<long[]> free = fs.volume().allocator.freeExtents();
    long[] last = free.get(free.size() - 1);
    long block = last[0] + last[1] - 1;
    forgeExtent(fs, a, 1, block, 2 * 4096);
    fs.unmount();
    DaxFs again = mount(r);
    try {
      again.setattr(ROOT, a, SetAttr.create().size(0));
    } catch (ErrnoException e) {
      assertEquals(Errno.EIO, e.errno(), e.getMessage());
    } catch (RuntimeException e) {
      throw new AssertionError("truncate threw " + e, e);
    }
    writeFile(again, "/b", pattern(9000, 2));
    assertArrayEquals(pattern(9000, 2), content(again, again.resolve(ROOT, "/b", true).ino()));
  }

  /**
   * Two files map one block (a cross-link left by damage); a scanning mount sees both
   * references. Truncating one must not hand the block to a new file while the other still
   * maps it: the other file's data would change under it. Expected: its content stays, or it
   * answers EIO as damaged.
   */
  @Test
  void aCrossLinkedBlockIsNotHandedOutWhileAnotherFileStillMapsIt() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    long a = writeFile(fs, "/a", pattern(4096, 1)).ino();
    long b = writeFile(fs, "/b", pattern(4096, 2)).ino();
    long shared = BlockMap.block(fs.volume().cache.get(b).blocks.get(0));
    forgeExtent(fs, a, 1, shared, 2 * 4096);
    HeapRegion crashed = HeapRegion.copyOf(r);
    DaxFs again = mount(crashed);
    again.setattr(ROOT, a, SetAttr.create().size(0));
    for (int i = 0; i < 20; i++) {
      writeFile(again, "/c" + i, pattern(4096, 10 + i));
    }
    try {
      assertArrayEquals(pattern(4096, 2), content(again, b),
          "the file that kept its block now reads another file's data");
    } catch (ErrnoException e) {
      assertEquals(Errno.EIO, e.errno(), e.getMessage());
    }
  }
}
