package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The data path: read, write, truncate, fallocate, lseek, fsync. */
class FileIoTest {

  private static final int P = 4096;
  private static final int KEEP = FileIo.FALLOC_FL_KEEP_SIZE;
  private static final int PUNCH = FileIo.FALLOC_FL_PUNCH_HOLE;
  private static final int ZERO = FileIo.FALLOC_FL_ZERO_RANGE;
  private static final int COLLAPSE = FileIo.FALLOC_FL_COLLAPSE_RANGE;
  private static final int INSERT = FileIo.FALLOC_FL_INSERT_RANGE;

  private DaxFs fs;
  private FileHandle h;
  /** What the file should hold. */
  private byte[] expected = new byte[0];

  @BeforeEach
  void setUp() {
    fs = newFs();
    h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
  }

  @AfterEach
  void tearDown() {
    if (fs != null) {
      try {
        fs.release(h);
      } catch (ErrnoException e) {
        // already released by the test
      }
    }
  }

  private long size() {
    return fs.getattr(h.ino()).size();
  }

  private long free() {
    return fs.statfs().freeBlocks();
  }

  /** Writes through the handle and into {@link #expected}. */
  private void put(long off, byte[] data) {
    assertEquals(data.length, write(fs, h, off, data));
    int end = (int) off + data.length;
    if (end > expected.length) {
      expected = Arrays.copyOf(expected, end);
    }
    System.arraycopy(data, 0, expected, (int) off, data.length);
  }

