package dev.daxfs.tools.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * One session with a mount's control server: the greeting, then requests answered in order.
 * Closing the client ends the session, and with it whatever the session holds.
 */
public final class ControlClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final InputStream in;
  private final OutputStream out;

  /** The server's greeting. */
  private final JsonNode greeting;

  /** The id of the next request. */
  private long nextId = 1;

  private ControlClient(SocketChannel channel) throws IOException, ControlException {
    this.channel = channel;
    this.in = Channels.newInputStream(channel);
    this.out = Channels.newOutputStream(channel);
    byte[] hello = ControlServer.readLine(in);
    if (hello == null) {
      throw new ControlException("EPROTO", "the control socket closed before greeting");
    }
    JsonNode g = JSON.readTree(hello);
    if (g == null || !"control".equals(g.path("daxfs").asText())) {
      throw new ControlException("EPROTO", "the control socket did not greet as daxfs");
    }
    if (g.path("protocol").asInt() != ControlServer.PROTOCOL) {
      throw new ControlException("EPROTO", "the mount speaks control protocol "
          + g.path("protocol").asInt() + ", this daxfs speaks " + ControlServer.PROTOCOL
          + ": use the daxfs that mounted it");
    }
    this.greeting = g;
  }

  /**
   * Connects to the control socket at {@code socket}.
   *
   * @throws IOException when nothing listens there (the mount is gone)
   * @throws ControlException when what answers does not speak this protocol
   */
  public static ControlClient connect(Path socket) throws IOException, ControlException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      return new ControlClient(ch);
    } catch (IOException | ControlException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** The greeting: "pid", "mountpoint" and the protocol version. */
  public JsonNode greeting() {
    return greeting;
  }

  /**
   * Sends request {@code op} with {@code args} and returns its result.
   *
   * @throws ControlException with the server's sentence when the request failed
   * @throws IOException when the connection broke
   */
  public JsonNode request(String op, Map<String, ?> args) throws IOException, ControlException {
    ObjectNode req = JSON.createObjectNode();
    long id = nextId++;
    req.put("id", id);
    req.put("op", op);
    req.setAll(JSON.<ObjectNode>valueToTree(args));
    out.write((JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    byte[] line = ControlServer.readLine(in);
    if (line == null) {
      throw new IOException("the mount closed its control connection before answering " + op);
    }
    JsonNode resp = JSON.readTree(line);
    if (resp.path("id").asLong() != id) {
      throw new ControlException("EPROTO", "the control server answered request "
          + resp.path("id").asLong() + " instead of " + id);
    }
    if (!resp.path("ok").asBoolean()) {
      throw new ControlException(resp.path("errno").asText("EIO"),
          resp.path("error").asText("the request failed"));
    }
    return resp.path("result");
  }

  public JsonNode request(String op) throws IOException, ControlException {
    return request(op, Map.of());
  }

  /** Blocks until the server closes the connection (the mount ended). */
  public void awaitClose() throws IOException {
    while (ControlServer.readLine(in) != null) {
      // Nothing else is sent unasked; skip anything that is.
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
