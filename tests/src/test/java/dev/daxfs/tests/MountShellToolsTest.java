package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordinary Linux tools on a daxfs mounted with {@code tools/daxfs mount}, as a user runs them.
 * Where a tool's result is not obvious, the same script also runs on /dev/shm (tmpfs, the
 * kernel's own filesystem) and the outputs must match. One mount serves the class; each test
 * works in its own directory; the mount is always removed.
 */
class MountShellToolsTest {
  @TempDir static Path tmp;

  private static DaxfsMount mount;

  /** This test's directory in the mount. */
  private Path dir;

  /** This test's reference directory on tmpfs. */
  private Path ref;

  @BeforeAll
  static void mountIt() throws Exception {
    Path runtime = Files.createDirectory(tmp.resolve("run"));
    mount = DaxfsMount.at(tmp.resolve("mnt"), DaxfsMount.freshRegion("tools"), runtime);
    mount.mount();
  }

  @AfterAll
  static void unmountIt() throws Exception {
    if (mount != null) {
      try {
        Run.Result r = mount.umount();
        assertEquals(0, r.exit(), "umount: " + r.all());
        assertTrue(r.out().contains("cleanly"), r.all());
      } finally {
        mount.close();
      }
    }
  }

  @BeforeEach
  void ownDirectories(TestInfo info) throws Exception {
    String name = info.getTestMethod().orElseThrow().getName();
    dir = Files.createDirectory(mount.mountpoint.resolve(name));
    ref = Files.createDirectories(tmp.resolve("ref").resolve(name));
  }

  private Run.Result sh(Path where, String script) throws Exception {
    return Run.sh(where, "set -e; " + script, 60);
  }

  /** Runs {@code script} in the mount; it must succeed; returns its output, trimmed. */
  private String ok(String script) throws Exception {
    Run.Result r = sh(dir, script);
    assertEquals(0, r.exit(), script + " failed in the mount: " + r.all());
    return r.out().strip();
  }

  /** Runs {@code script} in the mount and on tmpfs; both outputs must be equal. */
  private String sameAsTmpfs(String script) throws Exception {
    Run.Result expected = sh(ref, script);
    assertEquals(0, expected.exit(), "on tmpfs: " + script + ": " + expected.all());
    Run.Result actual = sh(dir, script);
    assertEquals(0, actual.exit(), "in the mount: " + script + ": " + actual.all());
    assertEquals(expected.out(), actual.out(), "output differs from tmpfs for: " + script);
    return actual.out().strip();
  }

  @Test
  void treeToolsBehaveAsOnTmpfs() throws Exception {
    sameAsTmpfs("mkdir -p a/b/c && echo one > a/b/c/f && ln a/b/c/f a/hard && ln -s b/c/f a/soft"
        + " && cp -a a copy && mv copy/b copy/moved && rm -r a/b && ls -R . | sort"
        + " && cat copy/soft 2>&1 || true"
        + " && readlink copy/soft && cat copy/hard && stat -c '%h %s %F' copy/hard copy/soft");
  }

  @Test
  void cpArchivePreservesHardLinksAndBothNamesShowOneInode() throws Exception {
    ok("mkdir src && echo data > src/a && ln src/a src/b && chmod 640 src/a"
        + " && touch -d '2010-05-06 07:08:09' src/a && cp -a src dst");
    String a = ok("stat -c '%i %h %a %s %Y' dst/a");
    assertEquals(a, ok("stat -c '%i %h %a %s %Y' dst/b"), "both names, one inode");
    String[] f = a.split(" ");
    assertEquals("2 640 5", f[1] + " " + f[2] + " " + f[3], "links, mode, size");
    assertEquals(ok("date -d '2010-05-06 07:08:09' +%s"), f[4], "mtime kept");
    assertNotEquals(ok("stat -c %i src/a"), f[0], "a copy is a new inode");
  }

