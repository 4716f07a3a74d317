package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Names: lookup, create, mkdir, mknod, symlink, link, unlink, rmdir, rename, readdir. */
class NamespaceTest {

  private static final Cred ALICE = Cred.of(1000, 1000);
  private static final Cred BOB = Cred.of(2000, 2000);

  private DaxFs fs;
  private long root;

  @BeforeEach
  void setUp() {
    fs = newFs();
    root = fs.rootIno();
  }

  private Attr mkdir(long dir, String n) {
    return fs.mkdir(ROOT, dir, name(n), 0755);
  }

  private Attr create(long dir, String n) {
    return fs.create(ROOT, dir, name(n), 0644);
  }

  private Attr lookup(long dir, String n) {
    return fs.lookup(ROOT, dir, name(n));
  }

  /** A world-writable directory (for unprivileged callers). */
  private Attr open777(String n) {
    Attr d = fs.mkdir(ROOT, root, name(n), 0777);
    fs.setattr(ROOT, d.ino(), SetAttr.create().mode(0777));
    return fs.getattr(d.ino());
  }

  // ---- lookup ----------------------------------------------------------------------------

  @Test
  void lookupFindsWhatCreateMade() {
    Attr f = create(root, "f");
    Attr found = lookup(root, "f");
    assertEquals(f.ino(), found.ino());
    assertEquals(f.generation(), found.generation());
    assertTrue(found.isRegular());
  }

  @Test
  void lookupOfDotAndDotDot() {
    Attr d = mkdir(root, "d");
    Attr e = mkdir(d.ino(), "e");
    assertEquals(e.ino(), lookup(e.ino(), ".").ino());
    assertEquals(d.ino(), lookup(e.ino(), "..").ino());
    assertEquals(root, lookup(root, "..").ino(), "the root is its own parent");
  }

