package dev.daxfs.tools.fuse;

import static dev.daxfs.tools.fuse.LinuxFlags.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts {@link MemoryFilesystem} through real FUSE and drives it with shell tools and
 * java.nio.file, so that every callback and reply path runs end to end. One mount serves the
 * class; each test works in its own directory. The mount is always removed, even on failure.
 */
class FuseMountTest {
  @TempDir static Path tmp;

  private static MemoryFilesystem fs;
  private static FuseMount mount;
  /** The readahead window the mount asks for: not the kernel's default of 128 KiB. */
  private static final int READAHEAD_KIB = 2048;
  private static Path mnt;

  /** This test's own directory inside the mount. */
  private Path dir;

  @BeforeAll
  static void mountIt() throws Exception {
    mnt = Files.createDirectory(tmp.resolve("mnt"));
    fs = new MemoryFilesystem();
    mount = FuseMount.mount(mnt, fs, MountOptions.defaults()
        .withFsname("memfs-test")
        .withSubtype("memfs")
        .withAllowOther(true)
        .withThreads(4)
        .withReadaheadKib(READAHEAD_KIB));
  }

  @AfterAll
  static void unmountIt() throws Exception {
    try {
      if (mount != null) {
        mount.unmount();
        assertFalse(mount.isMounted());
        assertTrue(fs.destroyed, "destroy runs when the session ends");
      }
    } finally {
      forceUnmount(mnt);
    }
  }

  /** Last resort for a test run that broke the session: never leave a mount behind. */
  static void forceUnmount(Path mnt) throws Exception {
    if (mnt != null && MountInfo.isMountpoint(mnt)) {
      NativeTools.run(List.of("fusermount3", "-u", "-z", mnt.toString()), 10);
      if (MountInfo.isMountpoint(mnt)) {
        NativeTools.run(List.of("umount", "-l", mnt.toString()), 10);
      }
    }
  }

  @BeforeEach
  void ownDirectory(TestInfo info) throws Exception {
    dir = Files.createDirectory(mnt.resolve(info.getTestMethod().orElseThrow().getName()));
  }

  /** Runs a bash script in this test's directory; returns exit status and output. */
  private NativeTools.Result sh(String script) throws Exception {
    return NativeTools.run(List.of("bash", "-c", "cd '" + dir + "' && " + script), 30);
  }

  /** Runs a script that must succeed and returns its output, trimmed. */
  private String ok(String script) throws Exception {
    NativeTools.Result r = sh(script);
    assertEquals(0, r.exit(), script + " failed: " + r.output());
    return r.output().strip();
  }

  private long ino(Path p) throws Exception {
    return (Long) Files.getAttribute(p, "unix:ino");
  }

  @Test
  void filesAndDirectoriesWorkWithShellTools() throws Exception {
    assertEquals("hello", ok("mkdir -p a/b/c && echo hello > a/b/c/f && cat a/b/c/f"));
    assertEquals("f", ok("ls a/b/c"));
    assertEquals("6 regular file", ok("stat -c '%s %F' a/b/c/f"));
    assertEquals("directory", ok("stat -c %F a/b"));
    ok("head -c 1300000 /dev/urandom > /tmp/fuse-src-$$ && cp /tmp/fuse-src-$$ big"
        + " && cmp /tmp/fuse-src-$$ big && rm /tmp/fuse-src-$$");
    assertEquals("1300000", ok("stat -c %s big"));
    ok("mv a/b/c/f a/g && test ! -e a/b/c/f && test -f a/g");
    NativeTools.Result notEmpty = sh("rmdir a");
    assertNotEquals(0, notEmpty.exit());
    assertTrue(notEmpty.output().contains("Directory not empty"), notEmpty.output());
    ok("rm -r a big");
    assertEquals("", ok("ls -A"));
    NativeTools.Result missing = sh("cat nothing-here");
    assertTrue(missing.output().contains("No such file or directory"), missing.output());
    assertEquals("-rw-r--r-- 1 5", ok("printf 12345 > x && ls -l x | awk '{print $1, $2, $5}'"));
  }