  @Test
  void touchChangesOneTimeAndLeavesTheOther() throws Exception {
    ok("touch f && touch -a -d '2001-01-01 00:00:00' f && touch -m -d '2002-02-02 00:00:00' f");
    assertEquals("2001-01-01 2002-02-02",
        ok("stat -c '%x %y' f | awk '{print $1, $4}'"));
    ok("touch -a f");
    assertEquals("2002-02-02", ok("stat -c %y f | cut -d' ' -f1"), "mtime untouched");
    assertNotEquals("2001-01-01", ok("stat -c %x f | cut -d' ' -f1"), "atime now");
    ok("touch -m -d '2003-03-03 00:00:00' f");
    assertNotEquals("2001-01-01", ok("stat -c %x f | cut -d' ' -f1"), "atime untouched");
  }

  @Test
  void truncateAndFallocateBehaveAsOnTmpfs() throws Exception {
    // tmpfs has no ZERO_RANGE: that one is checked on its own below.
    sameAsTmpfs("printf 0123456789 > t && truncate -s 4 t && cat t && echo"
        + " && truncate -s 10000 t && stat -c %s t && od -An -c -j 4 -N 4 t"
        + " && head -c 65536 /dev/zero | tr '\\0' q > p && cp p p.orig"
        + " && fallocate --punch-hole -o 4096 -l 8192 p && stat -c %s p"
        + " && cmp -l p p.orig | wc -l && dd if=p bs=4096 skip=1 count=2 status=none | tr -d '\\0' | wc -c"
        + " && fallocate -l 1M plain && stat -c %s plain"
        + " && fallocate -n -l 1M plain && fallocate -o 1M -n -l 1M plain && stat -c %s plain"
        + " && printf x | dd of=plain bs=1 seek=2000000 conv=notrunc status=none && stat -c %s plain");
  }

  @Test
  void fallocateSpaceAccounting() throws Exception {
    ok("fallocate -l 1M a");
    assertTrue(Long.parseLong(ok("du -k a | cut -f1")) >= 1024, "plain fallocate takes space");
    ok("touch k && fallocate -n -l 1M k");
    assertEquals("0", ok("stat -c %s k"), "keep size");
    assertTrue(Long.parseLong(ok("du -k k | cut -f1")) >= 1024, "keep size allocates");
    ok("head -c 1048576 /dev/urandom > z && fallocate --zero-range -o 4096 -l 8192 z");
    assertEquals("1048576", ok("stat -c %s z"));
    assertEquals("0", ok("dd if=z bs=4096 skip=1 count=2 status=none | tr -d '\\0' | wc -c"));
    assertEquals("4096", ok("dd if=z bs=4096 skip=3 count=1 status=none | wc -c"));
    ok("fallocate --zero-range -o 1048576 -l 4096 z");
    assertEquals("1052672", ok("stat -c %s z"), "zero range past EOF extends");
    long before = Long.parseLong(ok("du -k z | cut -f1"));
    ok("fallocate --punch-hole -o 0 -l 524288 z");
    long after = Long.parseLong(ok("du -k z | cut -f1"));
    assertTrue(after <= before - 500, "punching 512 KiB frees it: " + before + " -> " + after);
  }

  @Test
  void holesTakeNoSpaceAndSeekFindsThem() throws Exception {
    ok("truncate -s 100M sparse && printf tail >> sparse && cp --sparse=always sparse copy");
    assertTrue(Long.parseLong(ok("du -k sparse | cut -f1")) <= 8, ok("du -k sparse"));
    assertTrue(Long.parseLong(ok("du -k copy | cut -f1")) <= 8, ok("du -k copy"));
    assertEquals("104857604 104857604", ok("stat -c %s sparse copy | xargs"));
    assertEquals("", ok("cmp sparse copy"));
    int fd = Libc.open(dir.resolve("copy").toString(), Libc.O_RDONLY, 0);
    assertTrue(fd >= 0, "open: errno " + Libc.errno());
    try {
      assertEquals(0, Libc.lseek(fd, 0, Libc.SEEK_HOLE), "a hole at the start");
      assertEquals(100L << 20, Libc.lseek(fd, 0, Libc.SEEK_DATA), "data at the end");
      assertEquals(100L << 20, Libc.lseek(fd, 5000, Libc.SEEK_DATA));
      assertEquals(104857604, Libc.lseek(fd, 100L << 20, Libc.SEEK_HOLE), "EOF is a hole");
      assertEquals(-1, Libc.lseek(fd, 104857604, Libc.SEEK_DATA));
      assertEquals(Libc.ENXIO, Libc.errno(), "SEEK_DATA at EOF is ENXIO");
    } finally {
      Libc.close(fd);
    }
  }

