package dev.daxfs.tools.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mounts that must be refused in one sentence, and the ways a session ends. */
class FuseMountRefusalTest {
  @TempDir Path tmp;

  private static String refusal(Path mountpoint, MountOptions options) {
    return assertThrows(FuseMountException.class,
        () -> FuseMount.mount(mountpoint, new MemoryFilesystem(), options)).getMessage();
  }

  @Test
  void missingMountpointIsRefused() {
    Path missing = tmp.resolve("nowhere");
    assertEquals("mount point " + missing + " does not exist: create it first.",
        refusal(missing, MountOptions.defaults()));
  }

  @Test
  void fileAsMountpointIsRefused() throws Exception {
    Path file = Files.createFile(tmp.resolve("file"));
    assertEquals("mount point " + file + " is not a directory.",
        refusal(file, MountOptions.defaults()));
  }

  @Test
  void unknownOptionIsRefusedWithLibfusesReason() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    String m = refusal(dir, MountOptions.defaults().withOptions(List.of("no_such_option")));
    assertTrue(m.startsWith("libfuse refused the mount options"), m);
    assertTrue(m.contains("unknown option"), m);
    assertFalse(MountInfo.isMountpoint(dir.toRealPath()));
  }

  @Test
  void secondMountOnTheSameDirectoryIsRefused() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    FuseMount first = FuseMount.mount(dir, new MemoryFilesystem(), MountOptions.defaults());
    try {
      String m = refusal(dir, MountOptions.defaults());
      assertEquals(dir.toRealPath() + " is already mounted (fuse.daxfs from daxfs): unmount it "
          + "first.", m);
    } finally {
      first.unmount();
      FuseMountTest.forceUnmount(dir);
    }
  }

  @Test
  void checkRefusesWhatMountRefusesWithoutMountingAnything() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    FuseMountException options = assertThrows(FuseMountException.class, () -> FuseMount.check(
        dir, MountOptions.defaults().withOptions(List.of("no_such_option"))));
    assertTrue(options.getMessage().startsWith("libfuse refused the mount options"),
        options.getMessage());
    assertTrue(options.getMessage().contains("unknown option"), options.getMessage());
    assertEquals("mount point " + tmp.resolve("nowhere") + " does not exist: create it first.",
        assertThrows(FuseMountException.class,
            () -> FuseMount.check(tmp.resolve("nowhere"), MountOptions.defaults()))
            .getMessage());

    FuseMount.check(dir, MountOptions.defaults());
    assertFalse(MountInfo.isMountpoint(dir.toRealPath()), "check mounts nothing");
    FuseMount first = FuseMount.mount(dir, new MemoryFilesystem(), MountOptions.defaults());
    try {
      assertEquals(dir.toRealPath() + " is already mounted (fuse.daxfs from daxfs): unmount it "
          + "first.", assertThrows(FuseMountException.class,
              () -> FuseMount.check(dir, MountOptions.defaults())).getMessage());
    } finally {
      first.unmount();
      FuseMountTest.forceUnmount(dir);
    }
  }

  @Test
  void aLiveMountAndAPlainDirectoryAreNotDisconnected() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    assertFalse(FuseMount.isDisconnected(dir.toRealPath()));
    assertEquals(-1, FuseMount.mountedBy(dir.toRealPath(), "daxfs"));
    FuseMount m = FuseMount.mount(dir, new MemoryFilesystem(),
        MountOptions.defaults().withSubtype("memfs"));
    try {
      assertFalse(FuseMount.isDisconnected(dir.toRealPath()));
      assertEquals(Libc.geteuid(), FuseMount.mountedBy(dir.toRealPath(), "memfs"));
      assertEquals(-1, FuseMount.mountedBy(dir.toRealPath(), "daxfs"), "another subtype");
    } finally {
      m.unmount();
      FuseMountTest.forceUnmount(dir);
    }
  }

  @Test
  void filesystemThatFailsToStartIsUnmounted() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    FuseFilesystem broken = new FuseFilesystem() {
      @Override
      public void init(FuseConnection connection) {
        throw new IllegalStateException("region is not a daxfs image");
      }

      @Override
      public FuseEntry lookup(FuseContext ctx, long parent, byte[] name) throws FuseException {
        throw new FuseException(Errno.ENOENT);
      }

      @Override
      public FuseAttr getattr(FuseContext ctx, long ino) {
        return new FuseAttr(ino, LinuxFlags.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 4096, 0, 0, 0);
      }
    };
    try {
      FuseMountException e = assertThrows(FuseMountException.class,
          () -> FuseMount.mount(dir, broken, MountOptions.defaults()));
      assertEquals("the filesystem failed to start on " + dir.toRealPath() + ": "
          + "region is not a daxfs image.", e.getMessage());
      assertFalse(MountInfo.isMountpoint(dir.toRealPath()));
    } finally {
      FuseMountTest.forceUnmount(dir);
    }
  }

  @Test
  void unmountFromOutsideEndsTheSession() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    MemoryFilesystem fs = new MemoryFilesystem();
    FuseMount mount = FuseMount.mount(dir, fs, MountOptions.defaults());
    try {
      Files.writeString(dir.resolve("f"), "x");
      assertEquals(0, NativeTools.run(List.of("fusermount3", "-u", dir.toString()), 10).exit());
      assertTrue(mount.awaitUnmounted(20, TimeUnit.SECONDS), "session ended");
      assertTrue(fs.destroyed);
      assertFalse(MountInfo.isMountpoint(dir.toRealPath()));
      FuseException e = assertThrows(FuseException.class, () -> mount.notifyInvalInode(1, 0, 0));
      assertEquals(Errno.ENOTCONN, e.errno());
      mount.unmount();
    } finally {
      FuseMountTest.forceUnmount(dir);
    }
  }

  @Test
  void unmountWhileAFileIsOpenAbortsTheConnection() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    MemoryFilesystem fs = new MemoryFilesystem();
    FuseMount mount = FuseMount.mount(dir, fs, MountOptions.defaults());
    FileChannel ch = FileChannel.open(dir.resolve("held"), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      Thread other = new Thread(mount::unmount);
      other.start();
      other.join(TimeUnit.SECONDS.toMillis(30));
      assertFalse(other.isAlive(), "unmount returned");
      assertFalse(mount.isMounted());
      assertTrue(fs.destroyed);
      assertFalse(MountInfo.isMountpoint(dir.toRealPath()));
      assertThrows(java.io.IOException.class, () -> ch.read(ByteBuffer.allocate(3), 0),
          "the aborted connection fails later calls instead of hanging");
    } finally {
      try {
        ch.close();
      } catch (java.io.IOException expected) {
        // close reports the aborted connection (ENOTCONN).
      }
      FuseMountTest.forceUnmount(dir);
    }
  }
}