  private void truncate(long size) {
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(size));
    expected = Arrays.copyOf(expected, (int) size);
  }

  private void check() {
    assertEquals(expected.length, size());
    byte[] got = content(fs, h.ino());
    for (int i = 0; i < expected.length; i++) {
      if (got[i] != expected[i]) {
        fail("byte " + i + ": expected " + expected[i] + " but was " + got[i]);
      }
    }
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  // ---- read and write --------------------------------------------------------------------

  @Test
  void writeThenReadBack() {
    put(0, utf8("hello, world"));
    check();
    assertArrayEquals(utf8("world"), read(fs, h, 7, 100), "a read stops at EOF");
    assertEquals(0, read(fs, h, 12, 10).length);
    assertEquals(0, read(fs, h, 1 << 20, 10).length);
    assertEquals(0, fs.read(h, 0, ByteBuffer.allocate(0)));
  }

  @Test
  void holesReadAsZeroAndTakeNoBlocks() {
    long free = free();
    put(10L * P + 5, utf8("x"));
    put(1000L * P, utf8("y"));
    check();
    assertEquals(1000L * P + 1, size());
    long used = free - free();
    assertTrue(used <= 3, "two data pages (and perhaps a log page), not " + used);
    assertTrue(fs.getattr(h.ino()).blocks() <= 3 * 8, "st_blocks " + fs.getattr(h.ino()).blocks());
  }

  @Test
  void aHugeSparseFileCostsNothing() {
    long free = free();
    long off = (1L << 40) + 12345;
    put(0, utf8("head"));
    assertEquals(1, write(fs, h, off, utf8("z")));
    assertEquals(off + 1, size());
    assertArrayEquals(utf8("z"), read(fs, h, off, 10));
    assertArrayEquals(new byte[4096], read(fs, h, off - 4096, 4096));
    assertTrue(free - free() <= 3);
  }

  @Test
  void unalignedOverwritesKeepTheBytesAround() {
    put(0, pattern(5 * P + 300, 1));
    put(100, pattern(10, 2));
    put(P - 3, pattern(7, 3));
    put(3 * P + 4000, pattern(P + 500, 4));
    put(5 * P + 299, pattern(3, 5));
    check();
  }

  @Test
  void writesSpanningManyPages() {
    put(4000, pattern(3 * 1024 * 1024 + 123, 7));
    check();
    put(4001 + 1024 * 1024, pattern(1000, 8));
    check();
  }

  @Test
  void overwritingDoesNotLeakBlocks() {
    put(0, pattern(64 * P, 1));
    long free = free();
    for (int i = 0; i < 20; i++) {
      put((i * 7919) % (60 * P), pattern(3 * P, i));
    }
    check();
    assertTrue(free - free() <= 2, "copy-on-write freed the old blocks: " + (free - free())
        + " more used");
  }

  @Test
  void appendWritesAtEndOfFile() {
    put(0, utf8("abc"));
    FileHandle a = fs.open(ROOT, h.ino(), FileHandle.O_WRONLY | FileHandle.O_APPEND);
    assertEquals(3, write(fs, a, 0, utf8("def")));
    assertEquals(3, write(fs, a, 1 << 20, utf8("ghi")));
    fs.release(a);
    expected = utf8("abcdefghi");
    check();
  }

  @Test
  void writeUpdatesTimesAndClearsSetuidForUnprivilegedWriters() {
    Cred alice = Cred.of(1000, 1000);
    fs.setattr(ROOT, h.ino(), SetAttr.create().uid(1000).gid(1000).mode(06775).mtime(5));
    FileHandle w = fs.open(alice, h.ino(), FileHandle.O_WRONLY);
    fs.write(alice.withCaps(Cred.Cap.FSETID), w, 0, ByteBuffer.wrap(utf8("a")));
    assertEquals(06775, fs.getattr(h.ino()).permissions(), "CAP_FSETID keeps the bits");
    Attr before = fs.getattr(h.ino());
    fs.write(alice, w, 0, ByteBuffer.wrap(utf8("b")));
    Attr after = fs.getattr(h.ino());
    assertEquals(0775, after.permissions());
    assertTrue(after.mtime() > before.mtime() && after.ctime() > before.ctime());
    fs.setattr(ROOT, h.ino(), SetAttr.create().mode(02745));
    fs.write(alice, w, 0, ByteBuffer.wrap(utf8("c")));
    assertEquals(02745, fs.getattr(h.ino()).permissions(),
        "set-group-ID without group-execute stays");
    fs.release(w);
  }

  @Test
  void writeAdvancesTheSourceBuffer() {
    ByteBuffer src = ByteBuffer.wrap(pattern(100, 1));
    src.position(10);
    assertEquals(90, fs.write(ROOT, h, 0, src));
    assertFalse(src.hasRemaining());
    expected = Arrays.copyOfRange(pattern(100, 1), 10, 100);
    check();
  }

  @Test
  void readAndWriteErrors() {
    put(0, utf8("data"));
    FileHandle ro = fs.open(ROOT, h.ino(), FileHandle.O_RDONLY);
    FileHandle wo = fs.open(ROOT, h.ino(), FileHandle.O_WRONLY);
    assertErrno(Errno.EBADF, () -> write(fs, ro, 0, utf8("x")));
    assertErrno(Errno.EBADF, () -> fs.read(wo, 0, ByteBuffer.allocate(4)));
    assertErrno(Errno.EINVAL, () -> fs.read(ro, -1, ByteBuffer.allocate(4)));
    assertErrno(Errno.EINVAL, () -> write(fs, wo, -1, utf8("x")));
    assertErrno(Errno.EFBIG, () -> write(fs, wo, Inode.MAX_SIZE - 1, utf8("xy")));
    assertEquals(0, write(fs, wo, 0, new byte[0]), "an empty write writes nothing");
    fs.release(ro);
    fs.release(wo);
    Attr p = fs.mknod(ROOT, fs.rootIno(), name("p"), Mode.S_IFIFO | 0666, 0);
    FileHandle ph = fs.open(ROOT, p.ino(), FileHandle.O_RDWR);
    assertErrno(Errno.EINVAL, () -> write(fs, ph, 0, utf8("x")));
    assertErrno(Errno.EINVAL, () -> fs.read(ph, 0, ByteBuffer.allocate(1)));
    fs.release(ph);
    check();
  }

  // ---- growth exposes zeros --------------------------------------------------------------

  @Test
  void extendingWritesZeroWhatTheyExposeAfterAShrink() {
    put(0, filled(3 * P, 0x77));
    truncate(100);
    put(200, utf8("same page"));
    check();
    truncate(150);
    put(P + 10, utf8("next page"));
    check();
    truncate(50);
    put(40L * P, utf8("far away"));
    check();
  }

  @Test
  void truncateUpZeroesTheOldTail() {
    put(0, filled(2 * P, 0x55));
    truncate(1000);
    truncate(3 * P);
    check();
    truncate(10);
    truncate(20);
    check();
  }

  @Test
  void fallocateGrowingFromInsideTheLastPageZeroesItsTail() {
    put(0, filled(2 * P, 0x66));
    truncate(100);
    fs.fallocate(ROOT, h, 0, 0, 2 * P);
    expected = Arrays.copyOf(expected, 2 * P);
    check();
  }

  @Test
  void zeroRangeGrowingTheFileZeroesItsOldTail() {
    put(0, filled(2 * P, 0x44));
    truncate(100);
    fs.fallocate(ROOT, h, ZERO, 3 * P, P);
    expected = Arrays.copyOf(expected, 4 * P);
    check();
  }

  // ---- fallocate -------------------------------------------------------------------------

  @Test
  void allocateGrowsTheFileWithZerosAndReservesBlocks() {
    long free = free();
    fs.fallocate(ROOT, h, 0, 0, 10 * P);
    assertEquals(10 * P, size());
    assertTrue(free - free() >= 10);
    expected = new byte[10 * P];
    check();
    long afterAlloc = free();
    put(3 * P + 7, pattern(2 * P, 1));
    check();
    assertTrue(afterAlloc - free() <= 1, "writes into allocated blocks need no new data blocks");
  }

  @Test
  void allocateInsideTheFileKeepsItsData() {
    put(0, pattern(3 * P, 1));
    fs.fallocate(ROOT, h, 0, P, P);
    check();
    fs.fallocate(ROOT, h, 0, 100, 3 * P);
    expected = Arrays.copyOf(expected, 3 * P + 100);
    check();
  }

  @Test
  void keepSizeAllocatesBeyondEndOfFile() {
    put(0, utf8("abc"));
    long free = free();
    fs.fallocate(ROOT, h, KEEP, 0, 8 * P);
    assertEquals(3, size());
    assertTrue(free - free() >= 7);
    check();
    put(5 * P, utf8("later"));
    check();
  }

  @Test
  void punchHoleZeroesPartialPagesAndFreesWholeOnes() {
    put(0, pattern(10 * P, 3));
    long free = free();
    fs.fallocate(ROOT, h, PUNCH | KEEP, P + 100, 5 * P);
    Arrays.fill(expected, P + 100, 6 * P + 100, (byte) 0);
    check();
    assertEquals(10 * P, size());
    assertTrue(free() - free >= 4, "pages 2..5 were freed: " + (free() - free));
    fs.fallocate(ROOT, h, PUNCH | KEEP, 9 * P + 10, 100 * P);
    Arrays.fill(expected, 9 * P + 10, 10 * P, (byte) 0);
    assertEquals(10 * P, size(), "punching beyond EOF does not grow the file");
    check();
    fs.fallocate(ROOT, h, PUNCH | KEEP, 20 * P, P);
    check();
  }

  @Test
  void punchWithinOnePage() {
    put(0, pattern(P, 1));
    fs.fallocate(ROOT, h, PUNCH | KEEP, 10, 20);
    Arrays.fill(expected, 10, 30, (byte) 0);
    check();
  }

  @Test
  void punchFreesPreallocatedBlocksBeyondEndOfFile() {
    put(0, utf8("x"));
    long free = free();
    fs.fallocate(ROOT, h, KEEP, 0, 16 * P);
    fs.fallocate(ROOT, h, PUNCH | KEEP, P, 15 * P);
    assertTrue(free - free() <= 1, "punched preallocation came back");
    check();
  }

  @Test
  void zeroRangeZeroesAndGrowsUnlessKeepSize() {
    put(0, pattern(4 * P, 2));
    fs.fallocate(ROOT, h, ZERO, 100, 2 * P);
    Arrays.fill(expected, 100, 2 * P + 100, (byte) 0);
    check();
    fs.fallocate(ROOT, h, ZERO | KEEP, 3 * P, 5 * P);
    Arrays.fill(expected, 3 * P, 4 * P, (byte) 0);
    assertEquals(4 * P, size());
    check();
    fs.fallocate(ROOT, h, ZERO, 4 * P - 10, 2 * P);
    expected = Arrays.copyOf(expected, 6 * P - 10);
    check();
  }

  @Test
  void collapseRangeRemovesPagesAndShiftsTheRest() {
    put(0, pattern(10 * P + 50, 5));
    long free = free();
    fs.fallocate(ROOT, h, COLLAPSE, 2 * P, 3 * P);
    byte[] e = new byte[7 * P + 50];
    System.arraycopy(expected, 0, e, 0, 2 * P);
    System.arraycopy(expected, 5 * P, e, 2 * P, 5 * P + 50);
    expected = e;
    check();
    assertTrue(free() - free >= 3);
  }

  @Test
  void insertRangeOpensAHole() {
    put(0, pattern(4 * P + 10, 6));
    fs.fallocate(ROOT, h, INSERT, P, 2 * P);
    byte[] e = new byte[6 * P + 10];
    System.arraycopy(expected, 0, e, 0, P);
    System.arraycopy(expected, P, e, 3 * P, 3 * P + 10);
    expected = e;
    check();
    assertEquals(-1, -1);
    assertEquals(P, fs.lseek(h, 0, FileIo.SEEK_HOLE));
    assertEquals(3 * P, fs.lseek(h, P, FileIo.SEEK_DATA));
  }

  @Test
  void collapseAndInsertFollowLinuxRules() {
    put(0, pattern(8 * P, 1));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, COLLAPSE, 100, P));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, COLLAPSE, P, 100));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, COLLAPSE, 4 * P, 4 * P),
        "collapse reaching EOF");
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, COLLAPSE | KEEP, P, P));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, INSERT, 100, P));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, INSERT, P, 100));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, INSERT, 8 * P, P),
        "insert at EOF");
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, INSERT | KEEP, P, P));
    assertErrno(Errno.EFBIG, () -> fs.fallocate(ROOT, h, INSERT, P, Inode.MAX_SIZE - 4 * P));
    check();
  }

  @Test
  void fallocateArgumentRules() {
    put(0, pattern(2 * P, 1));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, 0, -1, P));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, 0, 0, 0));
    assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT, h, 0, 0, -5));
    assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT, h, PUNCH, 0, P),
        "punch hole needs keep size");
    assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT, h, PUNCH | ZERO | KEEP, 0, P));
    assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT, h, 0x40, 0, P), "unshare");
    assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT, h, 0x100, 0, P));
    assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT, h,
        FileIo.FALLOC_FL_NO_HIDE_STALE | PUNCH | KEEP, 0, P));
    assertErrno(Errno.EFBIG, () -> fs.fallocate(ROOT, h, 0, Inode.MAX_SIZE, 1));
    assertErrno(Errno.EFBIG, () -> fs.fallocate(ROOT, h, 0, Long.MAX_VALUE - 10, 100),
        "wrapping through zero");
    FileHandle ro = fs.open(ROOT, h.ino(), FileHandle.O_RDONLY);
    assertErrno(Errno.EBADF, () -> fs.fallocate(ROOT, ro, 0, 0, P));
    fs.release(ro);
    check();
  }

  @Test
  void fallocateOnSpecialFiles() {
    long root = fs.rootIno();
    Attr p = fs.mknod(ROOT, root, name("p"), Mode.S_IFIFO | 0666, 0);
    Attr c = fs.mknod(ROOT, root, name("c"), Mode.S_IFCHR | 0666, 0x0501);
    Attr s = fs.mknod(ROOT, root, name("s"), Mode.S_IFSOCK | 0666, 0);
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    FileHandle ph = fs.open(ROOT, p.ino(), FileHandle.O_RDWR);
    FileHandle ch = fs.open(ROOT, c.ino(), FileHandle.O_RDWR);
    FileHandle sh = fs.open(ROOT, s.ino(), FileHandle.O_RDWR);
    FileHandle dh = fs.open(ROOT, d.ino(), FileHandle.O_RDONLY);
    assertErrno(Errno.ESPIPE, () -> fs.fallocate(ROOT, ph, 0, 0, P));
    assertErrno(Errno.ENODEV, () -> fs.fallocate(ROOT, ch, 0, 0, P));
    assertErrno(Errno.ENODEV, () -> fs.fallocate(ROOT, sh, 0, 0, P));
    assertErrno(Errno.EBADF, () -> fs.fallocate(ROOT, dh, 0, 0, P),
        "a directory opens read-only, so EBADF comes first");
    for (FileHandle x : new FileHandle[] {ph, ch, sh, dh}) {
      fs.release(x);
    }
  }

  @Test
  void fallocateBeyondFreeSpaceIsEnospcAndChangesNothing() {
    put(0, pattern(100, 1));
    long free = free();
    assertErrno(Errno.ENOSPC, () -> fs.fallocate(ROOT, h, 0, 0, 64L << 20));
    assertEquals(100, size());
    assertEquals(free, free());
    check();
  }

  // ---- lseek -----------------------------------------------------------------------------

  @Test
  void seekDataAndHoleWalkASparseFile() {
    put(2 * P, pattern(P, 1));
    put(5 * P, pattern(2 * P, 2));
    put(10 * P - 1, utf8("e"));
    assertEquals(2 * P, fs.lseek(h, 0, FileIo.SEEK_DATA));
    assertEquals(2 * P + 17, fs.lseek(h, 2 * P + 17, FileIo.SEEK_DATA));
    assertEquals(3 * P, fs.lseek(h, 2 * P, FileIo.SEEK_HOLE));
    assertEquals(5 * P, fs.lseek(h, 3 * P, FileIo.SEEK_DATA));
    assertEquals(7 * P, fs.lseek(h, 5 * P, FileIo.SEEK_HOLE));
    assertEquals(0, fs.lseek(h, 0, FileIo.SEEK_HOLE));
    assertEquals(9 * P, fs.lseek(h, 7 * P + 1, FileIo.SEEK_DATA));
    assertEquals(10 * P, fs.lseek(h, 9 * P, FileIo.SEEK_HOLE), "EOF is a hole");
    assertErrno(Errno.ENXIO, () -> fs.lseek(h, 10 * P, FileIo.SEEK_DATA));
    assertErrno(Errno.ENXIO, () -> fs.lseek(h, 10 * P, FileIo.SEEK_HOLE));
    assertErrno(Errno.ENXIO, () -> fs.lseek(h, 50 * P, FileIo.SEEK_HOLE));
  }

  @Test
  void seekDataInATrailingHoleIsEnxio() {
    put(0, utf8("x"));
    truncate(10 * P);
    assertEquals(0, fs.lseek(h, 0, FileIo.SEEK_DATA));
    assertErrno(Errno.ENXIO, () -> fs.lseek(h, P, FileIo.SEEK_DATA));
    assertEquals(P, fs.lseek(h, 0, FileIo.SEEK_HOLE));
  }

  @Test
  void unwrittenExtentsCountAsHoles() {
    fs.fallocate(ROOT, h, 0, 0, 8 * P);
    assertErrno(Errno.ENXIO, () -> fs.lseek(h, 0, FileIo.SEEK_DATA));
    assertEquals(0, fs.lseek(h, 0, FileIo.SEEK_HOLE));
    put(3 * P, pattern(P, 1));
    assertEquals(3 * P, fs.lseek(h, 0, FileIo.SEEK_DATA));
    assertEquals(4 * P, fs.lseek(h, 3 * P, FileIo.SEEK_HOLE));
    assertEquals(0, fs.lseek(h, 0, FileIo.SEEK_HOLE));
    fs.fallocate(ROOT, h, ZERO, 3 * P, P);
    assertErrno(Errno.ENXIO, () -> fs.lseek(h, 0, FileIo.SEEK_DATA));
  }

  @Test
  void seekSetAndEnd() {
    put(0, pattern(1000, 1));
    assertEquals(77, fs.lseek(h, 77, FileIo.SEEK_SET));
    assertEquals(1000, fs.lseek(h, 0, FileIo.SEEK_END));
    assertEquals(990, fs.lseek(h, -10, FileIo.SEEK_END));
    assertErrno(Errno.EINVAL, () -> fs.lseek(h, 0, 7));
    assertErrno(Errno.EINVAL, () -> fs.lseek(h, -1, FileIo.SEEK_DATA));
  }

  @Test
  void seekToANegativeOffsetIsEinval() {
    put(0, pattern(1000, 1));
    assertErrno(Errno.EINVAL, () -> fs.lseek(h, -1, FileIo.SEEK_SET));
    assertErrno(Errno.EINVAL, () -> fs.lseek(h, -1001, FileIo.SEEK_END));
  }

  // ---- fsync, persistence ----------------------------------------------------------------

  @Test
  void dataSurvivesCleanAndCrashRemounts() {
    put(0, pattern(5 * P + 1, 1));
    put(20 * P, pattern(100, 2));
    fs.fallocate(ROOT, h, PUNCH | KEEP, P, 2 * P);
    Arrays.fill(expected, P, 3 * P, (byte) 0);
    fs.fsync(h, false);
    fs.fsync(h, true);
    long ino = h.ino();
    fs.release(h);
    fs.unmount();
    fs = mount(fs.volume().region);
    h = fs.open(ROOT, ino, FileHandle.O_RDWR);
    check();
    put(7, pattern(9000, 3));
    DaxFs crashed = mount(fs.volume().region);
    assertFalse(crashed.mountReport().clean());
    assertArrayEquals(expected, content(crashed, ino));
  }

  // ---- full filesystem -------------------------------------------------------------------

  /** Writes one big file until ENOSPC; returns its inode. */
  private long fillUp(String path) {
    FileHandle big = fs.open(ROOT, path, FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    long off = 0;
    byte[] chunk = pattern(64 * P, 9);
    int len = chunk.length;
    while (len >= P) {
      try {
        write(fs, big, off, Arrays.copyOf(chunk, len));
        off += len;
      } catch (ErrnoException e) {
        assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
        assertEquals(off, fs.getattr(big.ino()).size(), "a failed write changes nothing");
        len /= 2;
      }
    }
    fs.release(big);
    return big.ino();
  }

  @Test
  void aFullFilesystemStillUnlinksRemovesAndTruncates() {
    fs.mkdir(ROOT, "/d", 0755);
    writeFile(fs, "/d/small", pattern(10, 1));
    writeFile(fs, "/t", pattern(40 * P, 2));
    long big = fillUp("/big");
    assertErrno(Errno.ENOSPC, () -> writeFile(fs, "/more", pattern(64 * P, 3)));
    fs.setattr(ROOT, fs.resolve(ROOT, "/t", true).ino(), SetAttr.create().size(P));
    fs.unlink(ROOT, "/d/small");
    fs.rmdir(ROOT, "/d");
    fs.unlink(ROOT, "/big");
    assertErrno(Errno.ENOENT, () -> fs.getattr(big));
    writeFile(fs, "/more", pattern(64 * P, 3));
    check();
  }

  @Test
  void writesIntoAFallocatedRangeNeverHitEnospc() {
    fs.fallocate(ROOT, h, 0, 0, 256 * P);
    expected = new byte[256 * P];
    fillUp("/big");
    // Every write into the range must succeed, however many times it is rewritten.
    for (int i = 0; i < 3000; i++) {
      put((long) (i * 4099) % (255 * P), pattern(200, i));
    }
    check();
  }
}