  @Test
  void extendedAttributesWithSetfattrAndGetfattr() throws Exception {
    ok("touch f && setfattr -n user.colour -v blue f && setfattr -n user.size -v 0x0102 f");
    assertEquals("user.colour=0x626c7565\nuser.size=0x0102",
        ok("getfattr -d -e hex f | grep '^user' | sort"));
    assertEquals("blue", ok("getfattr --only-values -n user.colour f"));
    ok("setfattr -x user.colour f");
    Run.Result gone = sh(dir, "getfattr -n user.colour f");
    assertNotEquals(0, gone.exit());
    assertTrue(gone.err().contains("No such attribute"), gone.all());
    ok("mkdir d && setfattr -n user.d -v 1 d && cp -a d d2 && cp -a f g");
    assertEquals("1", ok("getfattr --only-values -n user.d d2"), "cp -a copies xattrs");
    assertEquals("user.size=0x0102", ok("getfattr -e hex -n user.size g | grep '^user'"));
  }

  @Test
  void ddWritesAndReadsBackExactBytes() throws Exception {
    sameAsTmpfs("head -c 3000000 /dev/zero | tr '\\0' 'a' > seed"
        + " && dd if=seed of=f bs=1M status=none && dd if=seed of=f bs=777 seek=1000 count=50"
        + " conv=notrunc status=none && dd if=/dev/zero of=f bs=1 seek=5000000 count=1 status=none"
        + " && md5sum < f && stat -c %s f && dd if=f bs=64k skip=10 count=3 status=none | md5sum");
    ok("dd if=/dev/urandom of=r bs=1M count=16 status=none && sync");
    assertEquals(ok("md5sum < r"), ok("cat r | md5sum"));
    String sum = ok("md5sum < r");
    ok("cp r " + ref.resolve("r"));
    assertEquals(sum, Run.sh(ref, "md5sum < r", 30).out().strip());
  }

  @Test
  void tarOfATreeInAndOut() throws Exception {
    ok("mkdir -p src/a/b && for i in $(seq 1 60); do head -c $((i * 997)) /dev/urandom > src/a/f$i;"
        + " done && ln src/a/f1 src/a/b/hard && ln -s ../f2 src/a/b/soft && chmod 600 src/a/f3"
        + " && mkfifo src/fifo && setfattr -n user.t -v v src/a/f4"
        + " && tar --xattrs -cf " + ref.resolve("in.tar") + " src");
    ok("mkdir out && tar --xattrs -C out -xf " + ref.resolve("in.tar"));
    assertEquals("", ok("diff -r --no-dereference -x fifo src out/src"));
    assertEquals("fifo", ok("stat -c %F out/src/fifo"));
    ok("tar --xattrs -cf " + ref.resolve("out.tar") + " -C out src");
    assertEquals(ok("tar -tvf " + ref.resolve("in.tar") + " | sort"),
        ok("tar -tvf " + ref.resolve("out.tar") + " | sort"));
    assertEquals(ok("stat -c %i out/src/a/f1"), ok("stat -c %i out/src/a/b/hard"));
    assertEquals("v", ok("getfattr --only-values -n user.t out/src/a/f4"));
    ok("rm -r src out");
    assertEquals("", ok("ls -A"));
  }

  @Test
  void gitInitAddCommitInsideTheMount() throws Exception {
    String git = "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main ";
    ok(git + "init -q repo && cd repo && for i in 1 2 3; do echo $i > f$i; done"
        + " && " + git + "add . && " + git + "commit -qm first && echo 4 >> f1"
        + " && " + git + "commit -qam second && " + git + "mv f2 g2 && " + git + "commit -qm mv"
        + " && " + git + "gc -q");
    assertEquals("3", ok("cd repo && git log --oneline | wc -l"));
    assertEquals("", ok("cd repo && git status --porcelain"));
    ok("cd repo && git fsck --strict 2>&1");
    assertEquals("1\n4", ok("cd repo && git show HEAD:f1"));
  }

