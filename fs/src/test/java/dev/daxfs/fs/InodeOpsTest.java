package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Attributes, ownership, times, access, open and release, extended attributes. */
class InodeOpsTest {

  private static final Cred ALICE = Cred.of(1000, 1000, 1500);
  private static final Cred BOB = Cred.of(2000, 2000);

  private DaxFs fs;
  private long root;

  @BeforeEach
  void setUp() {
    fs = newFs();
    root = fs.rootIno();
    fs.setattr(ROOT, root, SetAttr.create().mode(0777));
  }

  /** A regular file owned by alice with {@code perms}. */
  private Attr alicesFile(String n, int perms) {
    Attr f = fs.create(ALICE, root, name(n), 0644);
    return fs.setattr(ALICE, f.ino(), SetAttr.create().mode(perms));
  }

  // ---- getattr ---------------------------------------------------------------------------

  @Test
  void getattrReportsWhatStatWould() {
    Attr f = writeFile(fs, "/f", pattern(10_000, 1));
    Attr a = fs.getattr(f.ino());
    assertEquals(10_000, a.size());
    assertTrue(a.blocks() >= 3 * 8, "three data pages in 512-byte units: " + a.blocks());
    assertEquals(1, a.nlink());
    assertEquals(Mode.S_IFREG | 0644, a.mode());
    assertEquals(Attr.BLOCK_SIZE, 4096);
    assertErrno(Errno.ENOENT, () -> fs.getattr(123_456));
  }

  // ---- chmod -----------------------------------------------------------------------------

