package dev.daxfs.tools.control;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One client connection. Resources a request ties to its client are registered here and closed,
 * newest first, when the connection ends.
 */
public final class ControlSession {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.control");

  /** The session's number within the server, for logs. */
  private final long id;

  /** What to release when the connection ends. Guarded by this. */
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();

  /** Set once the session ended; later registrations are released at once. Guarded by this. */
  private boolean closed;

  ControlSession(long id) {
    this.id = id;
  }

  public long id() {
    return id;
  }

  /**
   * Ties {@code resource} to this session: it is closed when the client's connection ends (at
   * once if it already has).
   */
  public void own(AutoCloseable resource) {
    synchronized (this) {
      if (!closed) {
        owned.push(resource);
        return;
      }
    }
    release(resource);
  }

  /** Unties {@code resource} (the client released it itself); returns whether it was owned. */
  public synchronized boolean disown(AutoCloseable resource) {
    return owned.remove(resource);
  }

  /** Releases everything the session owns; called once when the connection ends. */
  void close() {
    Deque<AutoCloseable> toRelease;
    synchronized (this) {
      closed = true;
      toRelease = new ArrayDeque<>(owned);
      owned.clear();
    }
    toRelease.forEach(this::release);
  }

  private void release(AutoCloseable r) {
    try {
      r.close();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "control session " + id + ": releasing " + r + " failed", e);
    }
  }
}
