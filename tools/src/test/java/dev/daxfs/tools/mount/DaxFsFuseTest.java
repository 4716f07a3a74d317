package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.tools.fuse.Created;
import dev.daxfs.tools.fuse.FuseAttr;
import dev.daxfs.tools.fuse.FuseContext;
import dev.daxfs.tools.fuse.FuseEntry;
import dev.daxfs.tools.fuse.FuseException;
import dev.daxfs.tools.fuse.FuseFilesystem;
import dev.daxfs.tools.fuse.LinuxFlags;
import dev.daxfs.tools.fuse.SetAttr;
import dev.daxfs.tools.fuse.TimeUpdate;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The adapter called directly, as the FUSE binding calls it, on a heap-backed daxfs. */
class DaxFsFuseTest {
  private static final long ROOT = FuseFilesystem.ROOT;
  private static final FuseContext ROOT_CALLER = FuseContext.of(0, 0, 100, 022);
  private static final FuseContext USER = FuseContext.of(1000, 1000, 101, 022);

  private DaxFs fs;
  private DaxFsFuse fuse;

  @BeforeEach
  void mount() {
    HeapRegion region = new HeapRegion(32L << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults().rootMode(0777));
    fs = DaxFs.mount(region, MountOptions.defaults());
    fuse = new DaxFsFuse(fs);
  }

  @AfterEach
  void unmount() {
    fuse.releaseAll();
    fs.unmount();
  }

  private static int errno(FuseTask t) {
    FuseException e = assertThrows(FuseException.class, t::run);
    return e.errno();
  }

  @FunctionalInterface
  interface FuseTask {
    void run() throws Exception;
  }

  private Created create(String name) throws Exception {
    return fuse.create(ROOT_CALLER, ROOT, bytes(name), LinuxFlags.S_IFREG | 0644,
        LinuxFlags.O_RDWR | LinuxFlags.O_CREAT);
  }

  @Test
  void anInodeTheKernelStillHoldsOutlivesItsNameUntilForgotten() throws Exception {
    Created c = create("f");
    long ino = c.entry().ino();
    fuse.release(ROOT_CALLER, ino, c.handle().fh(), 0);
    FuseEntry again = fuse.lookup(ROOT_CALLER, ROOT, bytes("f"));
    assertEquals(ino, again.ino());
    assertEquals(1, fuse.kernelInodes());
    fuse.unlink(ROOT_CALLER, ROOT, bytes("f"));
    // No name, no open file: only the kernel's two lookups keep it.
    assertEquals(0, fuse.getattr(ROOT_CALLER, ino).nlink());
    fuse.forget(ino, 1);
    assertEquals(0, fuse.getattr(ROOT_CALLER, ino).nlink(), "one lookup is still held");
    fuse.forget(ino, 1);
    assertEquals(0, fuse.kernelInodes());
    assertEquals(2, errno(() -> fuse.getattr(ROOT_CALLER, ino)), "freed at the last forget");
  }

