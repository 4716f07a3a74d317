package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code daxfs scrub MOUNTPOINT}: the mount process verifies its live filesystem's data
 * checksums; a block corrupted on the media under the running mount is named, and the command
 * exits 4; an unmounted region is scrubbed directly with the same report.
 */
class MountScrubTest {
  @TempDir Path tmp;

  private static final int P = 4096;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void scrubThroughTheMountNamesACorruptedBlock() throws Exception {
    Path runtime = Files.createDirectory(tmp.resolve("run"));
    try (DaxfsMount mount = DaxfsMount.at(tmp.resolve("mnt"), DaxfsMount.freshRegion("scrub"),
        runtime)) {
      mount.mount("--data-checksums");
      byte[] page = marker("scrub-target-page");
      Path f = mount.mountpoint.resolve("f");
      Files.write(f, concat(new byte[P], page, new byte[P]));
      Run.Result sync = Run.sh(mount.mountpoint, "sync f", 60);
      assertEquals(0, sync.exit(), sync.all());

      JsonNode clean = scrub(runtime, mount.mountpoint.toString(), 0);
      assertTrue(clean.path("data_checksums").asBoolean(), clean.toString());
      assertTrue(clean.path("blocks_verified").asLong() >= 3, clean.toString());
      assertEquals(0, clean.path("mismatches").asLong(), clean.toString());
      assertEquals(mount.mountpoint.toRealPath().toString(), clean.path("mountpoint").asText());

      long at = find(mount.region, page);
      try (RandomAccessFile raf = new RandomAccessFile(mount.region.toFile(), "rw")) {
        raf.seek(at + 100);
        raf.write(~page[100]);
      }
      JsonNode bad = scrub(runtime, mount.mountpoint.toString(), 4);
      assertEquals(1, bad.path("mismatches").asLong(), bad.toString());
      JsonNode block = bad.path("bad_blocks").get(0);
      assertEquals(1, block.path("page").asLong(), "the second page of f: " + bad);
      assertEquals(at / P, block.path("block").asLong(), bad.toString());
      assertEquals(((Number) Files.getAttribute(f, "unix:ino")).longValue(), block.path("ino").asLong(),
          bad.toString());

      Run.Result text = Run.daxfs(runtime, 60, "scrub", mount.mountpoint.toString());
      assertEquals(4, text.exit(), text.all());
      assertTrue(text.out().contains("bad: inode " + block.path("ino").asLong() + " page 1"),
          text.all());
      assertTrue(text.out().contains("1 mismatches"), text.all());

      Run.Result down = mount.umount();
      assertEquals(0, down.exit(), down.all());
      JsonNode offline = scrub(runtime, mount.region.toString(), 4);
      assertEquals(1, offline.path("mismatches").asLong(), offline.toString());
      assertEquals(block.path("block").asLong(),
          offline.path("bad_blocks").get(0).path("block").asLong(), offline.toString());
    }
  }

  @Test
  void scrubOfADirectoryThatIsNoMountSaysSo() throws Exception {
    Path runtime = Files.createDirectory(tmp.resolve("run"));
    Path dir = Files.createDirectory(tmp.resolve("plain"));
    Run.Result r = Run.daxfs(runtime, 60, "scrub", dir.toString());
    assertTrue(r.exit() != 0 && r.exit() != 4, r.all());
    assertTrue(r.err().contains("no daxfs is mounted on"), r.all());
    assertTrue(!r.err().contains("Exception"), "one sentence, no stack trace: " + r.all());
  }

  private static JsonNode scrub(Path runtime, String target, int expectedExit) throws Exception {
    Run.Result r = Run.daxfs(runtime, 60, "scrub", target, "--json");
    assertEquals(expectedExit, r.exit(), r.all());
    return JSON.readTree(r.out());
  }

  /** A page filled with {@code text} repeated: unique enough to find on the media. */
  private static byte[] marker(String text) {
    byte[] t = (text + "-" + System.nanoTime() + ";").getBytes(StandardCharsets.US_ASCII);
    byte[] page = new byte[P];
    for (int i = 0; i < P; i++) {
      page[i] = t[i % t.length];
    }
    return page;
  }

  private static byte[] concat(byte[]... parts) {
    byte[] out = new byte[Arrays.stream(parts).mapToInt(b -> b.length).sum()];
    int at = 0;
    for (byte[] b : parts) {
      System.arraycopy(b, 0, out, at, b.length);
      at += b.length;
    }
    return out;
  }

  /** The region offset of the only page holding {@code page}. */
  private static long find(Path region, byte[] page) throws Exception {
    long found = -1;
    byte[] buf = new byte[P];
    try (RandomAccessFile raf = new RandomAccessFile(region.toFile(), "r")) {
      for (long off = 0; off + P <= raf.length(); off += P) {
        raf.seek(off);
        raf.readFully(buf);
        if (Arrays.equals(buf, page)) {
          assertEquals(-1, found, "the marker page is on the media once");
          found = off;
        }
      }
    }
    assertTrue(found >= 0, "the marker page is on the media");
    return found;
  }
}
