package dev.daxfs.tools.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serves the control protocol (see the package overview) on a Unix-domain socket, one thread per
 * connection. The socket file is made owner-only (0600) right after it is bound; it lives in a
 * directory only the owner can enter, so nobody else can reach it in between.
 */
public final class ControlServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.control");

  /** The protocol version in the greeting. */
  public static final int PROTOCOL = 1;

  /** Longest request line accepted, in bytes. */
  static final int MAX_LINE = 1 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The socket file. */
  private final Path socket;

  /** The listening channel; closed by {@link #close}. */
  private final ServerSocketChannel server;

  /** Request handlers by op name; fixed at start. */
  private final Map<String, ControlHandler> handlers;

  /** The greeting line sent to every new connection. */
  private final byte[] greeting;

  /** Open connections, closed by {@link #close}. */
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();

  /** Numbers sessions for logs. */
  private final AtomicLong sessions = new AtomicLong();

  /** Guards {@link #busy}; {@link #idle} is signalled when it drops to zero. */
  private final ReentrantLock lock = new ReentrantLock();

  private final Condition idle = lock.newCondition();

  /** Requests being served. Guarded by lock. */
  private int busy;

  /** Set by close; guarded by lock. */
  private boolean closing;

  private ControlServer(Path socket, ServerSocketChannel server,
      Map<String, ControlHandler> handlers, byte[] greeting) {
    this.socket = socket;
    this.server = server;
    this.handlers = Map.copyOf(handlers);
    this.greeting = greeting;
  }

  /**
   * Binds {@code socket} (replacing a file left there by a process that died) and starts serving.
   *
   * @param greeting members of the greeting besides "daxfs" and "protocol"
   */
  public static ControlServer start(Path socket, Map<String, ControlHandler> handlers,
      Map<String, Object> greeting) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw new IOException("cannot create the control socket " + socket + ": "
          + e.getMessage(), e);
    }
    ObjectNode hello = JSON.createObjectNode();
    hello.put("daxfs", "control");
    hello.put("protocol", PROTOCOL);
    hello.setAll(JSON.<ObjectNode>valueToTree(greeting));
    ControlServer s = new ControlServer(socket, ch, handlers, line(hello));
    Thread t = new Thread(s::acceptLoop, "daxfs-control-accept");
    t.setDaemon(true);
    t.start();
    return s;
  }

  public Path socket() {
    return socket;
  }

  private void acceptLoop() {
    while (true) {
      SocketChannel c;
      try {
        c = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!server.isOpen()) {
          return;
        }
        LOG.log(Level.WARNING, "control socket accept failed", e);
        continue;
      }
      connections.add(c);
      long id = sessions.incrementAndGet();
      Thread t = new Thread(() -> serve(c, new ControlSession(id)), "daxfs-control-" + id);
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(SocketChannel c, ControlSession session) {
    try (InputStream in = Channels.newInputStream(c);
        OutputStream out = Channels.newOutputStream(c)) {
      out.write(greeting);
      out.flush();
      while (true) {
        byte[] line = readLine(in);
        if (line == null) {
          return;
        }
        if (!begin()) {
          return;
        }
        try {
          out.write(answer(session, line));
          out.flush();
        } finally {
          end();
        }
      }
    } catch (IOException e) {
      // The client went away (or the server is closing): the session ends either way.
    } finally {
      connections.remove(c);
      session.close();
      try {
        c.close();
      } catch (IOException e) {
        // Already closed.
      }
    }
  }

  /** One request line in, one response line out. */
  private byte[] answer(ControlSession session, byte[] line) {
    ObjectNode response = JSON.createObjectNode();
    JsonNode request;
    try {
      request = JSON.readTree(line);
    } catch (IOException e) {
      return failure(response, "EPROTO", "the request is not a JSON object");
    }
    if (request == null || !request.isObject()) {
      return failure(response, "EPROTO", "the request is not a JSON object");
    }
    if (request.has("id")) {
      response.set("id", request.get("id"));
    }
    String op = request.path("op").asText("");
    ControlHandler h = handlers.get(op);
    if (h == null) {
      return failure(response, "EOPNOTSUPP", op.isEmpty()
          ? "the request names no \"op\""
          : "unknown control request \"" + op + "\" (this daxfs serves " 
              + String.join(", ", new java.util.TreeSet<>(handlers.keySet())) + ")");
    }
    try {
      Object result = h.handle(session, request);
      response.put("ok", true);
      response.set("result", JSON.valueToTree(result));
      return line(response);
    } catch (ControlException e) {
      return failure(response, e.errno(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "control request " + op + " failed", e);
      return failure(response, "EIO", "the request failed: " + e);
    }
  }

  private static byte[] failure(ObjectNode response, String errno, String message) {
    response.put("ok", false);
    response.put("errno", errno);
    response.put("error", message);
    return line(response);
  }

  private static byte[] line(JsonNode node) {
    try {
      return (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a control response", e);
    }
  }

  /** The next line without its newline, or null at end of stream. */
  static byte[] readLine(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return buf.size() == 0 ? null : buf.toByteArray();
      }
      if (b == '\n') {
        return buf.toByteArray();
      }
      if (buf.size() >= MAX_LINE) {
        throw new IOException("control line longer than " + MAX_LINE + " bytes");
      }
      buf.write(b);
    }
  }

  private boolean begin() {
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      busy++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void end() {
    lock.lock();
    try {
      if (--busy == 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops accepting, lets requests being served finish (up to {@code graceMillis}), then closes
   * every connection, which ends their sessions and releases what they own.
   */
  public void close(long graceMillis) {
    try {
      server.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "closing the control socket failed", e);
    }
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot remove the control socket " + socket, e);
    }
    lock.lock();
    try {
      closing = true;
      long left = TimeUnit.MILLISECONDS.toNanos(graceMillis);
      while (busy > 0 && left > 0) {
        left = idle.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    for (SocketChannel c : connections) {
      try {
        c.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
  }

  @Override
  public void close() {
    close(2000);
  }
}
