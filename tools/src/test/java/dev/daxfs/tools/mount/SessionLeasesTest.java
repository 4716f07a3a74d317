package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.control.ControlServer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases held through a real control socket: they live exactly as long as their session. */
class SessionLeasesTest {
  private static final Cred ROOT = Cred.root();
  private static final int PAGE = 4096;

  @TempDir Path tmp;

  private DaxFs fs;
  private SessionLeases leases;
  private ControlServer server;
  private long ino;

  @BeforeEach
  void start() throws Exception {
    HeapRegion region = new HeapRegion(32L << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    fs = DaxFs.mount(region, MountOptions.defaults());
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[8 * PAGE]));
    ino = h.ino();
    fs.release(h);
    leases = new SessionLeases(fs, ROOT);
    server = ControlServer.start(tmp.resolve("c.sock"), Map.of("lease_hold", leases::hold),
        Map.of());
  }

  @AfterEach
  void stop() {
    server.close();
    leases.close();
    fs.unmount();
  }

  private Errno truncate(long size) {
    try {
      fs.setattr(ROOT, ino, SetAttr.create().size(size));
      return null;
    } catch (ErrnoException e) {
      return e.errno();
    }
  }

  private static void awaitZero(SessionLeases l) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (l.size() != 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the lease outlived its session");
      }
      Thread.sleep(10);
    }
  }

  private JsonNode hold(ControlClient c, long offset, long length) throws Exception {
    return c.request("lease_hold", Map.of("path", "/f", "ino", ino, "offset", offset,
        "length", length, "pid", 4242));
  }

  @Test
  void aLeaseRefusesTruncateOverItsRangeUntilItsSessionEnds() throws Exception {
    ControlClient c = ControlClient.connect(server.socket());
    JsonNode r = hold(c, PAGE + 100, 10);
    assertEquals(PAGE, r.path("offset").asLong(), "rounded out to whole pages");
    assertEquals(PAGE, r.path("length").asLong());
    assertTrue(r.path("holder").asText().contains("pid 4242"), r.toString());
    assertEquals(1, leases.size());
    assertEquals(Errno.ETXTBSY, truncate(PAGE + 1));
    assertEquals(null, truncate(6 * PAGE), "beyond the leased range");
    c.close();
    awaitZero(leases);
    assertEquals(null, truncate(0));
  }

  @Test
  void refusalsSayWhatWasWrongAndHoldNothing() throws Exception {
    try (ControlClient c = ControlClient.connect(server.socket())) {
      ControlException missing = assertThrows(ControlException.class, () -> c.request(
          "lease_hold", Map.of("path", "/nope", "offset", 0, "length", 1)));
      assertEquals("ENOENT", missing.errno());
      assertTrue(missing.getMessage().startsWith("cannot open /nope: "), missing.getMessage());
      ControlException range = assertThrows(ControlException.class, () -> hold(c, 0, 0));
      assertEquals("EINVAL", range.errno());
      ControlException relative = assertThrows(ControlException.class, () -> c.request(
          "lease_hold", Map.of("path", "f", "offset", 0, "length", 1)));
      assertEquals("EINVAL", relative.errno());
      assertEquals(0, leases.size());
    }
  }

  @Test
  void closingReleasesEveryLease() throws Exception {
    try (ControlClient c = ControlClient.connect(server.socket())) {
      hold(c, 0, PAGE);
      hold(c, 2 * PAGE, PAGE);
      assertEquals(2, leases.size());
      leases.close();
      assertEquals(0, leases.size());
      assertEquals(null, truncate(0));
      ControlException e = assertThrows(ControlException.class, () -> hold(c, 0, PAGE));
      assertEquals("ENXIO", e.errno());
    }
  }
}
