package dev.daxfs.tools.mount;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.LayoutLease;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.control.ControlSession;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Layout leases held by control sessions ({@code daxfs lease hold}): each belongs to the session
 * that asked for it and ends with it, however the client goes (exit, Ctrl-C, kill -9: the kernel
 * closes its socket). While one is held, truncate and punch over its range fail with ETXTBSY.
 */
final class SessionLeases implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.mount");

  /** The filesystem the leased files live in. */
  private final DaxFs fs;

  /** Who the mount process acts as when it opens a leased file: the mount's owner. */
  private final Cred cred;

  /** Leases held now. */
  private final Set<Held> held = ConcurrentHashMap.newKeySet();

  /** Set by {@link #close}: no lease is granted afterwards. */
  private volatile boolean closed;

  SessionLeases(DaxFs fs, Cred cred) {
    this.fs = fs;
    this.cred = cred;
  }

  /**
   * Who holds a session's lease, as the filesystem names it in its refusals.
   *
   * @param session the control session's number
   * @param pid the client's process id, as it said; 0 if it did not
   */
  record Holder(long session, long pid) {
    @Override
    public String toString() {
      return "daxfs lease hold" + (pid > 0 ? " (pid " + pid + ")" : "") + " on control session "
          + session;
    }
  }

  /** One lease with the file it keeps open; closing it releases both, once. */
  private final class Held implements AutoCloseable {
    final DaemonFile file;
    final LayoutLease lease;

    Held(DaemonFile file, LayoutLease lease) {
      this.file = file;
      this.lease = lease;
    }

    @Override
    public void close() {
      if (held.remove(this)) {
        try {
          lease.close();
        } finally {
          file.close();
        }
      }
    }

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", file.path());
      m.put("ino", file.ino());
      m.put("offset", lease.offset());
      m.put("length", lease.length());
      m.put("holder", lease.holder().toString());
      return m;
    }

    @Override
    public String toString() {
      return lease.toString();
    }
  }

  /**
   * {@code lease_hold}: takes a layout lease on {@code path} ({@code offset}, {@code length}),
   * owned by {@code session}, and answers the leased range (whole pages).
   */
  Map<String, Object> hold(ControlSession session, JsonNode r) throws ControlException {
    if (closed) {
      throw new ControlException("ENXIO", "the mount is ending: no lease is granted now");
    }
    String path = r.path("path").asText(null);
    long ino = r.path("ino").asLong(0);
    long offset = r.path("offset").asLong(-1);
    long length = r.path("length").asLong(-1);
    if (!r.path("offset").isIntegralNumber() || !r.path("length").isIntegralNumber()
        || offset < 0 || length <= 0) {
      throw new ControlException("EINVAL", "a lease needs an offset of 0 or more and a length "
          + "of 1 or more bytes");
    }
    DaemonFile file = DaemonFile.open(fs, cred, path, ino, false);
    LayoutLease lease;
    try {
      lease = fs.acquireLease(cred, file.handle(), offset, length,
          new Holder(session.id(), r.path("pid").asLong(0)));
    } catch (ErrnoException e) {
      file.close();
      throw DaemonFile.failure("cannot lease " + path, e);
    }
    Held h = new Held(file, lease);
    held.add(h);
    session.own(h);
    if (closed) {
      // The mount began ending meanwhile; close() may have missed this one.
      h.close();
      throw new ControlException("ENXIO", "the mount is ending: no lease is granted now");
    }
    return h.describe();
  }

  /** Leases held now. */
  int size() {
    return held.size();
  }

  /** The leases held now, as {@code stat} lists them. */
  List<Map<String, Object>> describe() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Held h : held) {
      out.add(h.describe());
    }
    return out;
  }

  /** Releases every lease (the mount is ending); their sessions find them released. */
  @Override
  public void close() {
    closed = true;
    for (Held h : List.copyOf(held)) {
      try {
        h.close();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "releasing " + h + " failed", e);
      }
    }
  }
}