  @Test
  void lookupErrors() {
    Attr f = create(root, "f");
    assertErrno(Errno.ENOENT, () -> lookup(root, "missing"));
    assertErrno(Errno.ENOTDIR, () -> lookup(f.ino(), "x"));
    assertErrno(Errno.ENAMETOOLONG, () -> fs.lookup(ROOT, root, Name.of("n".repeat(256))));
    assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT, 99999, name("x")));
  }

  @Test
  void lookupNeedsSearchPermission() {
    Attr d = fs.mkdir(ROOT, root, name("d"), 0700);
    create(d.ino(), "f");
    assertErrno(Errno.EACCES, () -> fs.lookup(ALICE, d.ino(), name("f")));
    fs.setattr(ROOT, d.ino(), SetAttr.create().mode(0701));
    assertEquals(lookup(d.ino(), "f").ino(), fs.lookup(ALICE, d.ino(), name("f")).ino());
  }

  // ---- names -----------------------------------------------------------------------------

  @Test
  void namesOf255BytesWorkAnd256AreTooLong() {
    String n255 = "a".repeat(255);
    Attr f = create(root, n255);
    assertEquals(f.ino(), lookup(root, n255).ino());
    assertTrue(list(fs, root).containsKey(n255));
    assertErrno(Errno.ENAMETOOLONG, () -> Name.of("a".repeat(256)));
    // Multi-byte UTF-8: 85 three-byte characters are 255 bytes, 86 are 258.
    Attr g = create(root, "\u20ac".repeat(85));
    assertEquals(g.ino(), lookup(root, "\u20ac".repeat(85)).ino());
    assertErrno(Errno.ENAMETOOLONG, () -> Name.of("\u20ac".repeat(86)));
  }

  @Test
  void namesAreBytesWithoutSlashOrNul() {
    assertErrno(Errno.EINVAL, () -> Name.of("a/b"));
    assertErrno(Errno.EINVAL, () -> Name.of(new byte[] {'a', 0}));
    byte[] latin1 = {(byte) 0xe9, 't', (byte) 0xe9};
    Attr f = fs.create(ROOT, root, Name.of(latin1), 0644);
    assertEquals(f.ino(), fs.lookup(ROOT, root, Name.of(latin1)).ino());
    assertErrno(Errno.ENOENT, () -> lookup(root, "\u00e9t\u00e9"), "no normalisation");
  }

  @Test
  void namesSurviveARemount() {
    String n255 = "z".repeat(255);
    create(root, n255);
    fs.unmount();
    fs = mount(fs.volume().region);
    assertTrue(list(fs, root).containsKey(n255));
  }

  // ---- create, mkdir ---------------------------------------------------------------------

  @Test
  void createSetsTypeModeOwnerAndTimes() {
    Attr d = open777("pub");
    long before = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
    Attr f = fs.create(ALICE, d.ino(), name("f"), 0640);
    assertEquals(Mode.S_IFREG | 0640, f.mode());
    assertEquals(1000, f.uid());
    assertEquals(1000, f.gid());
    assertEquals(1, f.nlink());
    assertEquals(0, f.size());
    assertTrue(f.mtime() > before && f.ctime() > before && f.atime() > before);
    Attr dir = fs.getattr(d.ino());
    assertTrue(dir.mtime() >= f.mtime(), "the directory's mtime moved with the new entry");
  }

  @Test
  void createErrors() {
    Attr f = create(root, "f");
    assertErrno(Errno.EEXIST, () -> create(root, "f"));
    assertErrno(Errno.EEXIST, () -> mkdir(root, "f"));
    assertErrno(Errno.ENOTDIR, () -> create(f.ino(), "g"));
    assertErrno(Errno.EEXIST, () -> create(root, "."));
    assertErrno(Errno.EEXIST, () -> mkdir(root, ".."));
    assertErrno(Errno.EACCES, () -> fs.create(ALICE, root, name("g"), 0644));
    Attr d = mkdir(root, "d");
    fs.rmdir(ROOT, root, name("d"));
    assertErrno(Errno.ENOENT, () -> fs.create(ROOT, d.ino(), name("x"), 0644),
        "creating in a removed directory");
  }

  @Test
  void mkdirCountsLinks() {
    Attr d = mkdir(root, "d");
    assertEquals(Mode.S_IFDIR | 0755, d.mode());
    assertEquals(2, d.nlink());
    assertEquals(3, fs.getattr(root).nlink());
    mkdir(d.ino(), "e");
    mkdir(d.ino(), "f");
    create(d.ino(), "file");
    assertEquals(4, fs.getattr(d.ino()).nlink(), "2 + one per subdirectory");
    fs.rmdir(ROOT, d.ino(), name("e"));
    assertEquals(3, fs.getattr(d.ino()).nlink());
  }

  @Test
  void setgidDirectoriesPassTheirGroupAndToSubdirectoriesTheBit() {
    Attr d = open777("shared");
    fs.setattr(ROOT, d.ino(), SetAttr.create().gid(500).mode(02777));
    assertEquals(02777, fs.getattr(d.ino()).permissions());
    Attr f = fs.create(ALICE, d.ino(), name("f"), 0644);
    assertEquals(500, f.gid(), "group of the directory");
    assertEquals(0644, f.permissions());
    Attr sub = fs.mkdir(ALICE, d.ino(), name("sub"), 0755);
    assertEquals(500, sub.gid());
    assertEquals(02755, sub.permissions(), "subdirectories inherit set-group-ID");
    Attr deeper = fs.mkdir(ALICE, sub.ino(), name("deeper"), 0700);
    assertEquals(500, deeper.gid());
    assertEquals(02700, deeper.permissions());
    // A file asking for set-group-ID with group-execute in a group its creator is not in
    // loses the bit.
    Attr sg = fs.mknod(ALICE, d.ino(), name("sg"), Mode.S_IFREG | 02755, 0);
    assertEquals(500, sg.gid());
    assertEquals(0755, sg.permissions());
    Attr member = fs.mknod(Cred.of(1000, 1000, 500), d.ino(), name("sg2"),
        Mode.S_IFREG | 02755, 0);
    assertEquals(02755, member.permissions(), "a member of the group keeps it");
  }

  @Test
  void withoutSetgidTheCreatorsGroupIsUsed() {
    Attr d = open777("plain");
    fs.setattr(ROOT, d.ino(), SetAttr.create().gid(500));
    assertEquals(1000, fs.create(ALICE, d.ino(), name("f"), 0644).gid());
    assertEquals(0755, fs.mkdir(ALICE, d.ino(), name("e"), 0755).permissions());
  }

  // ---- mknod -----------------------------------------------------------------------------

  @Test
  void mknodMakesEveryNodeType() {
    Attr fifo = fs.mknod(ROOT, root, name("fifo"), Mode.S_IFIFO | 0600, 0);
    Attr sock = fs.mknod(ROOT, root, name("sock"), Mode.S_IFSOCK | 0600, 0);
    Attr chr = fs.mknod(ROOT, root, name("chr"), Mode.S_IFCHR | 0660, 0x0103);
    Attr blk = fs.mknod(ROOT, root, name("blk"), Mode.S_IFBLK | 0660, 0x0801);
    Attr reg = fs.mknod(ROOT, root, name("reg"), 0644, 0);
    assertEquals(Mode.S_IFIFO | 0600, fifo.mode());
    assertEquals(Mode.S_IFSOCK | 0600, sock.mode());
    assertEquals(Mode.S_IFCHR | 0660, chr.mode());
    assertEquals(0x0103, chr.rdev());
    assertEquals(Mode.S_IFBLK | 0660, blk.mode());
    assertEquals(0x0801, blk.rdev());
    assertEquals(Mode.S_IFREG | 0644, reg.mode(), "type 0 is a regular file");
    Attr fifoWithNumber = fs.mknod(ROOT, root, name("fifo2"), Mode.S_IFIFO | 0600, 77);
    Attr regWithNumber = fs.mknod(ROOT, root, name("reg2"), 0644, 77);
    assertEquals(0, fifoWithNumber.rdev(), "only device nodes keep a device number");
    assertEquals(0, regWithNumber.rdev(), "only device nodes keep a device number");
    Map<String, DirEntry> l = list(fs, root);
    assertEquals(Mode.S_IFIFO >>> 12, l.get("fifo").type());
    assertEquals(Mode.S_IFSOCK >>> 12, l.get("sock").type());
    assertEquals(Mode.S_IFCHR >>> 12, l.get("chr").type());
    assertEquals(Mode.S_IFBLK >>> 12, l.get("blk").type());
    assertEquals(Mode.S_IFREG >>> 12, l.get("reg").type());
    fs.unmount();
    fs = mount(fs.volume().region);
    assertEquals(0x0801, lookup(root, "blk").rdev());
    assertEquals(Mode.S_IFSOCK | 0600, lookup(root, "sock").mode());
  }

  @Test
  void deviceNodesNeedCapMknod() {
    Attr d = open777("pub");
    assertErrno(Errno.EPERM, () -> fs.mknod(ALICE, d.ino(), name("c"), Mode.S_IFCHR | 0600, 1));
    assertErrno(Errno.EPERM, () -> fs.mknod(ALICE, d.ino(), name("b"), Mode.S_IFBLK | 0600, 1));
    assertErrno(Errno.EPERM, () -> fs.mknod(Cred.root().withCaps(Cred.Cap.DAC_OVERRIDE),
        d.ino(), name("c"), Mode.S_IFCHR | 0600, 1));
    // FIFOs and sockets need no privilege.
    fs.mknod(ALICE, d.ino(), name("p"), Mode.S_IFIFO | 0600, 0);
    fs.mknod(ALICE, d.ino(), name("s"), Mode.S_IFSOCK | 0600, 0);
    assertEquals(Mode.S_IFCHR | 0600, fs.mknod(Cred.of(1000, 1000).withCaps(Cred.Cap.MKNOD),
        d.ino(), name("c"), Mode.S_IFCHR | 0600, 1).mode());
  }

  @Test
  void mknodOfADirectoryIsEpermAsLinux() {
    // Linux's may_mknod(): S_IFDIR gives EPERM, an unknown type (or a symlink) EINVAL.
    assertErrno(Errno.EPERM, () -> fs.mknod(ROOT, root, name("d"), Mode.S_IFDIR | 0755, 0));
  }

  @Test
  void mknodOfASymlinkOrAnUnknownTypeIsEinval() {
    assertErrno(Errno.EINVAL, () -> fs.mknod(ROOT, root, name("l"), Mode.S_IFLNK | 0777, 0));
    assertErrno(Errno.EINVAL, () -> fs.mknod(ROOT, root, name("x"), 0150000 | 0644, 0));
  }

  // ---- symlink, readlink -----------------------------------------------------------------

  @Test
  void symlinkStoresItsTargetVerbatim() {
    Attr l = fs.symlink(ROOT, root, name("l"), utf8("../some/where with spaces"));
    assertEquals(Mode.S_IFLNK | 0777, l.mode());
    assertEquals(25, l.size(), "a symlink's size is its target's length");
    assertArrayEquals(utf8("../some/where with spaces"), fs.readlink(ROOT, l.ino()));
    assertEquals(Mode.S_IFLNK >>> 12, list(fs, root).get("l").type());
    fs.unmount();
    fs = mount(fs.volume().region);
    assertArrayEquals(utf8("../some/where with spaces"), fs.readlink(ROOT, l.ino()));
  }

  @Test
  void symlinkErrors() {
    create(root, "f");
    assertErrno(Errno.EEXIST, () -> fs.symlink(ROOT, root, name("f"), utf8("x")));
    assertErrno(Errno.ENOENT, () -> fs.symlink(ROOT, root, name("e"), new byte[0]));
    assertErrno(Errno.EINVAL, () -> fs.readlink(ROOT, lookup(root, "f").ino()));
    assertErrno(Errno.EINVAL, () -> fs.readlink(ROOT, root));
  }

  @Test
  void symlinkTargetOfTheDocumentedMaximumWorks() {
    byte[] target = "t".repeat(Namespace.SYMLINK_MAX).getBytes();
    Attr l = fs.symlink(ROOT, root, name("long"), target);
    assertArrayEquals(target, fs.readlink(ROOT, l.ino()));
  }

  @Test
  void symlinkTargetsUpToPathMaxMinusOneWorkAsOnLinux() {
    byte[] target = "t".repeat(4095).getBytes();
    Attr l = fs.symlink(ROOT, root, name("long"), target);
    assertArrayEquals(target, fs.readlink(ROOT, l.ino()));
    assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(ROOT, root, name("x"),
        "t".repeat(4096).getBytes()));
  }

  // ---- link ------------------------------------------------------------------------------

  @Test
  void linkAddsANameForTheSameInode() {
    Attr f = create(root, "f");
    Attr d = mkdir(root, "d");
    Attr l = fs.link(ROOT, f.ino(), d.ino(), name("g"));
    assertEquals(f.ino(), l.ino());
    assertEquals(2, l.nlink());
    assertEquals(f.ino(), lookup(d.ino(), "g").ino());
    assertTrue(fs.getattr(f.ino()).ctime() > f.ctime(), "link changes ctime");
    fs.unlink(ROOT, root, name("f"));
    assertEquals(1, fs.getattr(f.ino()).nlink());
    assertEquals(f.ino(), lookup(d.ino(), "g").ino());
  }

  @Test
  void linkErrors() {
    Attr f = create(root, "f");
    Attr d = mkdir(root, "d");
    assertErrno(Errno.EPERM, () -> fs.link(ROOT, d.ino(), root, name("dl")));
    assertErrno(Errno.EEXIST, () -> fs.link(ROOT, f.ino(), root, name("d")));
    assertErrno(Errno.EEXIST, () -> fs.link(ROOT, f.ino(), root, name(".")));
    assertErrno(Errno.ENOTDIR, () -> fs.link(ROOT, f.ino(), f.ino(), name("x")));
    assertErrno(Errno.EACCES, () -> fs.link(ALICE, f.ino(), d.ino(), name("x")));
  }

  @Test
  void linkToAnUnlinkedOpenFileIsEnoent() {
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.unlink(ROOT, "/f");
    assertErrno(Errno.ENOENT, () -> fs.link(ROOT, h.ino(), root, name("back")));
    fs.release(h);
  }

  @Test
  void linkBeyondLinkMaxIsEmlink() {
    fs = mount(formatted(48));
    root = fs.rootIno();
    Attr f = create(root, "f");
    long dir = root;
    for (int i = 1; i < Namespace.LINK_MAX; i++) {
      if (i % 10_000 == 0) {
        dir = mkdir(root, "d" + i).ino();
      }
      fs.link(ROOT, f.ino(), dir, name("l" + i));
    }
    assertEquals(Namespace.LINK_MAX, fs.getattr(f.ino()).nlink());
    assertErrno(Errno.EMLINK, () -> fs.link(ROOT, f.ino(), root, name("one-too-many")));
  }

  // ---- unlink ----------------------------------------------------------------------------

  @Test
  void unlinkRemovesTheNameAndFreesTheFile() {
    long free0 = fs.statfs().freeBlocks();
    Attr f = writeFile(fs, "/f", pattern(40_000, 1));
    assertTrue(fs.statfs().freeBlocks() < free0 - 9);
    fs.unlink(ROOT, root, name("f"));
    assertErrno(Errno.ENOENT, () -> lookup(root, "f"));
    assertErrno(Errno.ENOENT, () -> fs.getattr(f.ino()));
    assertEquals(free0, fs.statfs().freeBlocks(), "data and log blocks came back");
  }

  @Test
  void unlinkErrors() {
    Attr d = mkdir(root, "d");
    create(d.ino(), "f");
    assertErrno(Errno.EISDIR, () -> fs.unlink(ROOT, root, name("d")));
    assertErrno(Errno.ENOENT, () -> fs.unlink(ROOT, root, name("missing")));
    assertErrno(Errno.EISDIR, () -> fs.unlink(ROOT, d.ino(), name(".")));
    assertErrno(Errno.EISDIR, () -> fs.unlink(ROOT, d.ino(), name("..")));
    assertErrno(Errno.EACCES, () -> fs.unlink(ALICE, d.ino(), name("f")));
    assertErrno(Errno.ENOTDIR, () -> fs.unlink(ROOT, lookup(d.ino(), "f").ino(), name("x")));
  }

  @Test
  void unlinkOfSpecialFilesAndSymlinks() {
    fs.mknod(ROOT, root, name("p"), Mode.S_IFIFO | 0600, 0);
    fs.symlink(ROOT, root, name("l"), utf8("p"));
    fs.unlink(ROOT, root, name("l"));
    assertEquals(Mode.S_IFIFO | 0600, lookup(root, "p").mode(), "unlink does not follow");
    fs.unlink(ROOT, root, name("p"));
    assertEquals(0, list(fs, root).size());
  }

  @Test
  void stickyDirectoriesProtectOtherUsersEntries() {
    Attr tmp = open777("tmp");
    fs.setattr(ROOT, tmp.ino(), SetAttr.create().mode(01777));
    fs.create(ALICE, tmp.ino(), name("alices"), 0666);
    fs.mkdir(ALICE, tmp.ino(), name("alicesdir"), 0777);
    fs.create(BOB, tmp.ino(), name("bobs"), 0666);
    assertErrno(Errno.EPERM, () -> fs.unlink(BOB, tmp.ino(), name("alices")));
    assertErrno(Errno.EPERM, () -> fs.rmdir(BOB, tmp.ino(), name("alicesdir")));
    assertErrno(Errno.EPERM, () -> fs.rename(BOB, tmp.ino(), name("alices"), tmp.ino(),
        name("mine"), 0));
    assertErrno(Errno.EPERM, () -> fs.rename(BOB, tmp.ino(), name("bobs"), tmp.ino(),
        name("alices"), 0), "replacing another user's entry");
    fs.unlink(BOB, tmp.ino(), name("bobs"));
    fs.unlink(ALICE, tmp.ino(), name("alices"));
    // The directory's owner and CAP_FOWNER may remove anything.
    fs.setattr(ROOT, tmp.ino(), SetAttr.create().uid(2000));
    fs.rmdir(BOB, tmp.ino(), name("alicesdir"));
    fs.create(ALICE, tmp.ino(), name("again"), 0666);
    fs.unlink(Cred.of(3000, 3000).withCaps(Cred.Cap.FOWNER), tmp.ino(), name("again"));
  }

  // ---- rmdir -----------------------------------------------------------------------------

  @Test
  void rmdirRemovesEmptyDirectories() {
    long free0 = fs.statfs().freeBlocks();
    Attr d = mkdir(root, "d");
    fs.rmdir(ROOT, root, name("d"));
    assertErrno(Errno.ENOENT, () -> lookup(root, "d"));
    assertErrno(Errno.ENOENT, () -> fs.getattr(d.ino()));
    assertEquals(2, fs.getattr(root).nlink());
    assertEquals(free0, fs.statfs().freeBlocks());
  }

  @Test
  void rmdirErrors() {
    Attr d = mkdir(root, "d");
    Attr f = create(d.ino(), "f");
    assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT, root, name("d")));
    assertErrno(Errno.ENOTDIR, () -> fs.rmdir(ROOT, d.ino(), name("f")));
    assertErrno(Errno.ENOENT, () -> fs.rmdir(ROOT, root, name("missing")));
    assertErrno(Errno.EINVAL, () -> fs.rmdir(ROOT, d.ino(), name(".")));
    assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT, d.ino(), name("..")));
    assertErrno(Errno.ENOTDIR, () -> fs.rmdir(ROOT, f.ino(), name("x")));
    mkdir(root, "e");
    assertErrno(Errno.EACCES, () -> fs.rmdir(ALICE, root, name("e")));
  }

  @Test
  void rmdirOfTheRootPathIsEbusy() {
    assertErrno(Errno.EBUSY, () -> fs.rmdir(ROOT, "/"));
  }

  // ---- rename ----------------------------------------------------------------------------

  @Test
  void renameWithinADirectory() {
    Attr f = create(root, "a");
    fs.rename(ROOT, root, name("a"), root, name("b"), 0);
    assertErrno(Errno.ENOENT, () -> lookup(root, "a"));
    assertEquals(f.ino(), lookup(root, "b").ino());
    assertEquals(1, fs.getattr(f.ino()).nlink());
    assertEquals(Set.of("b"), list(fs, root).keySet());
  }

  @Test
  void renameAcrossDirectories() {
    Attr d1 = mkdir(root, "d1");
    Attr d2 = mkdir(root, "d2");
    Attr f = create(d1.ino(), "f");
    fs.rename(ROOT, d1.ino(), name("f"), d2.ino(), name("g"), 0);
    assertTrue(list(fs, d1.ino()).isEmpty());
    assertEquals(f.ino(), lookup(d2.ino(), "g").ino());
  }

  @Test
  void renameOverAnExistingFileFreesIt() {
    Attr a = writeFile(fs, "/a", pattern(100, 1));
    Attr b = writeFile(fs, "/b", pattern(50_000, 2));
    long free = fs.statfs().freeBlocks();
    fs.rename(ROOT, root, name("a"), root, name("b"), 0);
    assertEquals(a.ino(), lookup(root, "b").ino());
    assertErrno(Errno.ENOENT, () -> fs.getattr(b.ino()));
    assertTrue(fs.statfs().freeBlocks() >= free + 13, "the replaced file's blocks came back");
    assertArrayEquals(pattern(100, 1), content(fs, a.ino()));
  }

  @Test
  void renameOverAnOpenFileKeepsItUntilReleased() {
    writeFile(fs, "/a", pattern(10, 1));
    writeFile(fs, "/b", pattern(20, 2));
    FileHandle h = fs.open(ROOT, "/b", FileHandle.O_RDONLY, 0);
    fs.rename(ROOT, "/a", "/b", 0);
    assertEquals(0, fs.getattr(h.ino()).nlink());
    assertArrayEquals(pattern(20, 2), read(fs, h, 0, 100));
    fs.release(h);
    assertErrno(Errno.ENOENT, () -> fs.getattr(h.ino()));
  }

  @Test
  void renameADirectoryOverAnEmptyDirectory() {
    Attr a = mkdir(root, "a");
    create(a.ino(), "inside");
    Attr b = mkdir(root, "b");
    fs.rename(ROOT, root, name("a"), root, name("b"), 0);
    assertEquals(a.ino(), lookup(root, "b").ino());
    assertErrno(Errno.ENOENT, () -> fs.getattr(b.ino()));
    assertEquals(3, fs.getattr(root).nlink());
    assertTrue(list(fs, a.ino()).containsKey("inside"));
  }

  @Test
  void renameTypeMismatchesAndNonEmptyTargets() {
    Attr d = mkdir(root, "d");
    mkdir(root, "full");
    create(lookup(root, "full").ino(), "x");
    mkdir(root, "empty");
    create(root, "f");
    assertErrno(Errno.ENOTEMPTY, () -> fs.rename(ROOT, root, name("d"), root, name("full"), 0));
    assertErrno(Errno.ENOTDIR, () -> fs.rename(ROOT, root, name("d"), root, name("f"), 0));
    assertErrno(Errno.EISDIR, () -> fs.rename(ROOT, root, name("f"), root, name("empty"), 0));
    assertErrno(Errno.ENOENT, () -> fs.rename(ROOT, root, name("nope"), root, name("x"), 0));
    assertErrno(Errno.ENOTDIR, () -> fs.rename(ROOT, lookup(root, "f").ino(), name("a"), root,
        name("x"), 0));
    assertErrno(Errno.EBUSY, () -> fs.rename(ROOT, root, name("."), root, name("x"), 0));
    assertErrno(Errno.EBUSY, () -> fs.rename(ROOT, root, name("d"), root, name(".."), 0));
    // Nothing changed.
    assertEquals(Set.of("d", "full", "empty", "f"), list(fs, root).keySet());
    assertEquals(d.ino(), lookup(root, "d").ino());
  }

  @Test
  void renameOntoAnAncestorIsEnotempty() {
    Attr a = mkdir(root, "a");
    mkdir(a.ino(), "b");
    assertErrno(Errno.ENOTEMPTY, () -> fs.rename(ROOT, a.ino(), name("b"), root, name("a"), 0));
  }

  @Test
  void renameErrnoOrderFollowsLinux() {
    // do_renameat2(): ENOENT for the source, then EEXIST (NOREPLACE) or ENOENT (EXCHANGE) for
    // the target, then the ancestor checks (EINVAL, ENOTEMPTY), and only then vfs_rename's type
    // checks.
    Attr a = mkdir(root, "a");
    Attr b = mkdir(a.ino(), "b");
    create(b.ino(), "existing");
    create(a.ino(), "f");
    assertErrno(Errno.EEXIST, () -> fs.rename(ROOT, root, name("a"), b.ino(), name("existing"),
        Namespace.RENAME_NOREPLACE), "NOREPLACE onto an existing name inside the source");
    assertErrno(Errno.ENOENT, () -> fs.rename(ROOT, root, name("a"), b.ino(), name("missing"),
        Namespace.RENAME_EXCHANGE), "EXCHANGE with a missing name inside the source");
    assertErrno(Errno.ENOTEMPTY, () -> fs.rename(ROOT, a.ino(), name("f"), root, name("a"), 0),
        "a file onto its own ancestor");
  }

  @Test
  void renameNoReplace() {
    Attr a = create(root, "a");
    create(root, "b");
    assertErrno(Errno.EEXIST, () -> fs.rename(ROOT, root, name("a"), root, name("b"),
        Namespace.RENAME_NOREPLACE));
    fs.rename(ROOT, root, name("a"), root, name("c"), Namespace.RENAME_NOREPLACE);
    assertEquals(a.ino(), lookup(root, "c").ino());
  }

  @Test
  void renameExchangeSwapsTwoNames() {
    Attr a = writeFile(fs, "/a", pattern(10, 1));
    Attr b = mkdir(root, "b");
    fs.rename(ROOT, root, name("a"), root, name("b"), Namespace.RENAME_EXCHANGE);
    assertEquals(b.ino(), lookup(root, "a").ino());
    assertEquals(a.ino(), lookup(root, "b").ino());
    assertEquals(Mode.S_IFDIR >>> 12, list(fs, root).get("a").type());
    assertEquals(Mode.S_IFREG >>> 12, list(fs, root).get("b").type());
    assertEquals(3, fs.getattr(root).nlink());
    assertErrno(Errno.ENOENT, () -> fs.rename(ROOT, root, name("a"), root, name("zz"),
        Namespace.RENAME_EXCHANGE));
  }

  @Test
  void renameExchangeAcrossDirectoriesMovesDotDot() {
    Attr p = mkdir(root, "p");
    Attr q = mkdir(root, "q");
    Attr dir = mkdir(p.ino(), "dir");
    mkdir(dir.ino(), "child");
    Attr file = writeFile(fs, "/q/file", pattern(10, 3));
    fs.rename(ROOT, p.ino(), name("dir"), q.ino(), name("file"), Namespace.RENAME_EXCHANGE);
    assertEquals(dir.ino(), lookup(q.ino(), "file").ino());
    assertEquals(file.ino(), lookup(p.ino(), "dir").ino());
    assertEquals(q.ino(), lookup(dir.ino(), "..").ino(), "the directory's .. follows it");
    assertEquals(2, fs.getattr(p.ino()).nlink(), "p lost a subdirectory");
    assertEquals(3, fs.getattr(q.ino()).nlink(), "q gained one");
    assertEquals(q.ino(), fs.resolve(ROOT, "/q/file/..", true).ino());
    assertEquals(dir.ino(), fs.resolve(ROOT, "/q/file/child/..", true).ino());
    fs.unmount();
    fs = mount(fs.volume().region);
    assertEquals(q.ino(), fs.lookup(ROOT, dir.ino(), name("..")).ino());
    assertEquals(2, fs.getattr(p.ino()).nlink());
  }

  @Test
  void renameExchangeOfTwoDirectoriesAcrossParents() {
    Attr p = mkdir(root, "p");
    Attr q = mkdir(root, "q");
    Attr x = mkdir(p.ino(), "x");
    Attr y = mkdir(q.ino(), "y");
    fs.rename(ROOT, p.ino(), name("x"), q.ino(), name("y"), Namespace.RENAME_EXCHANGE);
    assertEquals(y.ino(), lookup(p.ino(), "x").ino());
    assertEquals(x.ino(), lookup(q.ino(), "y").ino());
    assertEquals(p.ino(), lookup(y.ino(), "..").ino());
    assertEquals(q.ino(), lookup(x.ino(), "..").ino());
  }

  @Test
  void aDirectoryCannotMoveIntoItsOwnSubtree() {
    Attr a = mkdir(root, "a");
    Attr b = mkdir(a.ino(), "b");
    Attr c = mkdir(b.ino(), "c");
    assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, root, name("a"), c.ino(), name("a2"), 0));
    assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, root, name("a"), a.ino(), name("x"), 0));
    assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, root, name("a"), b.ino(), name("c"),
        Namespace.RENAME_EXCHANGE), "exchanging a directory with its own descendant");
    assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, b.ino(), name("c"), root, name("a"),
        Namespace.RENAME_EXCHANGE));
    assertEquals(a.ino(), fs.resolve(ROOT, "/a", true).ino());
    assertEquals(c.ino(), fs.resolve(ROOT, "/a/b/c", true).ino());
  }

  @Test
  void crossDirectoryRenameOfADirectoryUpdatesDotDotAndLinkCounts() {
    Attr a = mkdir(root, "a");
    Attr b = mkdir(root, "b");
    Attr d = mkdir(a.ino(), "d");
    fs.rename(ROOT, a.ino(), name("d"), b.ino(), name("d"), 0);
    assertEquals(b.ino(), lookup(d.ino(), "..").ino());
    assertEquals(2, fs.getattr(a.ino()).nlink());
    assertEquals(3, fs.getattr(b.ino()).nlink());
    List<DirEntry> entries = fs.readdir(ROOT, d.ino(), 0, 10);
    assertEquals(b.ino(), entries.get(1).ino(), "readdir's .. too");
    fs.unmount();
    fs = mount(fs.volume().region);
    assertEquals(b.ino(), fs.lookup(ROOT, d.ino(), name("..")).ino());
    // After a crash the same.
    DaxFs crashed = mount(fs.volume().region);
    assertEquals(b.ino(), crashed.lookup(ROOT, d.ino(), name("..")).ino());
    assertEquals(3, crashed.getattr(b.ino()).nlink());
  }

  @Test
  void renamingOneHardLinkOntoAnotherDoesNothing() {
    Attr f = create(root, "a");
    fs.link(ROOT, f.ino(), root, name("b"));
    fs.rename(ROOT, root, name("a"), root, name("b"), 0);
    assertEquals(f.ino(), lookup(root, "a").ino(), "POSIX: both names stay");
    assertEquals(f.ino(), lookup(root, "b").ino());
    assertEquals(2, fs.getattr(f.ino()).nlink());
  }

  @Test
  void renameOntoItselfDoesNothing() {
    Attr d = mkdir(root, "d");
    fs.rename(ROOT, root, name("d"), root, name("d"), 0);
    assertEquals(d.ino(), lookup(root, "d").ino());
    assertEquals(3, fs.getattr(root).nlink());
  }

  @Test
  void renameRefusesBadFlags() {
    create(root, "a");
    create(root, "b");
    assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, root, name("a"), root, name("b"),
        Namespace.RENAME_NOREPLACE | Namespace.RENAME_EXCHANGE));
    assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, root, name("a"), root, name("b"), 8));
  }

  @Test
  void renameIntoARemovedDirectoryIsEnoent() {
    create(root, "f");
    Attr d = mkdir(root, "d");
    fs.rmdir(ROOT, root, name("d"));
    assertErrno(Errno.ENOENT, () -> fs.rename(ROOT, root, name("f"), d.ino(), name("f"), 0));
    assertTrue(list(fs, root).containsKey("f"));
  }

  @Test
  void renamePermissions() {
    Attr src = open777("src");
    Attr dst = open777("dst");
    Attr ro = mkdir(root, "ro");
    fs.create(ALICE, src.ino(), name("f"), 0644);
    fs.create(ROOT, ro.ino(), name("x"), 0666);
    assertErrno(Errno.EACCES, () -> fs.rename(ALICE, src.ino(), name("f"), ro.ino(),
        name("f"), 0));
    assertErrno(Errno.EACCES, () -> fs.rename(ALICE, ro.ino(), name("x"), src.ino(),
        name("x"), 0) , "no write permission on the source directory");
    // Moving a directory to another parent rewrites its "..": it needs write permission on it.
    fs.mkdir(ROOT, src.ino(), name("rootsdir"), 0755);
    assertErrno(Errno.EACCES, () -> fs.rename(ALICE, src.ino(), name("rootsdir"), dst.ino(),
        name("rootsdir"), 0));
    fs.rename(ALICE, src.ino(), name("rootsdir"), src.ino(), name("renamed"), 0);
  }

  @Test
  void renameExchangeOfDirectoriesAcrossParentsNeedsWriteOnBoth() {
    // Linux's vfs_rename checks MAY_WRITE on a directory that changes parent, for exchange on
    // both of them (each gets a new "..").
    Attr src = open777("src");
    Attr dst = open777("dst");
    fs.mkdir(ROOT, src.ino(), name("a"), 0755);
    fs.mkdir(ROOT, dst.ino(), name("b"), 0755);
    assertErrno(Errno.EACCES, () -> fs.rename(ALICE, src.ino(), name("a"), dst.ino(),
        name("b"), Namespace.RENAME_EXCHANGE));
  }

  // ---- readdir ---------------------------------------------------------------------------

  @Test
  void readdirListsDotsFirstThenEntriesWithTypes() {
    Attr d = mkdir(root, "d");
    create(d.ino(), "f");
    mkdir(d.ino(), "sub");
    fs.symlink(ROOT, d.ino(), name("l"), utf8("f"));
    List<DirEntry> all = fs.readdir(ROOT, d.ino(), 0, 100);
    assertEquals(".", all.get(0).name().toString());
    assertEquals(d.ino(), all.get(0).ino());
    assertEquals("..", all.get(1).name().toString());
    assertEquals(root, all.get(1).ino());
    assertEquals(5, all.size());
    Map<String, Integer> types = new HashMap<>();
    for (DirEntry e : all) {
      types.put(e.name().toString(), e.type());
    }
    assertEquals(4, types.get("."));
    assertEquals(8, types.get("f"));
    assertEquals(4, types.get("sub"));
    assertEquals(10, types.get("l"));
    // Pages of one entry each give the same list.
    List<String> paged = new ArrayList<>();
    long cookie = 0;
    for (List<DirEntry> b; !(b = fs.readdir(ROOT, d.ino(), cookie, 1)).isEmpty(); ) {
      assertEquals(1, b.size());
      paged.add(b.get(0).name().toString());
      cookie = b.get(0).cookie();
    }
    assertEquals(all.stream().map(e -> e.name().toString()).toList(), paged);
    assertTrue(fs.readdir(ROOT, d.ino(), 0, 0).isEmpty());
  }

  @Test
  void readdirErrors() {
    Attr f = create(root, "f");
    assertErrno(Errno.ENOTDIR, () -> fs.readdir(ROOT, f.ino(), 0, 10));
    Attr d = fs.mkdir(ROOT, root, name("d"), 0711);
    assertErrno(Errno.EACCES, () -> fs.readdir(ALICE, d.ino(), 0, 10));
  }

  @Test
  void readdirCookiesStayValidWhileTheDirectoryChanges() {
    Attr d = mkdir(root, "d");
    for (int i = 0; i < 200; i++) {
      create(d.ino(), "f" + i);
    }
    List<DirEntry> first = fs.readdir(ROOT, d.ino(), 0, 62);
    Set<String> seen = new HashSet<>();
    for (DirEntry e : first) {
      seen.add(e.name().toString());
    }
    long cookie = first.get(first.size() - 1).cookie();
    // Remove some seen and some unseen entries, add new ones.
    Set<String> removedUnseen = new HashSet<>();
    for (int i = 0; i < 200; i += 3) {
      String n = "f" + i;
      fs.unlink(ROOT, d.ino(), name(n));
      if (!seen.contains(n)) {
        removedUnseen.add(n);
      }
    }
    for (int i = 0; i < 50; i++) {
      create(d.ino(), "new" + i);
    }
    List<String> rest = new ArrayList<>();
    while (true) {
      List<DirEntry> b = fs.readdir(ROOT, d.ino(), cookie, 17);
      if (b.isEmpty()) {
        break;
      }
      for (DirEntry e : b) {
        rest.add(e.name().toString());
      }
      cookie = b.get(b.size() - 1).cookie();
    }
    for (String n : rest) {
      assertFalse(seen.contains(n), n + " returned twice");
      assertFalse(removedUnseen.contains(n), n + " returned after its removal");
    }
    assertEquals(rest.size(), new HashSet<>(rest).size(), "no duplicates");
    for (int i = 0; i < 200; i++) {
      String n = "f" + i;
      if (i % 3 != 0) {
        assertTrue(seen.contains(n) || rest.contains(n), n + " was never returned");
      }
    }
  }

  @Test
  void readdirCookiesSurviveARemount() {
    Attr d = mkdir(root, "d");
    for (int i = 0; i < 30; i++) {
      create(d.ino(), "f" + i);
    }
    List<DirEntry> first = fs.readdir(ROOT, d.ino(), 0, 12);
    long cookie = first.get(first.size() - 1).cookie();
    List<DirEntry> before = fs.readdir(ROOT, d.ino(), cookie, 100);
    fs.unmount();
    fs = mount(fs.volume().region);
    assertEquals(before, fs.readdir(ROOT, d.ino(), cookie, 100));
  }

  @Test
  void readdirOfARemovedDirectoryContinuesWithNothing() {
    Attr d = mkdir(root, "d");
    create(d.ino(), "f");
    List<DirEntry> first = fs.readdir(ROOT, d.ino(), 0, 3);
    fs.unlink(ROOT, d.ino(), name("f"));
    assertTrue(fs.readdir(ROOT, d.ino(), first.get(2).cookie(), 10).isEmpty());
  }

  // ---- path walks ------------------------------------------------------------------------

  @Test
  void pathWalksFollowSymlinks() {
    fs.mkdir(ROOT, "/d", 0755);
    fs.mkdir(ROOT, "/d/e", 0755);
    Attr f = writeFile(fs, "/d/f", pattern(5, 1));
    fs.symlink(ROOT, "../f", "/d/e/rel");
    fs.symlink(ROOT, "/d/f", "/abs");
    fs.symlink(ROOT, "d/e", "/dirlink");
    assertEquals(f.ino(), fs.resolve(ROOT, "/d/e/rel", true).ino());
    assertEquals(f.ino(), fs.resolve(ROOT, "/abs", true).ino());
    assertEquals(f.ino(), fs.resolve(ROOT, "/dirlink/rel", true).ino());
    assertTrue(fs.resolve(ROOT, "/abs", false).isSymlink());
    assertEquals(f.ino(), fs.resolve(ROOT, "//d/./e/../f", true).ino());
  }

  @Test
  void symlinkLoopsAreEloop() {
    fs.symlink(ROOT, "b", "/a");
    fs.symlink(ROOT, "a", "/b");
    fs.symlink(ROOT, "self", "/self");
    assertErrno(Errno.ELOOP, () -> fs.resolve(ROOT, "/a", true));
    assertErrno(Errno.ELOOP, () -> fs.resolve(ROOT, "/a/x", false));
    assertErrno(Errno.ELOOP, () -> fs.resolve(ROOT, "/self", true));
    assertErrno(Errno.ELOOP, () -> fs.open(ROOT, "/a", FileHandle.O_RDONLY, 0));
    assertTrue(fs.resolve(ROOT, "/self", false).isSymlink());
  }

  @Test
  void fortySymlinksResolveAndFortyOneAreEloop() {
    writeFile(fs, "/target", pattern(1, 1));
    fs.symlink(ROOT, "target", "/l40");
    for (int i = 39; i >= 0; i--) {
      fs.symlink(ROOT, "l" + (i + 1), "/l" + i);
    }
    // /l1 needs 40 links followed, /l0 needs 41.
    assertTrue(fs.resolve(ROOT, "/l1", true).isRegular());
    assertErrno(Errno.ELOOP, () -> fs.resolve(ROOT, "/l0", true));
  }

  @Test
  void pathErrors() {
    writeFile(fs, "/f", pattern(1, 1));
    assertErrno(Errno.ENOTDIR, () -> fs.resolve(ROOT, "/f/x", true));
    assertErrno(Errno.ENOENT, () -> fs.resolve(ROOT, "/nope/x", true));
    assertErrno(Errno.ENAMETOOLONG, () -> fs.resolve(ROOT, "/" + "x".repeat(256), true));
    assertErrno(Errno.ENAMETOOLONG, () -> fs.resolve(ROOT, "/a".repeat(2048), true));
    fs.symlink(ROOT, "nowhere", "/dangling");
    assertErrno(Errno.ENOENT, () -> fs.resolve(ROOT, "/dangling", true));
    assertErrno(Errno.EEXIST, () -> fs.mkdir(ROOT, "/", 0755));
  }

  @Test
  void aTrailingSlashOnAFileIsEnotdir() {
    writeFile(fs, "/f", pattern(1, 1));
    assertErrno(Errno.ENOTDIR, () -> fs.resolve(ROOT, "/f/", true));
  }
}