  @Test
  void unlinkedOpenFileStaysUsableInvisibleAndIsFreedAtLastClose() throws Exception {
    long freeBefore = freeBytes();
    Path p = dir.resolve("scratch");
    byte[] chunk = new byte[1 << 20];
    java.util.Arrays.fill(chunk, (byte) 7);
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      for (int i = 0; i < 8; i++) {
        ch.write(ByteBuffer.wrap(chunk));
      }
      Files.delete(p);
      assertFalse(Files.exists(p));
      assertEquals("", ok("ls -A"));
      ch.write(ByteBuffer.wrap("tail".getBytes(StandardCharsets.UTF_8)), 8L << 20);
      ByteBuffer back = ByteBuffer.allocate(4);
      ch.read(back, 8L << 20);
      assertEquals("tail", new String(back.array(), StandardCharsets.UTF_8));
      ByteBuffer mid = ByteBuffer.allocate(1);
      ch.read(mid, 5L << 20);
      assertEquals(7, mid.get(0));
      assertTrue(freeBytes() <= freeBefore - (8L << 20), "the open file keeps its blocks");
      Files.writeString(p, "new file, same name");
      assertEquals("new file, same name", ok("cat scratch"));
    }
    // Freed once the kernel forgets the inode after the last close: wait for it, bounded.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (freeBytes() < freeBefore - (1L << 20) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(freeBytes() >= freeBefore - (1L << 20), "blocks of the unlinked file are freed");
  }

  @Test
  void aRemovedDirectoryStaysItselfForTheProcessInsideIt() throws Exception {
    // The kernel still holds the removed directory (the shell's working directory): its inode
    // number must not go to the directories made next, or the shell would find itself in them.
    sameAsTmpfs("mkdir d && cd d && i=$(stat -c %i .) && rmdir ../d"
        + " && for n in 1 2 3 4 5 6; do mkdir ../n$n && echo hi > ../n$n/f; done"
        + " && for n in 1 2 3 4 5 6; do [ $(stat -c %i ../n$n) != $i ] || echo reused; done"
        + " && stat -c %h . && ls -a . && (touch x 2>&1 || true) && (ls f 2>&1 || true)");
  }

  /** Free bytes as statfs(2) reports them through the mount. */
  private long freeBytes() throws Exception {
    return Files.getFileStore(mount.mountpoint).getUnallocatedSpace();
  }

  @Test
  void renameFlagsNoreplaceAndExchange() throws Exception {
    ok("echo A > a && echo B > b && mkdir d && echo C > d/c");
    String a = dir.resolve("a").toString();
    String b = dir.resolve("b").toString();
    assertEquals(-1, Libc.renameat2(Libc.AT_FDCWD, a, Libc.AT_FDCWD, b, Libc.RENAME_NOREPLACE));
    assertEquals(Libc.EEXIST, Libc.errno());
    assertEquals(0, Libc.renameat2(Libc.AT_FDCWD, a, Libc.AT_FDCWD, b, Libc.RENAME_EXCHANGE),
        "errno " + Libc.errno());
    assertEquals("B A", ok("cat a b | xargs"));
    String d = dir.resolve("d").toString();
    assertEquals(0, Libc.renameat2(Libc.AT_FDCWD, a, Libc.AT_FDCWD, d, Libc.RENAME_EXCHANGE),
        "a file and a directory exchange");
    assertEquals("C", ok("cat a/c"));
    assertEquals("B", ok("cat d"));
    assertEquals(-1, Libc.renameat2(Libc.AT_FDCWD, b, Libc.AT_FDCWD,
        dir.resolve("none").toString(), Libc.RENAME_EXCHANGE));
    assertEquals(Libc.ENOENT, Libc.errno(), "exchange needs both names");
    assertEquals(0, Libc.renameat2(Libc.AT_FDCWD, b, Libc.AT_FDCWD,
        dir.resolve("none").toString(), Libc.RENAME_NOREPLACE));
    assertEquals("A", ok("cat none"));
  }

  @Test
  void otherUsersArePermittedAndRefusedByTheModeBits() throws Exception {
    assumeTrue(Run.root(), "setpriv to another uid needs root (CI runs as root)");
    ok("mkdir pub priv && chmod 1777 pub && chmod 700 priv && echo secret > priv/s"
        + " && echo root > pub/rootfile && chmod 644 pub/rootfile");
    String as = "setpriv --reuid=4321 --regid=4321 --clear-groups ";
    Run.Result r = sh(dir, as + "bash -c 'id -u && echo mine > pub/mine && stat -c \"%u %g\" pub/mine"
        + " && cat pub/rootfile && (cat priv/s 2>&1 || true) && ({ echo x >> pub/rootfile; } 2>&1 || true)"
        + " && (rm pub/rootfile 2>&1 || true) && (chmod 777 pub/rootfile 2>&1 || true)"
        + " && (touch -d 2001-01-01 pub/rootfile 2>&1 || true) && mkdir pub/d && chmod 700 pub/d'");
    assertEquals(0, r.exit(), r.all());
    String out = r.out();
    assertTrue(out.startsWith("4321\n4321 4321\nroot\n"), out);
    assertTrue(out.contains("priv/s: Permission denied"), out);
    assertTrue(out.contains("pub/rootfile: Permission denied"), "no write: " + out);
    assertTrue(out.contains("Operation not permitted"), "sticky dir, chmod: " + out);
    assertEquals("root", ok("cat pub/rootfile"), "nothing changed it");
    assertEquals("4321 700", ok("stat -c '%u %a' pub/d"));
    assertEquals("mine", ok("cat pub/mine"), "root reads everything");

    // A write by someone other than the owner drops set-user-ID, as on any Linux filesystem.
    ok("echo a > pub/suid && chmod 4777 pub/suid");
    Run.Result w = sh(dir, as + "bash -c 'echo b >> pub/suid'");
    assertEquals(0, w.exit(), "a non-owner may write a world-writable set-user-ID file: "
        + w.all());
    assertEquals("777 a b", ok("echo $(stat -c %a pub/suid) $(cat pub/suid)"));
  }

  @Test
  void syncDfAndStatfs() throws Exception {
    ok("head -c 4194304 /dev/urandom > f && sync && sync -f f");
    String df = ok("df -k --output=fstype,size . | tail -1");
    assertTrue(df.startsWith("fuse.daxfs"), df);
    assertTrue(Long.parseLong(df.split("\\s+")[1]) > 200_000, df);
    assertEquals("255", ok("stat -f -c %l ."), "NAME_MAX");
  }

  @Test
  void mmapGoesThroughThePageCache() throws Exception {
    Path p = dir.resolve("mapped");
    ok("head -c 65536 /dev/zero > mapped");
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 65536);
      m.put(4096, "through mmap".getBytes(StandardCharsets.UTF_8));
      m.force();
    }
    assertEquals("through mmap", ok("dd if=mapped bs=1 skip=4096 count=12 status=none"));
  }

  @Test
  void statReportsLayoutBreaksAndOmitsPinCounters() throws Exception {
    JsonNode before = mount.stat();
    ok("head -c 65536 /dev/urandom > f && fallocate --punch-hole -o 0 -l 8192 f"
        + " && truncate -s 4096 f");
    JsonNode after = mount.stat();
    assertTrue(after.path("layout_breaks").asLong() >= before.path("layout_breaks").asLong() + 2,
        "punch and truncate break layouts: " + after);
    for (String name : new String[] {"layout_waits", "layout_wait_ms", "etxtbsy_refusals",
        "orphans_reaped", "space", "inodes", "mount"}) {
      assertTrue(after.has(name), name + " in " + after);
    }
    for (String name : new String[] {"pins_acquired", "pins_released", "pins_outstanding",
        "misdirected_writes"}) {
      assertFalse(after.has(name), name + " comes with the pin layer, not as a made-up zero");
    }
    assertEquals(mount.mountpoint.toRealPath().toString(), after.path("mountpoint").asText());
    Run.Result text = Run.daxfs(mount.runtime, 60, "stat", mount.mountpoint.toString());
    assertEquals(0, text.exit(), text.all());
    assertTrue(text.out().contains("layout breaks: "), text.out());
    assertTrue(text.out().contains("space: "), text.out());
  }
}