  @Test
  void onlyTheOwnerOrFownerMayChmod() {
    Attr f = alicesFile("f", 0644);
    Attr after = fs.setattr(ALICE, f.ino(), SetAttr.create().mode(0600));
    assertEquals(Mode.S_IFREG | 0600, after.mode());
    assertTrue(after.ctime() > f.ctime());
    assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f.ino(), SetAttr.create().mode(0777)));
    assertEquals(0600, fs.getattr(f.ino()).permissions());
    fs.setattr(BOB.withCaps(Cred.Cap.FOWNER), f.ino(), SetAttr.create().mode(0640));
    assertEquals(0640, fs.getattr(f.ino()).permissions());
  }

  @Test
  void chmodKeepsTheFileTypeAndAllSpecialBits() {
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    assertEquals(Mode.S_IFDIR | 07755,
        fs.setattr(ROOT, d.ino(), SetAttr.create().mode(Mode.S_IFREG | 07755)).mode());
  }

  @Test
  void chmodDropsSetgidOutsideTheCallersGroups() {
    Attr f = alicesFile("f", 0644);
    fs.setattr(ROOT, f.ino(), SetAttr.create().gid(777));
    assertEquals(0755, fs.setattr(ALICE, f.ino(), SetAttr.create().mode(02755)).permissions(),
        "alice is not in group 777");
    fs.setattr(ROOT, f.ino(), SetAttr.create().gid(1500));
    assertEquals(02755, fs.setattr(ALICE, f.ino(), SetAttr.create().mode(02755)).permissions(),
        "1500 is one of alice's groups");
    fs.setattr(ROOT, f.ino(), SetAttr.create().gid(777));
    assertEquals(02755, fs.setattr(ROOT, f.ino(), SetAttr.create().mode(02755)).permissions(),
        "CAP_FSETID keeps it");
  }

  // ---- chown, chgrp ----------------------------------------------------------------------

  @Test
  void changingTheOwnerNeedsCapChown() {
    Attr f = alicesFile("f", 0644);
    assertErrno(Errno.EPERM, () -> fs.setattr(ALICE, f.ino(), SetAttr.create().uid(2000)));
    assertEquals(1000, fs.getattr(f.ino()).uid());
    Attr after = fs.setattr(Cred.of(5, 5).withCaps(Cred.Cap.CHOWN), f.ino(),
        SetAttr.create().uid(2000));
    assertEquals(2000, after.uid());
    assertTrue(after.ctime() > f.ctime());
  }

  @Test
  void theOwnerMayChownToItselfAndChgrpToItsOwnGroupsOnly() {
    Attr f = alicesFile("f", 0644);
    fs.setattr(ALICE, f.ino(), SetAttr.create().uid(1000));
    assertEquals(1500, fs.setattr(ALICE, f.ino(), SetAttr.create().gid(1500)).gid());
    assertEquals(1000, fs.setattr(ALICE, f.ino(), SetAttr.create().gid(1000)).gid());
    assertErrno(Errno.EPERM, () -> fs.setattr(ALICE, f.ino(), SetAttr.create().gid(2000)));
    assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f.ino(), SetAttr.create().gid(2000)),
        "bob is in group 2000 but does not own the file");
    assertEquals(1000, fs.getattr(f.ino()).gid());
  }

  @Test
  void aNonOwnerMayNotChownEvenToTheCurrentOwner() {
    // Linux's chown_ok()/chgrp_ok(): only the owner's no-op change is allowed without
    // CAP_CHOWN; anyone else gets EPERM, and the set-id bits stay.
    Attr f = alicesFile("f", 04755);
    assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f.ino(), SetAttr.create().uid(1000)));
    assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f.ino(), SetAttr.create().gid(1000)));
    assertEquals(04755, fs.getattr(f.ino()).permissions());
  }

  @Test
  void chownClearsSetuidAndExecutableSetgidEvenForRoot() {
    Attr f = alicesFile("f", 06755);
    assertEquals(06755, fs.getattr(f.ino()).permissions());
    assertEquals(0755, fs.setattr(ROOT, f.ino(), SetAttr.create().uid(2000)).permissions());
    Attr g = alicesFile("g", 06745);
    assertEquals(02745, fs.setattr(ROOT, g.ino(), SetAttr.create().gid(1500)).permissions(),
        "set-group-ID without group-execute is a locking bit and stays");
    Attr h = alicesFile("h", 04755);
    assertEquals(0755, fs.setattr(ALICE, h.ino(), SetAttr.create().gid(1500)).permissions(),
        "the owner's chgrp clears set-user-ID too");
  }

  @Test
  void chownOfADirectoryKeepsItsSetgidBit() {
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    fs.setattr(ROOT, d.ino(), SetAttr.create().mode(02775));
    assertEquals(02775, fs.setattr(ROOT, d.ino(), SetAttr.create().uid(1000).gid(1000))
        .permissions());
  }

  // ---- utimens ---------------------------------------------------------------------------

  @Test
  void explicitTimesAreStoredToTheNanosecond() {
    Attr f = alicesFile("f", 0644);
    Attr a = fs.setattr(ALICE, f.ino(), SetAttr.create().atime(1_234_567_890_123_456_789L)
        .mtime(987_654_321_000_000_001L));
    assertEquals(1_234_567_890_123_456_789L, a.atime());
    assertEquals(987_654_321_000_000_001L, a.mtime());
    assertTrue(a.ctime() > f.ctime(), "ctime is always now");
    fs.unmount();
    fs = mount(fs.volume().region);
    assertEquals(987_654_321_000_000_001L, fs.getattr(f.ino()).mtime());
    assertEquals(1_234_567_890_123_456_789L, fs.getattr(f.ino()).atime());
  }

  @Test
  void omittedTimesStayAndNowIsNow() {
    Attr f = alicesFile("f", 0644);
    fs.setattr(ALICE, f.ino(), SetAttr.create().atime(1000).mtime(2000));
    Attr onlyM = fs.setattr(ALICE, f.ino(), SetAttr.create().mtime(3000));
    assertEquals(1000, onlyM.atime(), "UTIME_OMIT");
    assertEquals(3000, onlyM.mtime());
    long before = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
    Attr now = fs.setattr(ALICE, f.ino(), SetAttr.create().atime(SetAttr.NOW));
    assertTrue(now.atime() > before, "UTIME_NOW");
    assertEquals(3000, now.mtime());
  }

  @Test
  void settingTimesToNowNeedsOwnershipOrWritePermission() {
    Attr f = alicesFile("f", 0644);
    assertErrno(Errno.EACCES, () -> fs.setattr(BOB, f.ino(), SetAttr.create()
        .atime(SetAttr.NOW).mtime(SetAttr.NOW)));
    fs.setattr(ALICE, f.ino(), SetAttr.create().mode(0666));
    fs.setattr(BOB, f.ino(), SetAttr.create().atime(SetAttr.NOW).mtime(SetAttr.NOW));
    fs.setattr(BOB, f.ino(), SetAttr.create().mtime(SetAttr.NOW));
    assertErrno(Errno.EPERM, () -> fs.setattr(BOB, f.ino(), SetAttr.create().mtime(5)),
        "explicit times need ownership even with write permission");
    fs.setattr(BOB.withCaps(Cred.Cap.FOWNER), f.ino(), SetAttr.create().mtime(5));
    assertEquals(5, fs.getattr(f.ino()).mtime());
  }

  // ---- size ------------------------------------------------------------------------------

  @Test
  void growingReadsAsZerosAndShrinkingFreesBlocks() {
    Attr f = writeFile(fs, "/f", pattern(20_000, 1));
    long free = fs.statfs().freeBlocks();
    Attr grown = fs.setattr(ROOT, f.ino(), SetAttr.create().size(100_000));
    assertEquals(100_000, grown.size());
    assertTrue(grown.mtime() > f.mtime());
    byte[] c = content(fs, f.ino());
    assertArrayEquals(pattern(20_000, 1), java.util.Arrays.copyOf(c, 20_000));
    for (int i = 20_000; i < 100_000; i++) {
      assertEquals(0, c[i], "byte " + i);
    }
    assertTrue(fs.statfs().freeBlocks() >= free - 1, "growing allocates no data blocks");
    Attr shrunk = fs.setattr(ROOT, f.ino(), SetAttr.create().size(5000));
    assertEquals(5000, shrunk.size());
    assertTrue(fs.statfs().freeBlocks() >= free + 3, "pages 2..4 came back");
    assertArrayEquals(java.util.Arrays.copyOf(pattern(20_000, 1), 5000), content(fs, f.ino()));
  }

  @Test
  void sizeErrors() {
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    Attr p = fs.mknod(ROOT, root, name("p"), Mode.S_IFIFO | 0666, 0);
    Attr f = alicesFile("f", 0644);
    assertErrno(Errno.EISDIR, () -> fs.setattr(ROOT, d.ino(), SetAttr.create().size(0)));
    assertErrno(Errno.EINVAL, () -> fs.setattr(ROOT, p.ino(), SetAttr.create().size(0)));
    assertErrno(Errno.EACCES, () -> fs.setattr(BOB, f.ino(), SetAttr.create().size(0)));
    assertErrno(Errno.EINVAL, () -> fs.setattr(ROOT, f.ino(), SetAttr.create().size(-1)));
    assertErrno(Errno.EFBIG, () -> fs.setattr(ROOT, f.ino(),
        SetAttr.create().size(Inode.MAX_SIZE + 1)));
    FileHandle ro = fs.open(ALICE, f.ino(), FileHandle.O_RDONLY);
    var e = assertThrows(dev.daxfs.dax.ErrnoException.class,
        () -> fs.setattr(ALICE, f.ino(), SetAttr.create().size(0).handle(ro)));
    assertTrue(e.errno() == Errno.EBADF || e.errno() == Errno.EINVAL, e.getMessage());
    fs.release(ro);
  }

  @Test
  void ftruncateThroughAWritableHandleNeedsNoWritePermission() {
    Attr f = alicesFile("f", 0644);
    FileHandle h = fs.open(ALICE, f.ino(), FileHandle.O_RDWR);
    fs.setattr(ALICE, f.ino(), SetAttr.create().mode(0444));
    fs.setattr(ALICE, f.ino(), SetAttr.create().size(10).handle(h));
    assertEquals(10, fs.getattr(f.ino()).size());
    fs.release(h);
  }

  @Test
  void truncateByAnUnprivilegedCallerClearsSetuid() {
    Attr f = alicesFile("f", 06775);
    assertEquals(0775, fs.setattr(ALICE, f.ino(), SetAttr.create().size(10)).permissions());
    Attr g = alicesFile("g", 06775);
    assertEquals(06775, fs.setattr(ALICE.withCaps(Cred.Cap.FSETID), g.ino(),
        SetAttr.create().size(10)).permissions());
  }

  // ---- access ----------------------------------------------------------------------------

  @Test
  void accessChecksOwnerGroupAndOtherBits() {
    Attr f = alicesFile("f", 0640);
    fs.setattr(ROOT, f.ino(), SetAttr.create().gid(1500));
    fs.access(ALICE, f.ino(), 6);
    assertErrno(Errno.EACCES, () -> fs.access(ALICE, f.ino(), 1));
    fs.access(Cred.of(3000, 3000, 1500), f.ino(), 4);
    assertErrno(Errno.EACCES, () -> fs.access(Cred.of(3000, 3000, 1500), f.ino(), 2));
    assertErrno(Errno.EACCES, () -> fs.access(BOB, f.ino(), 4));
    fs.access(BOB, f.ino(), 0);
    // Owner bits apply to the owner even when group or other would allow more.
    fs.setattr(ALICE, f.ino(), SetAttr.create().mode(0077));
    assertErrno(Errno.EACCES, () -> fs.access(ALICE, f.ino(), 4));
    fs.access(BOB, f.ino(), 7);
  }

  @Test
  void rootMayDoAnythingButExecuteANonExecutable() {
    Attr f = alicesFile("f", 0000);
    fs.access(ROOT, f.ino(), 6);
    assertErrno(Errno.EACCES, () -> fs.access(ROOT, f.ino(), 1));
    fs.setattr(ROOT, f.ino(), SetAttr.create().mode(0001));
    fs.access(ROOT, f.ino(), 7);
    Attr d = fs.mkdir(ROOT, root, name("d"), 0000);
    fs.access(ROOT, d.ino(), 7);
  }

  // ---- open, release ---------------------------------------------------------------------

  @Test
  void openChecksTheAccessMode() {
    Attr f = alicesFile("f", 0604);
    fs.release(fs.open(BOB, f.ino(), FileHandle.O_RDONLY));
    assertErrno(Errno.EACCES, () -> fs.open(BOB, f.ino(), FileHandle.O_WRONLY));
    assertErrno(Errno.EACCES, () -> fs.open(BOB, f.ino(), FileHandle.O_RDWR));
    assertErrno(Errno.EACCES, () -> fs.open(BOB, f.ino(),
        FileHandle.O_RDONLY | FileHandle.O_TRUNC));
    assertErrno(Errno.EINVAL, () -> fs.open(ALICE, f.ino(), 3));
    assertErrno(Errno.ENOTDIR, () -> fs.open(ALICE, f.ino(), FileHandle.O_DIRECTORY));
    assertErrno(Errno.EPERM, () -> fs.open(BOB, f.ino(),
        FileHandle.O_RDONLY | FileHandle.O_NOATIME));
  }

  @Test
  void directoriesOpenReadOnly() {
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    FileHandle h = fs.open(ROOT, d.ino(), FileHandle.O_RDONLY | FileHandle.O_DIRECTORY);
    assertErrno(Errno.EISDIR, () -> fs.read(h, 0, ByteBuffer.allocate(10)));
    fs.release(h);
    assertErrno(Errno.EISDIR, () -> fs.open(ROOT, d.ino(), FileHandle.O_WRONLY));
    assertErrno(Errno.EISDIR, () -> fs.open(ROOT, d.ino(), FileHandle.O_RDWR));
    assertErrno(Errno.EISDIR, () -> fs.open(ROOT, "/d", FileHandle.O_CREAT | FileHandle.O_RDWR,
        0644));
  }

  @Test
  void openWithTruncEmptiesTheFileAndClearsSetuid() {
    Attr f = alicesFile("f", 04755);
    FileHandle w = fs.open(ALICE, f.ino(), FileHandle.O_WRONLY);
    fs.write(ALICE.withCaps(Cred.Cap.FSETID), w, 0, ByteBuffer.wrap(pattern(9000, 1)));
    fs.release(w);
    assertEquals(04755, fs.getattr(f.ino()).permissions());
    FileHandle h = fs.open(ALICE, f.ino(), FileHandle.O_RDWR | FileHandle.O_TRUNC);
    assertEquals(0, fs.getattr(f.ino()).size());
    assertEquals(0755, fs.getattr(f.ino()).permissions());
    fs.release(h);
  }

  @Test
  void openWithTruncMarksTimesEvenWhenTheFileIsEmpty() {
    // POSIX open(): O_TRUNC on an existing regular file marks mtime and ctime for update.
    Attr f = alicesFile("f", 0644);
    fs.setattr(ALICE, f.ino(), SetAttr.create().mtime(1000));
    FileHandle h = fs.open(ALICE, f.ino(), FileHandle.O_WRONLY | FileHandle.O_TRUNC);
    fs.release(h);
    assertTrue(fs.getattr(f.ino()).mtime() > 1000, "mtime " + fs.getattr(f.ino()).mtime());
  }

  @Test
  void openCreateExclusiveAndExisting() {
    FileHandle a = fs.open(ROOT, "/n", FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0600);
    assertEquals(Mode.S_IFREG | 0600, fs.getattr(a.ino()).mode());
    write(fs, a, 0, pattern(10, 1));
    assertErrno(Errno.EEXIST, () -> fs.open(ROOT, "/n", FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0600));
    FileHandle b = fs.open(ROOT, "/n", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    assertEquals(a.ino(), b.ino());
    assertEquals(10, fs.getattr(b.ino()).size(), "O_CREAT alone opens the existing file");
    assertEquals(0600, fs.getattr(b.ino()).permissions(), "and leaves its mode");
    fs.release(a);
    fs.release(b);
    fs.symlink(ROOT, "nowhere", "/dangling");
    assertErrno(Errno.EEXIST, () -> fs.open(ROOT, "/dangling", FileHandle.O_CREAT
        | FileHandle.O_EXCL | FileHandle.O_RDWR, 0600), "O_EXCL never follows a symlink");
  }

  @Test
  void openCreateOfAnExistingSymlinkOpensItsTarget() {
    writeFile(fs, "/target", utf8("abc"));
    fs.symlink(ROOT, "target", "/link");
    FileHandle h = fs.open(ROOT, "/link", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    assertEquals(fs.resolve(ROOT, "/target", true).ino(), h.ino());
    write(fs, h, 3, utf8("def"));
    fs.release(h);
    assertArrayEquals(utf8("abcdef"), content(fs, fs.resolve(ROOT, "/target", true).ino()));
  }

  @Test
  void openNoFollowOfASymlinkIsEloop() {
    writeFile(fs, "/target", utf8("abc"));
    fs.symlink(ROOT, "target", "/link");
    assertErrno(Errno.ELOOP, () -> fs.open(ROOT, "/link", FileHandle.O_RDONLY
        | FileHandle.O_NOFOLLOW, 0));
    fs.release(fs.open(ROOT, "/link", FileHandle.O_RDONLY, 0));
  }

  @Test
  void aHandleCannotBeReleasedTwiceNorUsedAfterRelease() {
    Attr f = writeFile(fs, "/f", pattern(100, 1));
    FileHandle h = fs.open(ROOT, f.ino(), FileHandle.O_RDWR);
    fs.release(h);
    assertErrno(Errno.EBADF, () -> fs.release(h));
    assertErrno(Errno.EBADF, () -> fs.read(h, 0, ByteBuffer.allocate(10)), "read");
    assertErrno(Errno.EBADF, () -> write(fs, h, 0, pattern(1, 1)), "write");
    assertErrno(Errno.EBADF, () -> fs.fallocate(ROOT, h, 0, 0, 4096), "fallocate");
  }

  @Test
  void aReleasedHandleOfAFreedFileDoesNotReadOtherFilesData() {
    Attr f = writeFile(fs, "/f", pattern(8192, 1));
    FileHandle h = fs.open(ROOT, f.ino(), FileHandle.O_RDONLY);
    fs.unlink(ROOT, "/f");
    fs.release(h);
    // The freed blocks now hold somebody else's data.
    writeFile(fs, "/g", pattern(64 * 1024, 9));
    ByteBuffer b = ByteBuffer.allocate(8192);
    var e = assertThrows(dev.daxfs.dax.ErrnoException.class, () -> fs.read(h, 0, b));
    assertNotNull(e.errno());
  }

  @Test
  void anUnlinkedOpenFileLivesUntilItsLastHandleCloses() {
    long free0 = fs.statfs().freeBlocks();
    FileHandle h1 = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    FileHandle h2 = fs.open(ROOT, h1.ino(), FileHandle.O_RDONLY);
    write(fs, h1, 0, pattern(30_000, 1));
    fs.unlink(ROOT, "/f");
    assertErrno(Errno.ENOENT, () -> fs.resolve(ROOT, "/f", true));
    assertEquals(0, fs.getattr(h1.ino()).nlink());
    write(fs, h1, 30_000, pattern(10_000, 2));
    assertEquals(40_000, fs.getattr(h1.ino()).size());
    assertArrayEquals(pattern(10_000, 2), read(fs, h2, 30_000, 10_000));
    long whileOpen = fs.statfs().freeBlocks();
    assertTrue(whileOpen < free0 - 9);
    fs.release(h1);
    assertArrayEquals(pattern(30_000, 1), read(fs, h2, 0, 30_000), "still readable");
    fs.release(h2);
    assertEquals(free0, fs.statfs().freeBlocks(), "its blocks came back at the last release");
    assertErrno(Errno.ENOENT, () -> fs.getattr(h1.ino()));
  }

  // ---- extended attributes ---------------------------------------------------------------

  @Test
  void xattrsAreSetListedReadAndRemoved() {
    Attr f = alicesFile("f", 0644);
    fs.setxattr(ALICE, f.ino(), "user.a", utf8("1"), 0);
    fs.setxattr(ALICE, f.ino(), "user.b", new byte[0], 0);
    fs.setxattr(ROOT, f.ino(), "trusted.t", utf8("tt"), 0);
    fs.setxattr(ROOT, f.ino(), "security.s", utf8("ss"), 0);
    assertArrayEquals(utf8("1"), fs.getxattr(ALICE, f.ino(), "user.a"));
    assertArrayEquals(new byte[0], fs.getxattr(ALICE, f.ino(), "user.b"));
    assertEquals(List.of("security.s", "trusted.t", "user.a", "user.b"),
        fs.listxattr(ROOT, f.ino()).stream().sorted().toList());
    assertEquals(List.of("security.s", "user.a", "user.b"),
        fs.listxattr(ALICE, f.ino()).stream().sorted().toList(), "trusted.* is hidden");
    fs.setxattr(ALICE, f.ino(), "user.a", utf8("22"), 0);
    assertArrayEquals(utf8("22"), fs.getxattr(ALICE, f.ino(), "user.a"));
    fs.removexattr(ALICE, f.ino(), "user.a");
    assertErrno(Errno.ENODATA, () -> fs.getxattr(ALICE, f.ino(), "user.a"));
    assertErrno(Errno.ENODATA, () -> fs.removexattr(ALICE, f.ino(), "user.a"));
    assertTrue(fs.getattr(f.ino()).ctime() > f.ctime(), "xattr changes touch ctime");
  }

  @Test
  void xattrsSurviveCleanAndCrashRemounts() {
    Attr f = alicesFile("f", 0644);
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    fs.setxattr(ALICE, f.ino(), "user.k", pattern(3000, 1), 0);
    fs.setxattr(ROOT, d.ino(), "trusted.dir", utf8("x"), 0);
    fs.setxattr(ALICE, f.ino(), "user.gone", utf8("x"), 0);
    fs.removexattr(ALICE, f.ino(), "user.gone");
    fs.unmount();
    fs = mount(fs.volume().region);
    assertArrayEquals(pattern(3000, 1), fs.getxattr(ALICE, f.ino(), "user.k"));
    assertArrayEquals(utf8("x"), fs.getxattr(ROOT, d.ino(), "trusted.dir"));
    DaxFs crashed = mount(fs.volume().region);
    assertEquals(List.of("user.k"), crashed.listxattr(ROOT, f.ino()));
  }

  @Test
  void createAndReplaceFlags() {
    Attr f = alicesFile("f", 0644);
    fs.setxattr(ALICE, f.ino(), "user.x", utf8("1"), InodeOps.XATTR_CREATE);
    assertErrno(Errno.EEXIST, () -> fs.setxattr(ALICE, f.ino(), "user.x", utf8("2"),
        InodeOps.XATTR_CREATE));
    fs.setxattr(ALICE, f.ino(), "user.x", utf8("3"), InodeOps.XATTR_REPLACE);
    assertArrayEquals(utf8("3"), fs.getxattr(ALICE, f.ino(), "user.x"));
    assertErrno(Errno.ENODATA, () -> fs.setxattr(ALICE, f.ino(), "user.y", utf8("2"),
        InodeOps.XATTR_REPLACE));
    assertErrno(Errno.EINVAL, () -> fs.setxattr(ALICE, f.ino(), "user.y", utf8("2"), 3));
    assertErrno(Errno.EINVAL, () -> fs.setxattr(ALICE, f.ino(), "user.y", utf8("2"), 4));
  }

  @Test
  void xattrSizeLimits() {
    Attr f = alicesFile("f", 0644);
    assertErrno(Errno.E2BIG, () -> fs.setxattr(ALICE, f.ino(), "user.big",
        new byte[65_537], 0));
    assertErrno(Errno.ENOSPC, () -> fs.setxattr(ALICE, f.ino(), "user.big",
        new byte[65_536], 0), "the largest value Linux passes, more than an inode holds");
    assertErrno(Errno.ENOSPC, () -> fs.setxattr(ALICE, f.ino(), "user.big",
        new byte[Xattrs.MAX_VALUE + 1], 0));
    fs.setxattr(ALICE, f.ino(), "user.max", new byte[Xattrs.MAX_VALUE], 0);
    assertEquals(Xattrs.MAX_VALUE, fs.getxattr(ALICE, f.ino(), "user.max").length);
  }

  @Test
  void xattrsFillUpToWhatAnInodeHoldsAndNoFurther() {
    Attr f = alicesFile("f", 0644);
    int n = 0;
    while (true) {
      try {
        fs.setxattr(ALICE, f.ino(), "user.n" + n, pattern(3000, n), 0);
        n++;
      } catch (dev.daxfs.dax.ErrnoException e) {
        assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
        break;
      }
      assertTrue(n < 100, "never ran out of room");
    }
    assertTrue(n >= 16, "only " + n + " attributes of 3000 bytes fit");
    fs.removexattr(ALICE, f.ino(), "user.n0");
    fs.setxattr(ALICE, f.ino(), "user.again", pattern(3000, 99), 0);
    for (int i = 1; i < n; i++) {
      assertArrayEquals(pattern(3000, i), fs.getxattr(ALICE, f.ino(), "user.n" + i));
    }
  }

  @Test
  void xattrNames() {
    Attr f = alicesFile("f", 0644);
    String n255 = "user." + "n".repeat(250);
    fs.setxattr(ALICE, f.ino(), n255, utf8("v"), 0);
    assertArrayEquals(utf8("v"), fs.getxattr(ALICE, f.ino(), n255));
    assertErrno(Errno.ERANGE, () -> fs.setxattr(ALICE, f.ino(), n255 + "x", utf8("v"), 0));
    assertErrno(Errno.ERANGE, () -> fs.getxattr(ALICE, f.ino(), n255 + "x"));
    assertErrno(Errno.ERANGE, () -> fs.setxattr(ALICE, f.ino(), "", utf8("v"), 0));
    assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(ROOT, f.ino(), "system.posix_acl_x",
        utf8("v"), 0));
    assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(ROOT, f.ino(), "plain", utf8("v"), 0));
  }

  @Test
  void anXattrNameThatIsOnlyAPrefixIsEinval() {
    // Linux's xattr_resolve_name(): a known prefix with nothing after it is EINVAL.
    Attr f = alicesFile("f", 0644);
    assertErrno(Errno.EINVAL, () -> fs.setxattr(ALICE, f.ino(), "user.", utf8("v"), 0));
  }

  @Test
  void trustedXattrsNeedCapSysAdmin() {
    Attr f = alicesFile("f", 0644);
    assertErrno(Errno.EPERM, () -> fs.setxattr(ALICE, f.ino(), "trusted.x", utf8("v"), 0));
    fs.setxattr(ROOT, f.ino(), "trusted.x", utf8("v"), 0);
    assertErrno(Errno.EPERM, () -> fs.removexattr(ALICE, f.ino(), "trusted.x"));
    fs.setxattr(Cred.of(5, 5).withCaps(Cred.Cap.SYS_ADMIN), f.ino(), "trusted.y", utf8("v"), 0);
  }

  @Test
  void readingATrustedXattrWithoutCapSysAdminIsEnodata() {
    // Linux's xattr_permission(): (mask & MAY_WRITE) ? -EPERM : -ENODATA.
    Attr f = alicesFile("f", 0644);
    fs.setxattr(ROOT, f.ino(), "trusted.x", utf8("v"), 0);
    assertErrno(Errno.ENODATA, () -> fs.getxattr(ALICE, f.ino(), "trusted.x"));
  }

  @Test
  void userXattrsOnlyOnRegularFilesAndDirectories() {
    Attr l = fs.symlink(ROOT, root, name("l"), utf8("f"));
    Attr p = fs.mknod(ROOT, root, name("p"), Mode.S_IFIFO | 0666, 0);
    assertErrno(Errno.EPERM, () -> fs.setxattr(ROOT, l.ino(), "user.x", utf8("v"), 0));
    assertErrno(Errno.ENODATA, () -> fs.getxattr(ROOT, l.ino(), "user.x"));
    assertErrno(Errno.EPERM, () -> fs.setxattr(ROOT, p.ino(), "user.x", utf8("v"), 0));
    fs.setxattr(ROOT, l.ino(), "trusted.x", utf8("v"), 0);
    assertArrayEquals(utf8("v"), fs.getxattr(ROOT, l.ino(), "trusted.x"));
    Attr d = fs.mkdir(ROOT, root, name("d"), 0755);
    fs.setxattr(ROOT, d.ino(), "user.x", utf8("v"), 0);
  }

  @Test
  void userXattrsFollowFilePermissions() {
    Attr f = alicesFile("f", 0640);
    fs.setxattr(ALICE, f.ino(), "user.x", utf8("v"), 0);
    assertErrno(Errno.EACCES, () -> fs.getxattr(BOB, f.ino(), "user.x"));
    assertErrno(Errno.EACCES, () -> fs.setxattr(BOB, f.ino(), "user.y", utf8("v"), 0));
    assertErrno(Errno.EACCES, () -> fs.removexattr(BOB, f.ino(), "user.x"));
    fs.setxattr(ALICE, f.ino(), "user.x", utf8("v"), 0);
    fs.setattr(ALICE, f.ino(), SetAttr.create().mode(0646));
    fs.setxattr(BOB, f.ino(), "user.y", utf8("v"), 0);
  }

  @Test
  void userXattrsOfAStickyDirectoryBelongToItsOwner() {
    // Linux's xattr_permission(): writing user.* of a sticky directory needs ownership.
    Attr d = fs.mkdir(ALICE, root, name("d"), 0777);
    fs.setattr(ALICE, d.ino(), SetAttr.create().mode(01777));
    assertErrno(Errno.EPERM, () -> fs.setxattr(BOB, d.ino(), "user.x", utf8("v"), 0));
  }

  // ---- unmounted ---------------------------------------------------------------------------

  @Test
  void everyCallAfterUnmountIsEio() {
    Attr f = writeFile(fs, "/f", pattern(10, 1));
    FileHandle h = fs.open(ROOT, f.ino(), FileHandle.O_RDWR);
    fs.unmount();
    fs.unmount();
    assertErrno(Errno.EIO, () -> fs.getattr(f.ino()));
    assertErrno(Errno.EIO, () -> fs.lookup(ROOT, root, name("f")));
    assertErrno(Errno.EIO, () -> fs.read(h, 0, ByteBuffer.allocate(1)));
    assertErrno(Errno.EIO, () -> write(fs, h, 0, pattern(1, 1)));
    assertErrno(Errno.EIO, () -> fs.statfs());
    assertErrno(Errno.EIO, () -> fs.create(ROOT, root, name("g"), 0644));
    assertErrno(Errno.EIO, () -> fs.resolve(ROOT, "/f", true));
  }
}