  @Test
  void readdirOffsetsStayValidWhileEntriesChange() throws Exception {
    int n = 1000;
    for (int i = 0; i < n; i++) {
      Files.createFile(dir.resolve(String.format("f%04d", i)));
    }
    Map<String, Integer> seen = new HashMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      int count = 0;
      for (Path p : ds) {
        seen.merge(p.getFileName().toString(), 1, Integer::sum);
        if (++count == 100) {
          // Change the directory between readdir calls: drop seen names, add new ones.
          for (int i = 0; i < 100; i++) {
            Files.delete(dir.resolve(String.format("f%04d", i)));
            Files.createFile(dir.resolve(String.format("g%04d", i)));
          }
        }
      }
    }
    for (int i = 100; i < n; i++) {
      assertEquals(1, seen.getOrDefault(String.format("f%04d", i), 0), "f" + i + " seen once");
    }
    seen.values().forEach(c -> assertEquals(1, c, "no entry repeats"));
    assertEquals(String.valueOf(n), ok("ls | wc -l"));
  }

  @Test
  void hardLinksShareOneInodeAndAttributes() throws Exception {
    ok("echo one > a && ln a b");
    String[] a = ok("stat -c '%i %h' a").split(" ");
    assertEquals(String.join(" ", a), ok("stat -c '%i %h' b"));
    assertEquals("2", a[1]);
    ok("echo two >> b && chmod 600 a");
    assertEquals("one\ntwo", ok("cat a"));
    assertEquals("600", ok("stat -c %a b"));
    ok("rm a");
    assertEquals("one\ntwo", ok("cat b"));
    assertEquals("1", ok("stat -c %h b"));
  }

  @Test
  void symlinksResolveAndReadBack() throws Exception {
    ok("echo content > target && ln -s target link && ln -s /no/such/place dangling");
    assertEquals("target", ok("readlink link"));
    assertEquals("content", ok("cat link"));
    assertEquals("symbolic link", ok("stat -c %F link"));
    assertEquals("/no/such/place", ok("readlink dangling"));
    assertEquals("/no/such/place", Files.readSymbolicLink(dir.resolve("dangling")).toString());
  }

  @Test
  void unlinkedOpenFileStaysUsableAndIsFreedAtLastClose() throws Exception {
    Path p = dir.resolve("scratch");
    long ino;
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("before".getBytes(StandardCharsets.UTF_8)));
      ino = ino(p);
      Files.delete(p);
      assertFalse(Files.exists(p));
      assertEquals("", ok("ls -A"));
      ch.write(ByteBuffer.wrap("+after".getBytes(StandardCharsets.UTF_8)));
      ByteBuffer back = ByteBuffer.allocate(64);
      ch.read(back, 0);
      assertEquals("before+after", new String(back.array(), 0, back.position(), StandardCharsets.UTF_8));
      assertTrue(fs.exists(ino), "open unlinked inode is kept");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (fs.exists(ino) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(fs.exists(ino), "inode freed after the last close and the kernel's forget");
  }

  @Test
  void truncateAndOTruncInOpen() throws Exception {
    ok("echo 'a longer first version' > f");
    int before = fs.openTruncs.get();
    ok("echo x > f");
    assertEquals("x", ok("cat f"));
    assertTrue(fs.openTruncs.get() > before, "O_TRUNC arrived in open");
    ok("truncate -s 100000 f");
    assertEquals("100000", ok("stat -c %s f"));
    assertEquals("0", ok("tail -c 99998 f | tr -d '\\0' | wc -c"));
    ok("truncate -s 1 f");
    assertEquals("x", ok("cat f"));
  }

  @Test
  void touchSetsOneTimeAndLeavesTheOther() throws Exception {
    ok("touch f");
    Path f = dir.resolve("f");
    FileTime mtime0 = Files.getLastModifiedTime(f);
    assertArrayEquals(new TimeUpdate[] {TimeUpdate.NOW, TimeUpdate.NOW}, fs.lastTimes.get("f"),
        "plain touch sends UTIME_NOW for both");

    ok("touch -a -d @1000000000.123456789 f");
    assertEquals(FileTime.from(java.time.Instant.ofEpochSecond(1000000000, 123456789)),
        Files.getAttribute(f, "lastAccessTime"));
    assertEquals(mtime0, Files.getLastModifiedTime(f), "touch -a leaves mtime (UTIME_OMIT)");
    assertEquals(TimeUpdate.Kind.OMIT, fs.lastTimes.get("f")[1].kind());

    ok("touch -m -d @1100000000 f");
    assertEquals("1000000000 1100000000", ok("stat -c '%X %Y' f"));
    assertEquals(TimeUpdate.Kind.OMIT, fs.lastTimes.get("f")[0].kind());
  }

  @Test
  void renameHonoursNoreplaceAndExchange() throws Exception {
    ok("printf A > a && printf B > b");
    String a = dir.resolve("a").toString();
    String b = dir.resolve("b").toString();
    String c = dir.resolve("c").toString();
    assertEquals(-1, TestLibc.renameat2(TestLibc.AT_FDCWD, a, TestLibc.AT_FDCWD, b,
        RENAME_NOREPLACE));
    assertEquals(Errno.EEXIST, TestLibc.errno());
    assertEquals("A B", ok("echo $(cat a) $(cat b)"));

    assertEquals(0, TestLibc.renameat2(TestLibc.AT_FDCWD, a, TestLibc.AT_FDCWD, b,
        RENAME_EXCHANGE), "errno " + TestLibc.errno());
    assertEquals("B A", ok("echo $(cat a) $(cat b)"));

    assertEquals(0, TestLibc.renameat2(TestLibc.AT_FDCWD, a, TestLibc.AT_FDCWD, c,
        RENAME_NOREPLACE));
    ok("mv c b");
    assertEquals("b B", ok("echo $(ls) $(cat b)"));
  }

  @Test
  void xattrsSetGetListRemoveWithSizeProbe() throws Exception {
    ok("touch f && setfattr -n user.color -v blue f && setfattr -n user.shape -v round f");
    assertEquals("blue", ok("getfattr --only-values -n user.color f"));
    assertEquals("user.color=\"blue\"\nuser.shape=\"round\"",
        ok("getfattr -d --absolute-names f | grep user."));
    String f = dir.resolve("f").toString();
    assertEquals(5, TestLibc.getxattr(f, "user.shape", null, 0), "size 0 asks for the length");
    assertEquals(-1, TestLibc.getxattr(f, "user.shape", new byte[2], 2));
    assertEquals(Errno.ERANGE, TestLibc.errno());
    assertEquals(22, TestLibc.listxattr(f, null, 0));
    assertEquals(-1, TestLibc.listxattr(f, new byte[3], 3));
    assertEquals(Errno.ERANGE, TestLibc.errno());
    assertEquals(-1, TestLibc.setxattr(f, "user.shape", new byte[1], 1, XATTR_CREATE));
    assertEquals(Errno.EEXIST, TestLibc.errno());

    byte[] big = new byte[10000];
    new java.util.Random(7).nextBytes(big);
    assertEquals(0, TestLibc.setxattr(f, "user.big", big, big.length, 0));
    byte[] back = new byte[20000];
    assertEquals(big.length, TestLibc.getxattr(f, "user.big", back, back.length));
    assertArrayEquals(big, java.util.Arrays.copyOf(back, big.length));

    ok("setfattr -x user.color f");
    NativeTools.Result gone = sh("getfattr -n user.color f");
    assertNotEquals(0, gone.exit());
    assertTrue(gone.output().contains("No such attribute"), gone.output());
  }

  @Test
  void fallocateModesAndSeekHoleData() throws Exception {
    int chunk = MemoryFilesystem.CHUNK;
    ok("fallocate -l 1M a");
    assertEquals("1048576", ok("stat -c %s a"));
    assertEquals("2048", ok("stat -c %b a"), "allocated space is reported");

    ok("truncate -s 1M h && head -c " + chunk + " /dev/urandom"
        + " | dd of=h bs=" + chunk + " seek=4 conv=notrunc status=none");
    String h = dir.resolve("h").toString();
    assertEquals(4L * chunk, seek(h, 0, SEEK_DATA));
    assertEquals(5L * chunk, seek(h, 4L * chunk, SEEK_HOLE));
    assertEquals(-Errno.ENXIO, seek(h, 5L * chunk, SEEK_DATA));
    assertEquals(0, seek(h, 0, SEEK_HOLE));

    ok("fallocate --punch-hole --offset " + 4 * chunk + " --length " + chunk + " h");
    assertEquals(-Errno.ENXIO, seek(h, 0, SEEK_DATA), "the punched chunk is a hole");
    assertEquals("0", ok("tr -d '\\0' < h | wc -c"));
    assertEquals("1048576", ok("stat -c %s h"));

    ok("printf data > z && fallocate --zero-range --offset 0 --length 2M z");
    assertEquals("2097152 0", ok("echo $(stat -c %s z) $(tr -d '\\0' < z | wc -c)"));

    ok("fallocate --keep-size -l 4M z");
    assertEquals("2097152 8192", ok("stat -c '%s %b' z"));

    NativeTools.Result collapse = sh("fallocate --collapse-range --offset 0 --length 1M z");
    assertNotEquals(0, collapse.exit());
    assertTrue(collapse.output().contains("Operation not supported"), collapse.output());
  }

  /** lseek on a fresh descriptor: the offset, or minus the errno. */
  private static long seek(String path, long offset, int whence) {
    int fd = TestLibc.open(path, TestLibc.O_RDONLY);
    assertTrue(fd >= 0, "open " + path + ": errno " + TestLibc.errno());
    try {
      long r = TestLibc.lseek(fd, offset, whence);
      return r >= 0 ? r : -TestLibc.errno();
    } finally {
      TestLibc.close(fd);
    }
  }

  @Test
  void exceptionInTheFilesystemGivesEioNotAHang() throws Exception {
    ok("printf payload > " + MemoryFilesystem.BOOM);
    NativeTools.Result read = sh("cat " + MemoryFilesystem.BOOM);
    assertNotEquals(0, read.exit());
    assertTrue(read.output().contains("Input/output error"), read.output());
    NativeTools.Result lookup = sh("stat boom-lookup");
    assertNotEquals(0, lookup.exit());
    assertTrue(lookup.output().contains("Input/output error"), lookup.output());
    assertEquals("still serving", ok("echo still serving > after && cat after"));
  }

  @Test
  void interruptedRequestReturnsEintrToItsCaller() throws Exception {
    Path helper = NativeTools.build("interruptible_fallocate", false);
    Path slow = Files.createFile(dir.resolve(MemoryFilesystem.SLOW));
    int before = fs.interruptsSeen.get();
    Process p = new ProcessBuilder(helper.toString(), slow.toString())
        .redirectErrorStream(true).start();
    try {
      assertTrue(fs.slowEntered.tryAcquire(20, TimeUnit.SECONDS), "fallocate reached the filesystem");
      assertEquals(0, NativeTools.run(List.of("kill", "-USR1", Long.toString(p.pid())), 10).exit());
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the caller returned after the interrupt");
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertEquals("EINTR", out);
      assertEquals(before + 1, fs.interruptsSeen.get(), "the interrupt callback fired");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void ctrlCOnFallocateInterruptsTheRequest() throws Exception {
    Path slow = Files.createFile(dir.resolve(MemoryFilesystem.SLOW));
    int before = fs.interruptsSeen.get();
    Process p = new ProcessBuilder("fallocate", "-l", "4096", slow.toString())
        .redirectErrorStream(true).start();
    try {
      assertTrue(fs.slowEntered.tryAcquire(20, TimeUnit.SECONDS), "fallocate reached the filesystem");
      assertEquals(0, NativeTools.run(List.of("kill", "-INT", Long.toString(p.pid())), 10).exit());
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "fallocate ended after SIGINT");
      assertNotEquals(0, p.exitValue());
      assertEquals(before + 1, fs.interruptsSeen.get(), "the interrupt callback fired");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void readaheadWindowIsWidenedAsAskedWhenMountedByRoot() throws Exception {
    // Only root may write the backing device's window; others keep the kernel's.
    int expected = Libc.geteuid() == 0 ? READAHEAD_KIB : 128;
    assertEquals(expected, mount.readaheadKib());
  }

  @Test
  void notifyInvalInodeMakesLaterReadsSeeNewData() throws Exception {
    Path f = dir.resolve("f");
    Files.writeString(f, "old data\n");
    assertEquals("old data", ok("cat f"));
    long ino = ino(f);
    fs.overwrite(ino, 0, "new data\n".getBytes(StandardCharsets.UTF_8));
    assertEquals("old data", ok("cat f"), "the kernel serves cached pages until told");
    assertTrue(mount.notifyInvalInode(ino, 0, 0));
    assertEquals("new data", ok("cat f"));
    assertFalse(mount.notifyInvalInode(987654321L, 0, 0), "an inode the kernel never saw");
  }

  @Test
  void statfsReportsTheFilesystemsCounts() throws Exception {
    String[] f = ok("stat -f -c '%S %b %l %T' .").split(" ");
    assertEquals(String.valueOf(MemoryFilesystem.CHUNK), f[0]);
    assertEquals(String.valueOf(1 << 20), f[1]);
    assertEquals("255", f[2]);
    assertEquals("memfs-test", ok("df --output=source . | tail -1"));
    assertTrue(ok("grep ' " + mnt + " ' /proc/mounts").startsWith("memfs-test " + mnt + " fuse.memfs "));
  }

  @Test
  void mknodMakesFifosAndDevices() throws Exception {
    ok("mkfifo p && mknod c c 1 3");
    assertEquals("fifo", ok("stat -c %F p"));
    assertEquals("character special file 1 3", ok("stat -c '%F %t %T' c"));
  }

  @Test
  void accessCallsReachTheFilesystem() throws Exception {
    ok("touch f && chmod 444 f");
    String f = dir.resolve("f").toString();
    assertEquals(0, TestLibc.access(f, R_OK));
    assertEquals(-1, TestLibc.access(f, W_OK), "the fixture refuses even root");
    assertEquals(Errno.EACCES, TestLibc.errno());
  }

  @Test
  void requestsCarryTheCallersCredentials() throws Exception {
    ok("chmod 777 .");
    ok("setpriv --reuid=1000 --regid=1000 --groups=5,6,7 touch mine");
    int[] who = fs.creators.get("mine");
    assertEquals(1000, who[0], "uid");
    assertEquals(1000, who[1], "gid");
    assertTrue(who[2] > 0, "pid");
    assertEquals(3, who[3], "supplementary groups");
    assertEquals("1000 1000", ok("stat -c '%u %g' mine"));
    ok("touch root-owned");
    assertEquals("0 0", ok("stat -c '%u %g' root-owned"));
    Set<String> names = new HashSet<>(List.of(ok("ls").split("\n")));
    assertEquals(Set.of("mine", "root-owned"), names);
  }

  @Test
  void lookupOfMissingNameIsEnoent() throws Exception {
    assertFalse(Files.exists(dir.resolve("absent")));
    try {
      Files.readAllBytes(dir.resolve("absent"));
      fail("read of a missing file succeeded");
    } catch (java.nio.file.NoSuchFileException expected) {
      // ENOENT from lookup.
    }
  }
}