  @Test
  void aHeldNumberIsNotReusedAndAFreedOneMayBe() throws Exception {
    FuseEntry d = fuse.mkdir(ROOT_CALLER, ROOT, bytes("d"), 0755);
    fuse.rmdir(ROOT_CALLER, ROOT, bytes("d"));
    List<Long> made = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      made.add(fuse.mkdir(ROOT_CALLER, ROOT, bytes("n" + i), 0755).ino());
    }
    assertTrue(!made.contains(d.ino()), "held number " + d.ino() + " reused: " + made);
    fuse.forget(d.ino(), 1);
    for (int i = 0; i < 8; i++) {
      made.add(fuse.mkdir(ROOT_CALLER, ROOT, bytes("m" + i), 0755).ino());
    }
    assertTrue(made.contains(d.ino()), "after the forget daxfs may reuse it: " + made);
  }

  @Test
  void errnosPassThroughAndMissingNamesAreNegativeEntries() throws Exception {
    assertTrue(fuse.lookup(ROOT_CALLER, ROOT, bytes("none")).isNegative());
    create("f");
    assertEquals(17, errno(() -> fuse.mkdir(ROOT_CALLER, ROOT, bytes("f"), 0755)), "EEXIST");
    assertEquals(17, errno(() -> fuse.create(ROOT_CALLER, ROOT, bytes("f"),
        LinuxFlags.S_IFREG | 0644, LinuxFlags.O_RDWR | LinuxFlags.O_CREAT | LinuxFlags.O_EXCL)),
        "O_EXCL");
    assertEquals(36, errno(() -> fuse.lookup(ROOT_CALLER, ROOT, bytes("x".repeat(256)))));
    fuse.mkdir(ROOT_CALLER, ROOT, bytes("d"), 0755);
    fuse.create(ROOT_CALLER, fuse.lookup(ROOT_CALLER, ROOT, bytes("d")).ino(), bytes("inner"),
        LinuxFlags.S_IFREG | 0644, LinuxFlags.O_RDWR | LinuxFlags.O_CREAT);
    assertEquals(39, errno(() -> fuse.rmdir(ROOT_CALLER, ROOT, bytes("d"))), "ENOTEMPTY");
    assertEquals(9, errno(() -> fuse.read(ROOT_CALLER, 2, 999, 0, ByteBuffer.allocate(1))),
        "EBADF for a handle that is not open");
  }

  @Test
  void creationsCarryTheCallersCredentials() throws Exception {
    FuseEntry e = fuse.mkdir(USER, ROOT, bytes("mine"), 0700);
    assertEquals(1000, e.attr().uid());
    assertEquals(1000, e.attr().gid());
    assertEquals(13, errno(() -> fuse.mkdir(FuseContext.of(2000, 2000, 102, 022), e.ino(),
        bytes("x"), 0755)), "EACCES in another user's 0700 directory");
    assertEquals(1, errno(() -> fuse.setattr(FuseContext.of(2000, 2000, 102, 022), e.ino(),
        change(OptionalInt.of(0777), OptionalLong.empty(), TimeUpdate.OMIT, TimeUpdate.OMIT))),
        "EPERM: only the owner may chmod");
  }

  private static SetAttr change(OptionalInt mode, OptionalLong size, TimeUpdate atime,
      TimeUpdate mtime) {
    return new SetAttr(mode, OptionalInt.empty(), OptionalInt.empty(), size, atime, mtime,
        TimeUpdate.OMIT, OptionalLong.empty());
  }

  @Test
  void setattrLeavesOmittedTimesAlone() throws Exception {
    Created c = create("t");
    long ino = c.entry().ino();
    FuseAttr a = fuse.setattr(ROOT_CALLER, ino, change(OptionalInt.empty(), OptionalLong.empty(),
        TimeUpdate.at(1_000_000_000L), TimeUpdate.at(2_000_000_000L)));
    assertEquals(1_000_000_000L, a.atimeNanos());
    FuseAttr b = fuse.setattr(ROOT_CALLER, ino, change(OptionalInt.empty(), OptionalLong.empty(),
        TimeUpdate.OMIT, TimeUpdate.NOW));
    assertEquals(1_000_000_000L, b.atimeNanos(), "UTIME_OMIT");
    assertNotEquals(2_000_000_000L, b.mtimeNanos(), "UTIME_NOW");
  }

  @Test
  void writeReadTruncateThroughHandles() throws Exception {
    Created c = create("f");
    long ino = c.entry().ino();
    long fh = c.handle().fh();
    byte[] data = "hello, daxfs".getBytes(StandardCharsets.UTF_8);
    assertEquals(data.length, fuse.write(ROOT_CALLER, ino, fh, 4096,
        ByteBuffer.wrap(data).asReadOnlyBuffer()));
    ByteBuffer dst = ByteBuffer.allocate(100);
    assertEquals(data.length, fuse.read(ROOT_CALLER, ino, fh, 4096, dst));
    assertEquals("hello, daxfs", new String(dst.array(), 0, data.length, StandardCharsets.UTF_8));
    assertEquals(4096, fuse.lseek(ROOT_CALLER, ino, fh, 0, LinuxFlags.SEEK_DATA));
    FuseAttr t = fuse.setattr(ROOT_CALLER, ino, new SetAttr(OptionalInt.empty(),
        OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(10), TimeUpdate.OMIT,
        TimeUpdate.OMIT, TimeUpdate.OMIT, OptionalLong.of(fh)));
    assertEquals(10, t.size());
    assertEquals(1, fuse.openFiles());
    fuse.release(ROOT_CALLER, ino, fh, 0);
    assertEquals(0, fuse.openFiles());
  }

  @Test
  void namesAreBytesNotText() throws Exception {
    // Not UTF-8: decoded, both would become U+FFFD and collide.
    byte[] a = {'a', (byte) 0x80};
    byte[] b = {'a', (byte) 0x81};
    byte[] longest = new byte[255];
    java.util.Arrays.fill(longest, (byte) 0xe9);
    long inoA = fuse.create(ROOT_CALLER, ROOT, a, LinuxFlags.S_IFREG | 0644,
        LinuxFlags.O_RDWR | LinuxFlags.O_CREAT | LinuxFlags.O_EXCL).entry().ino();
    long inoB = fuse.create(ROOT_CALLER, ROOT, b, LinuxFlags.S_IFREG | 0644,
        LinuxFlags.O_RDWR | LinuxFlags.O_CREAT | LinuxFlags.O_EXCL).entry().ino();
    assertTrue(inoA != inoB, "two names, two files");
    fuse.mkdir(ROOT_CALLER, ROOT, longest, 0755);
    assertEquals(inoA, fuse.lookup(ROOT_CALLER, ROOT, a).ino());
    assertEquals(inoB, fuse.lookup(ROOT_CALLER, ROOT, b).ino());
    fuse.symlink(ROOT_CALLER, ROOT, bytes("s"), b);
    long link = fuse.lookup(ROOT_CALLER, ROOT, bytes("s")).ino();
    assertArrayEquals(b, fuse.readlink(ROOT_CALLER, link), "a target's bytes as they were");
    var dir = fuse.opendir(ROOT_CALLER, ROOT, 0);
    List<String> listed = new ArrayList<>();
    fuse.readdir(ROOT_CALLER, ROOT, dir.fh(), 0, (name, ino, mode, next) ->
        listed.add(java.util.HexFormat.of().formatHex(name)));
    fuse.releasedir(ROOT_CALLER, ROOT, dir.fh());
    assertTrue(listed.containsAll(List.of("6180", "6181", "73",
        java.util.HexFormat.of().formatHex(longest))), "listed as created: " + listed);
    fuse.rename(ROOT_CALLER, ROOT, a, ROOT, bytes("plain"), 0);
    assertTrue(fuse.lookup(ROOT_CALLER, ROOT, a).isNegative());
    assertEquals(inoB, fuse.lookup(ROOT_CALLER, ROOT, b).ino(), "its neighbour untouched");
  }

  @Test
  void readdirOffsetsContinueWhereTheLastReplyStopped() throws Exception {
    for (int i = 0; i < 150; i++) {
      create(String.format("f%03d", i));
    }
    var dir = fuse.opendir(ROOT_CALLER, ROOT, 0);
    List<String> names = new ArrayList<>();
    long[] offset = {0};
    while (true) {
      int before = names.size();
      fuse.readdir(ROOT_CALLER, ROOT, dir.fh(), offset[0], (name, ino, mode, next) -> {
        if (names.size() - before == 7) {
          return false;
        }
        names.add(new String(name, java.nio.charset.StandardCharsets.UTF_8));
        offset[0] = next;
        return true;
      });
      if (names.size() == before) {
        break;
      }
    }
    assertEquals(152, names.size(), "., .. and 150 files, each once");
    assertEquals(152, names.stream().distinct().count());
    fuse.releasedir(ROOT_CALLER, ROOT, dir.fh());
  }

  @Test
  void killingSetIdBitsOnWriteByAnotherUserIsAllowed() throws Exception {
    FuseEntry e = fuse.mknod(ROOT_CALLER, ROOT, bytes("suid"), LinuxFlags.S_IFREG | 04777, 0);
    // What the kernel sends before a write by a non-owner: the mode without set-user-ID.
    FuseAttr a = fuse.setattr(USER, e.ino(), change(OptionalInt.of(0777), OptionalLong.empty(),
        TimeUpdate.OMIT, TimeUpdate.OMIT));
    assertEquals(0777, a.mode() & 07777);
    assertEquals(1, errno(() -> fuse.setattr(USER, e.ino(), change(OptionalInt.of(0700),
        OptionalLong.empty(), TimeUpdate.OMIT, TimeUpdate.OMIT))), "any other chmod is EPERM");
  }

  private static byte[] bytes(String name) {
    return name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
