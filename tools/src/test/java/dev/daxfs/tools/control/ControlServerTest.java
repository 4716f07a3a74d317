package dev.daxfs.tools.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
  @TempDir Path tmp;

  private ControlServer server;
  private Path socket;

  /** Released when the session that took a "lease" ends. */
  private final CountDownLatch leaseReleased = new CountDownLatch(1);

  @BeforeEach
  void start() throws IOException {
    socket = tmp.resolve("c.sock");
    server = ControlServer.start(socket, Map.of(
        "echo", (s, r) -> Map.of("said", r.path("text").asText()),
        "fail", (s, r) -> {
          throw new ControlException("ETXTBSY", "range is leased");
        },
        "lease", (s, r) -> {
          s.own(leaseReleased::countDown);
          return Map.of("held", true);
        }), Map.of("pid", 42));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void greetsAnswersInOrderAndReportsFailures() throws Exception {
    try (ControlClient c = ControlClient.connect(socket)) {
      assertEquals(42, c.greeting().path("pid").asInt());
      assertEquals("hi", c.request("echo", Map.of("text", "hi")).path("said").asText());
      ControlException e = assertThrows(ControlException.class, () -> c.request("fail"));
      assertEquals("ETXTBSY", e.errno());
      assertEquals("range is leased", e.getMessage());
      ControlException unknown = assertThrows(ControlException.class, () -> c.request("nope"));
      assertEquals("EOPNOTSUPP", unknown.errno());
      assertTrue(unknown.getMessage().contains("echo, fail, lease"), unknown.getMessage());
      assertEquals("again", c.request("echo", Map.of("text", "again")).path("said").asText());
    }
  }

  @Test
  void theSocketIsOwnerOnly() throws Exception {
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
  }

  @Test
  void whatASessionOwnsIsReleasedWhenItsConnectionCloses() throws Exception {
    ControlClient c = ControlClient.connect(socket);
    assertTrue(c.request("lease").path("held").asBoolean());
    assertEquals(1, leaseReleased.getCount(), "held while the session lives");
    c.close();
    assertTrue(leaseReleased.await(10, TimeUnit.SECONDS), "released when the client goes");
  }

  @Test
  void garbageGetsAnErrorLineNotADisconnect() throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(ByteBuffer.wrap("not json\n{\"id\":7,\"op\":\"echo\",\"text\":\"x\"}\n"
          .getBytes(StandardCharsets.UTF_8)));
      var in = java.nio.channels.Channels.newInputStream(ch);
      ControlServer.readLine(in);
      String bad = new String(ControlServer.readLine(in), StandardCharsets.UTF_8);
      assertTrue(bad.contains("\"errno\":\"EPROTO\""), bad);
      String good = new String(ControlServer.readLine(in), StandardCharsets.UTF_8);
      assertTrue(good.contains("\"id\":7") && good.contains("\"said\":\"x\""), good);
    }
  }

  @Test
  void closingEndsSessionsAndRemovesTheSocket() throws Exception {
    ControlClient c = ControlClient.connect(socket);
    c.request("lease");
    server.close();
    assertTrue(leaseReleased.await(10, TimeUnit.SECONDS));
    assertTrue(!Files.exists(socket));
    c.close();
  }
}
