package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static dev.daxfs.fs.FsTesting.assertErrno;
import static dev.daxfs.fs.FsTesting.content;
import static dev.daxfs.fs.FsTesting.formatted;
import static dev.daxfs.fs.FsTesting.mount;
import static dev.daxfs.fs.FsTesting.pattern;
import static dev.daxfs.fs.FsTesting.read;
import static dev.daxfs.fs.FsTesting.write;
import static dev.daxfs.fs.FsTesting.writeFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Poisoned persistent memory ({@link PmemRegion#poison}): under file data a read of the page
 * answers EIO, a read spanning it returns the bytes before it, and overwriting the page clears
 * it; under metadata (a log page, an inode slot, an inode-table chunk, a superblock, a journal
 * lane, the allocator checkpoint) it is handled like corruption: the mount refuses naming the
 * structure, or that inode alone answers EIO, and fsck reports it. Nothing throws the raw
 * media error past the API.
 */
class MediaErrorTest {

  private static final int P = 4096;

  /** A filesystem with /d/f (three pages) and /g, its region, and where things are. */
  private static final class Image {
    final HeapRegion region = formatted(16);
    final long f;
    final long g;
    final long fLogHead;
    final long fTail;
    final long[] fBlocks = new long[3];
    final long fSlot;
    DaxFs fs = mount(region);

    Image() {
      fs.mkdir(ROOT, "/d", 0755);
      f = writeFile(fs, "/d/f", pattern(3 * P, 1)).ino();
      g = writeFile(fs, "/g", pattern(5000, 2)).ino();
      Inode in = fs.volume().cache.get(f);
      for (int i = 0; i < 3; i++) {
        fBlocks[i] = BlockMap.block(in.blocks.get(i));
      }
      fLogHead = in.log.headBlock();
      fTail = in.log.tail();
      fSlot = fs.volume().inodes.slotOffset(f);
    }

    /** Unmounts cleanly; with {@code crashed}, returns a copy that looks crashed instead. */
    HeapRegion unmounted(boolean crashed) {
      fs.unmount();
      HeapRegion out = HeapRegion.copyOf(region);
      if (crashed) {
        Corruptions.editSuperblock(out, true, true, b -> b.putLong(96,
            Superblock.STATE_MOUNTED));
      }
      return out;
    }
  }

  private static String problems(Fsck.Report r) {
    return r.problems.stream().map(p -> p.kind() + "@" + p.where() + ": " + p.message())
        .collect(Collectors.joining("; "));
  }

  // ---- file data ---------------------------------------------------------------------------

  @Test
  void aReadOfAPoisonedDataPageAnswersEioAndOnlyThatPage() {
    Image img = new Image();
    img.region.poison(Layout.offset(img.fBlocks[1]) + 1024, 64);
    DaxFs fs = img.fs;
    FileHandle h = fs.open(ROOT, img.f, FileHandle.O_RDONLY);
    try {
      assertErrno(Errno.EIO, () -> fs.read(h, P, ByteBuffer.allocate(P)), "read of page 1");
      assertArrayEquals(Arrays.copyOfRange(pattern(3 * P, 1), 0, P), read(fs, h, 0, P));
      assertArrayEquals(Arrays.copyOfRange(pattern(3 * P, 1), 2 * P, 3 * P),
          read(fs, h, 2 * P, P));
    } finally {
      fs.release(h);
    }
    assertArrayEquals(pattern(5000, 2), content(fs, img.g), "another file is untouched");
    assertTrue(fs.stats().mediaErrors.sum() > 0, "media errors are counted");
  }

  @Test
  void aReadSpanningThePoisonReturnsTheBytesBeforeItThenEio() {
    Image img = new Image();
    img.region.poison(Layout.offset(img.fBlocks[1]) + 2048, 64);
    DaxFs fs = img.fs;
    FileHandle h = fs.open(ROOT, img.f, FileHandle.O_RDONLY);
    try {
      ByteBuffer b = ByteBuffer.allocate(3 * P);
      int n = fs.read(h, 100, b);
      assertEquals(P - 100, n, "the read stops at the poisoned page");
      assertArrayEquals(Arrays.copyOfRange(pattern(3 * P, 1), 100, P),
          Arrays.copyOf(b.array(), n));
      assertErrno(Errno.EIO, () -> fs.read(h, 100 + n, ByteBuffer.allocate(2 * P)),
          "the next read, at the poisoned page");
    } finally {
      fs.release(h);
    }
  }

  @Test
  void overwritingThePoisonedPageClearsItAndThePoisonedBlockNeverHurtsAnotherFile() {
    Image img = new Image();
    img.region.poison(Layout.offset(img.fBlocks[1]), P);
    DaxFs fs = img.fs;
    byte[] fresh = pattern(P, 9);
    FileHandle h = fs.open(ROOT, img.f, FileHandle.O_RDWR);
    try {
      write(fs, h, P, fresh);
      assertArrayEquals(fresh, read(fs, h, P, P), "the overwritten page reads back");
    } finally {
      fs.release(h);
    }
    byte[] expect = pattern(3 * P, 1);
    System.arraycopy(fresh, 0, expect, P, P);
    assertArrayEquals(expect, content(fs, img.f));
    // The poisoned block went back to the allocator: whatever reuses it must not read poison.
    for (int i = 0; i < 200; i++) {
      writeFile(fs, "/fill" + i, pattern(1 + (i * 997) % (3 * P), i));
    }
    for (int i = 0; i < 200; i++) {
      long ino = fs.resolve(ROOT, "/fill" + i, true).ino();
      assertArrayEquals(pattern(1 + (i * 997) % (3 * P), i), content(fs, ino), "/fill" + i);
    }
    fs.unmount();
    assertEquals(0, Fsck.check(img.region, Fsck.Progress.NONE).exitCode());
    DaxFs again = mount(img.region);
    assertArrayEquals(expect, content(again, img.f), "after a remount");
  }

  /**
   * A write of part of a poisoned page cannot copy the old bytes around it: it fails with EIO
   * (never the raw media error) and leaves the file as it was; a whole-page write then works.
   */
  @Test
  void aPartialWriteIntoAPoisonedPageAnswersEioAndChangesNothing() {
    Image img = new Image();
    img.region.poison(Layout.offset(img.fBlocks[1]) + 1024, 64);
    DaxFs fs = img.fs;
    FileHandle h = fs.open(ROOT, img.f, FileHandle.O_RDWR);
    try {
      try {
        write(fs, h, P + 10, pattern(100, 5));
        // Succeeding is acceptable only if the page then reads back whole and right.
        byte[] expect = Arrays.copyOfRange(pattern(3 * P, 1), P, 2 * P);
        System.arraycopy(pattern(100, 5), 0, expect, 10, 100);
        assertArrayEquals(expect, read(fs, h, P, P));
      } catch (ErrnoException e) {
        assertEquals(Errno.EIO, e.errno(), e.getMessage());
        assertArrayEquals(Arrays.copyOfRange(pattern(3 * P, 1), 0, P), read(fs, h, 0, P));
      } catch (RuntimeException e) {
        throw new AssertionError("a write into a poisoned page threw " + e, e);
      }
      write(fs, h, P, pattern(P, 6));
      assertArrayEquals(pattern(P, 6), read(fs, h, P, P));
    } finally {
      fs.release(h);
    }
  }

  // ---- metadata ----------------------------------------------------------------------------

  /** Poisons a line of an image and checks mount and fsck; returns the mount or null. */
  private static DaxFs poisonedMount(HeapRegion image, long off, String structure,
      boolean mayRefuse) {
    image.poison(off, 64);
    Fsck.Report rep;
    try {
      rep = Fsck.check(image, Fsck.Progress.NONE);
    } catch (RuntimeException e) {
      throw new AssertionError("fsck threw on poison under the " + structure, e);
    }
    assertEquals(4, rep.exitCode(), "fsck must report poison under the " + structure);
    assertTrue(problems(rep).contains("media error"), problems(rep));
    try {
      return DaxFs.mount(image, MountOptions.defaults());
    } catch (CorruptionException e) {
      if (!mayRefuse) {
        throw new AssertionError("poison confined to one inode refused the whole mount", e);
      }
      assertTrue(e.getMessage().contains("media error") && e.getMessage().contains(structure),
          e.getMessage());
      return null;
    } catch (RuntimeException e) {
      throw new AssertionError("mount threw on poison under the " + structure, e);
    }
  }

  private static void forBothImages(Consumer<Boolean> check) {
    check.accept(false);
    check.accept(true);
  }

  @Test
  void poisonUnderALogPageMakesThatFileAloneAnswerEio() {
    forBothImages(crashed -> {
      Image img = new Image();
      HeapRegion image = img.unmounted(crashed);
      DaxFs fs = poisonedMount(image, Layout.offset(img.fLogHead) + LogPage.HEADER, "log",
          false);
      assertErrno(Errno.EIO, () -> fs.getattr(img.f), "the file whose log is poisoned");
      assertArrayEquals(pattern(5000, 2), content(fs, img.g));
      fs.mkdir(ROOT, "/after", 0755);
      fs.unmount();
    });
  }

  @Test
  void poisonUnderALogPageHeaderMakesThatFileAloneAnswerEio() {
    forBothImages(crashed -> {
      Image img = new Image();
      HeapRegion image = img.unmounted(crashed);
      DaxFs fs = poisonedMount(image, Layout.offset(img.fLogHead), "log", false);
      assertErrno(Errno.EIO, () -> fs.getattr(img.f));
      assertArrayEquals(pattern(5000, 2), content(fs, img.g));
    });
  }

  @Test
  void poisonUnderAnInodeSlotMakesThatInodeAloneAnswerEio() {
    forBothImages(crashed -> {
      Image img = new Image();
      HeapRegion image = img.unmounted(crashed);
      DaxFs fs = poisonedMount(image, img.fSlot, "inode", false);
      assertErrno(Errno.EIO, () -> fs.resolve(ROOT, "/d/f", true));
      assertArrayEquals(pattern(5000, 2), content(fs, img.g));
    });
  }

  @Test
  void poisonUnderAnInodeTableChunkHeaderRefusesTheMount() {
    forBothImages(crashed -> {
      Image img = new Image();
      HeapRegion image = img.unmounted(crashed);
      assertEquals(null, poisonedMount(image, Layout.offset(Layout.FIRST_INODE_CHUNK),
          "inode-table chunk 0", true), "the mount must refuse");
    });
  }

  @Test
  void poisonUnderThePrimarySuperblockFallsBackToTheBackup() {
    Image img = new Image();
    HeapRegion image = img.unmounted(false);
    DaxFs fs = poisonedMount(image, 0, "superblock", true);
    assertTrue(fs.mountReport().usedBackupSuperblock());
    assertArrayEquals(pattern(3 * P, 1), content(fs, img.f));
  }

  @Test
  void poisonUnderBothSuperblocksRefusesTheMount() {
    Image img = new Image();
    HeapRegion image = img.unmounted(false);
    image.poison(Layout.BLOCK, 64);
    assertEquals(null, poisonedMount(image, 0, "superblock", true));
  }

  @Test
  void poisonUnderAJournalLaneRefusesTheMountNamingTheLane() {
    forBothImages(crashed -> {
      Image img = new Image();
      HeapRegion image = img.unmounted(crashed);
      assertEquals(null, poisonedMount(image, Layout.offset(Layout.JOURNAL_BLOCK + 3),
          "journal lane 3", true), "the mount must refuse");
    });
  }

  @Test
  void poisonUnderTheAllocatorCheckpointMakesTheMountScan() {
    Image img = new Image();
    img.fs.unmount();
    Superblock sb = Superblock.load(img.region);
    assertTrue(sb.checkpointBlock != 0);
    img.region.poison(Layout.offset(sb.checkpointBlock), 64);
    DaxFs fs = DaxFs.mount(img.region, MountOptions.defaults());
    assertTrue(!fs.mountReport().clean() && fs.mountReport().reason().contains("media error"),
        fs.mountReport().reason());
    assertArrayEquals(pattern(3 * P, 1), content(fs, img.f));
    fs.unmount();
    assertEquals(0, Fsck.check(img.region, Fsck.Progress.NONE).exitCode());
  }

  /**
   * Poison in the part of a log page beyond the committed tail touches no committed entry: the
   * inode must stay readable after a remount.
   */
  @Test
  void poisonBeyondTheTailOfALogPageLosesNothing() {
    forBothImages(crashed -> {
      Image img = new Image();
      HeapRegion image = img.unmounted(crashed);
      long line = (img.fTail + 64 + 63) & ~63L;
      assertTrue(line + 64 <= Layout.offset(img.fLogHead) + Layout.BLOCK);
      image.poison(line, 64);
      DaxFs fs = DaxFs.mount(image, MountOptions.defaults());
      try {
        assertArrayEquals(pattern(3 * P, 1), content(fs, img.f));
      } catch (ErrnoException e) {
        fail((crashed ? "crash" : "clean") + " image: poison beyond the committed tail made the "
            + "file unreadable: " + e.getMessage());
      }
    });
  }
}
