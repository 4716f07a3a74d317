package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void mkfsMountWriteRemount() {
    HeapRegion r = new HeapRegion(32 << 20);
    DaxFs.mkfs(r, MkfsOptions.defaults());
    Cred c = Cred.root();
    DaxFs fs = DaxFs.mount(r, MountOptions.defaults());
    fs.mkdir(c, "/a", 0755);
    FileHandle h = fs.open(c, "/a/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(c, h, 0, ByteBuffer.wrap("hello world".getBytes(StandardCharsets.UTF_8)));
    fs.write(c, h, 8192, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)));
    ByteBuffer dst = ByteBuffer.allocate(100);
    int n = fs.read(h, 0, dst);
    assertEquals(8193, fs.getattr(h.ino()).size());
    assertEquals(100, n);
    fs.release(h);
    fs.unmount();
    DaxFs fs2 = DaxFs.mount(r, MountOptions.defaults());
    assertTrue(fs2.mountReport().clean(), fs2.mountReport().reason());
    Attr a = fs2.resolve(c, "/a/f", true);
    assertEquals(8193, a.size());
    FileHandle h2 = fs2.open(c, a.ino(), FileHandle.O_RDONLY);
    ByteBuffer d2 = ByteBuffer.allocate(11);
    fs2.read(h2, 0, d2);
    assertEquals("hello world", new String(d2.array(), StandardCharsets.UTF_8));
    // crash: mount again without unmount
    DaxFs fs3 = DaxFs.mount(r, MountOptions.defaults());
    assertFalse(fs3.mountReport().clean());
    assertEquals(8193, fs3.resolve(c, "/a/f", true).size());
    fs3.rename(c, "/a/f", "/g", 0);
    fs3.unlink(c, "/g");
    fs3.rmdir(c, "/a");
    assertEquals(2, fs3.readdir(c, fs3.rootIno(), 0, 100).size());
    fs3.unmount();
  }
}
