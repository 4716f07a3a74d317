package dev.daxfs.tools.mount;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.LayoutLease;
import dev.daxfs.gup.DmaCompletion;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaRegistration;
import dev.daxfs.gup.Gup;
import dev.daxfs.gup.PinVector;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.tools.control.ControlException;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One DMA stream of a mount: a device moving data into (or out of) a range of a file, again and
 * again, until it has made its count of transfers or is stopped.
 *
 * <p><b>Short-term</b> streams follow the emulator's latency model for each transfer: pin the
 * pages (FOLL_WRITE for writes), hold them for {@code hold_ms}, move the data at the end of the
 * hold, unpin (dirty for writes); then pause {@code interval_ms} and start over. The hold is the
 * device's gate ({@link DmaDevice#write}), so stopping a stream ends a hold at once instead of
 * waiting it out. An ODP device resolves the pages instead of pinning them.
 *
 * <p><b>Long-term</b> streams register the range once ({@link DmaDevice#register}: a
 * FOLL_LONGTERM pin, which daxfs allows only under the stream's own layout lease, or an ODP
 * registration) and keep it until they are stopped, transferring through it every interval.
 *
 * <p>After every transfer that wrote, the kernel's cached pages of the range are dropped, so a
 * program reading the file through the mount sees what the device wrote; a transfer counts as
 * completed only once that is done.
 *
 * <p>Locking: the stream's monitor guards its state, lease, registration, current hold and next
 * round. A transfer is submitted holding it (so {@link #stop} never misses one in flight); the
 * pin may wait briefly for a layout break's scan, which never waits for this monitor. Counters
 * are atomics, read without it.
 */
final class DmaStream {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.mount");

  private static final int PAGE = PmemRegion.PAGE_SIZE;

  /** How long {@link #stop} waits for the transfer in flight once its hold has ended. */
  private static final long STOP_WAIT_SECONDS = 60;

  /** Where a stream is in its life. */
  enum State {
    /** Transfers are still to come (or, long-term, the registration is being made). */
    RUNNING,
    /** Long-term: every transfer is done; the registration still holds the range. */
    REGISTERED,
    /** Short-term: every transfer is done and every page released. */
    DONE,
    /** A transfer failed; everything was released. */
    FAILED,
    /** Stopped by {@code dma stop} or the end of the mount; everything was released. */
    STOPPED;

    /** Whether the stream still holds its file, mapping, lease or registration. */
    boolean holds() {
      return this == RUNNING || this == REGISTERED;
    }

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The stream's number within its mount. */
  private final long id;

  /** What was asked for. */
  private final StreamSpec spec;

  /** The device moving the data. */
  private final DmaDevice device;

  /** The mount's streams: timers, completions, the kernel cache. */
  private final DmaStreams streams;

  /** The target file, held open until the stream ends. */
  private final DaemonFile file;

  /** The range mapped in the mount process (whole pages), closed when the stream ends. */
  private final CpuMapping mapping;

  /** Byte address in {@link #mapping} of the stream's first byte. */
  private final long addr;

  /** When the stream started. */
  private final Instant started = Instant.now();

  /** Transfers submitted, completed and failed. */
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  /** Bytes moved by completed transfers. */
  private final AtomicLong bytes = new AtomicLong();

  /** Sequence number (tag) of the last completed write; 0 before the first. */
  private final AtomicLong lastSequence = new AtomicLong();

  /** Invalidations the ODP registration saw, kept once it is closed. */
  private final AtomicLong odpInvalidationsClosed = new AtomicLong();

  /** Guarded by this. */
  private State state = State.RUNNING;

  /** The stream's layout lease, or null. Guarded by this. */
  private LayoutLease lease;

  /** The long-term registration, or null. Guarded by this. */
  private DmaRegistration registration;

  /**
   * The hold of the short-term transfer in flight (completing it ends the hold), or null.
   * Guarded by this.
   */
  private CompletableFuture<Void> hold;

  /**
   * Completes once the latest transfer has ended and been counted; null before the first.
   * Guarded by this.
   */
  private CompletableFuture<Void> inFlight;

  /** The next round, scheduled after the interval, or null. Guarded by this. */
  private ScheduledFuture<?> next;

  /** Why the stream failed, or null. Guarded by this. */
  private String error;

  /** Set once the file, mapping, lease and registration were released. Guarded by this. */
  private boolean released;

  private DmaStream(long id, StreamSpec spec, DmaDevice device, DmaStreams streams,
      DaemonFile file, CpuMapping mapping, long addr) {
    this.id = id;
    this.spec = spec;
    this.device = device;
    this.streams = streams;
    this.file = file;
    this.mapping = mapping;
    this.addr = addr;
  }

  /**
   * Opens the file, maps the range, takes the lease and the registration the spec asks for and
   * submits the first transfer; returns once its pages are pinned (or resolved). On failure
   * nothing is left held.
   *
   * @throws ControlException with the errno and a sentence: the file cannot be opened, the range
   *     lies beyond its end, a long-term pin is refused (EOPNOTSUPP), the first pin fails
   */
  static DmaStream start(long id, StreamSpec spec, DmaDevice device, DmaStreams streams,
      DaxFs fs, Cred cred) throws ControlException {
    DaemonFile file = DaemonFile.open(fs, cred, spec.path(), spec.ino(), spec.write());
    CpuMapping mapping = null;
    DmaStream s = null;
    try {
      long size = file.size();
      if (spec.offset() + spec.length() > size) {
        throw new ControlException("EINVAL", spec.range() + " ends beyond the end of the file ("
            + size + " bytes): a device reaches only bytes the file has");
      }
      long first = spec.offset() / PAGE * PAGE;
      long end = (spec.offset() + spec.length() + PAGE - 1) / PAGE * PAGE;
      int prot = CpuMapping.PROT_READ | (spec.write() ? CpuMapping.PROT_WRITE : 0);
      mapping = fs.mmap(cred, file.handle(), first, end - first, prot, 0);
      s = new DmaStream(id, spec, device, streams, file, mapping, spec.offset() - first);
      s.begin(fs, cred);
      return s;
    } catch (ErrnoException e) {
      release(s, mapping, file);
      throw DaemonFile.failure("cannot start DMA on " + spec.range(), e);
    } catch (ControlException | RuntimeException e) {
      release(s, mapping, file);
      throw e;
    }
  }

  private static void release(DmaStream s, CpuMapping mapping, DaemonFile file) {
    if (s != null) {
      s.release();
      return;
    }
    if (mapping != null) {
      mapping.close();
    }
    file.close();
  }

  private synchronized void begin(DaxFs fs, Cred cred) throws ControlException {
    if (spec.lease()) {
      // The stream itself holds the lease, and names itself as the holder of its long-term pin.
      lease = fs.acquireLease(cred, file.handle(), spec.offset(), spec.length(), this);
    }
    if (spec.longTerm()) {
      try {
        registration = device.register(mapping, 0, mapping.length(), spec.write(), this);
      } catch (ErrnoException e) {
        if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOTSUP) {
          throw new ControlException("EOPNOTSUPP", "a long-term pin of " + spec.range()
              + " by device " + device.name() + " is refused (EOPNOTSUPP, Operation not "
              + "supported): daxfs lets devices pin file pages long-term only when the device "
              + "does ODP (--odp) or the stream holds a layout lease on the range (--lease)");
        }
        throw e;
      }
    }
    round(true);
  }

  /** Submits one transfer. The caller holds the monitor. */
  private void round(boolean first) throws ControlException {
    CompletableFuture<Long> transfer;
    try {
      transfer = registration != null ? registered() : shortTerm();
    } catch (ErrnoException e) {
      if (first) {
        throw DaemonFile.failure("cannot start DMA on " + spec.range(), e);
      }
      failed.incrementAndGet();
      fail(e);
      return;
    }
    submitted.incrementAndGet();
    CompletableFuture<Void> settled = new CompletableFuture<>();
    inFlight = settled;
    transfer.whenComplete((seq, err) -> streams.complete(() -> {
      try {
        ended(seq, err);
      } finally {
        settled.complete(null);
      }
    }));
  }

  /** A short-term transfer: pinned (or resolved) now, data moved when its hold ends. */
  private CompletableFuture<Long> shortTerm() {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    int length = (int) spec.length();
    CompletableFuture<Long> t;
    if (spec.write()) {
      t = device.writeTagged(mapping, addr, length, gate).thenApply(DmaCompletion::sequence);
    } else if (device.odp()) {
      t = gate.thenCompose(v -> readNow());
    } else {
      // The device reads at the end of its hold; the hold keeps the pages pinned, under the
      // device's own pin owner, so the layout break waits for it as it does for a write.
      Gup gup = streams.gup();
      PinVector held = gup.owner(device.name()).newPinVector();
      gup.pinUserPages(held, mapping, 0, (int) mapping.pageCount(), 0);
      t = gate.thenCompose(v -> readNow())
          .whenComplete((v, e) -> gup.unpinUserPages(held, false));
    }
    hold = gate;
    if (spec.holdMs() == 0) {
      gate.complete(null);
    } else {
      streams.schedule(() -> gate.complete(null), spec.holdMs());
    }
    return t;
  }

  private CompletableFuture<Long> readNow() {
    try {
      return device.read(mapping, addr, (int) spec.length()).thenApply(data -> 0L);
    } catch (ErrnoException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A transfer through the long-term registration. */
  private CompletableFuture<Long> registered() {
    int length = (int) spec.length();
    return spec.write()
        ? registration.writeTagged(addr, length).thenApply(DmaCompletion::sequence)
        : registration.read(addr, length).thenApply(data -> 0L);
  }

  /** A transfer ended (on the mount's completion thread): publish it, count it, go on. */
  private void ended(Long sequence, Throwable failure) {
    if (spec.write()) {
      // Even a failed write may have landed in part.
      streams.invalidate(file.ino(), spec.offset(), spec.length());
    }
    boolean release = false;
    synchronized (this) {
      hold = null;
      if (failure != null) {
        failed.incrementAndGet();
        if (state.holds()) {
          fail(failure);
        }
        return;
      }
      completed.incrementAndGet();
      bytes.addAndGet(spec.length());
      if (sequence != null && sequence > 0) {
        lastSequence.set(sequence);
      }
      if (state != State.RUNNING) {
        return;
      }
      if (spec.count() > 0 && submitted.get() >= spec.count()) {
        if (registration != null) {
          state = State.REGISTERED;
        } else {
          state = State.DONE;
          release = true;
        }
      } else {
        next = streams.schedule(this::nextRound, spec.intervalMs());
      }
    }
    if (release) {
      release();
    }
  }

  private void nextRound() {
    synchronized (this) {
      next = null;
      if (state != State.RUNNING) {
        return;
      }
      try {
        round(false);
      } catch (ControlException e) {
        // Only the first round throws.
        throw new IllegalStateException(e);
      }
    }
  }

  /** Marks the stream failed and releases what it holds, off the caller's thread. */
  private void fail(Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    error = cause instanceof ErrnoException e
        ? e.getMessage() + " (" + e.errno().name() + ")"
        : String.valueOf(cause);
    state = State.FAILED;
    LOG.log(Level.WARNING, "DMA stream " + id + " on " + spec.range() + " failed: " + error);
    streams.complete(this::release);
  }

  /**
   * Stops the stream: no further transfer starts, the hold in flight ends now (its data moves
   * and its pages are unpinned), the registration and lease are released, the file closed.
   * Returns the stream as it ended.
   */
  Map<String, Object> stop() {
    CompletableFuture<Void> wait;
    synchronized (this) {
      if (state.holds()) {
        state = State.STOPPED;
      }
      if (next != null) {
        next.cancel(false);
        next = null;
      }
      if (hold != null) {
        hold.complete(null);
      }
      wait = inFlight;
    }
    if (wait != null) {
      try {
        wait.get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(Level.WARNING, "DMA stream " + id + ": the transfer in flight did not end within "
            + STOP_WAIT_SECONDS + " s of its stop");
      }
    }
    release();
    return describe();
  }

  /** Releases the registration, the lease, the mapping and the file; once. */
  private void release() {
    DmaRegistration reg;
    LayoutLease l;
    synchronized (this) {
      if (released) {
        return;
      }
      released = true;
      reg = registration;
      l = lease;
    }
    try {
      if (reg != null) {
        if (reg.notifier() != null) {
          odpInvalidationsClosed.set(reg.notifier().sequence());
        }
        reg.close();
      }
    } finally {
      try {
        if (l != null) {
          l.close();
        }
        mapping.close();
      } finally {
        file.close();
      }
    }
  }

  long id() {
    return id;
  }

  /** Whether the stream still holds its range (running, or registered). */
  synchronized boolean active() {
    return state.holds();
  }

  /** Whether the stream holds a layout lease now. */
  synchronized boolean holdsLease() {
    return lease != null && !released;
  }

  /** Invalidations its ODP registration has seen (0 without one). */
  long odpInvalidations() {
    DmaRegistration reg;
    synchronized (this) {
      reg = released ? null : registration;
    }
    return reg != null && reg.notifier() != null
        ? reg.notifier().sequence()
        : odpInvalidationsClosed.get();
  }

  /** The stream as {@code dma list} shows it. */
  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("device", device.name());
    m.put("device_id", device.id());
    m.put("odp", device.odp());
    m.put("path", spec.path());
    m.put("ino", file.ino());
    m.put("offset", spec.offset());
    m.put("length", spec.length());
    m.put("direction", spec.write() ? "write" : "read");
    m.put("kind", spec.longTerm() ? "long-term" : "short-term");
    m.put("lease", spec.lease());
    m.put("hold_ms", spec.holdMs());
    m.put("interval_ms", spec.intervalMs());
    m.put("count", spec.count());
    synchronized (this) {
      m.put("state", state.label());
      m.put("in_flight", hold != null || (inFlight != null && !inFlight.isDone()));
      if (error != null) {
        m.put("error", error);
      }
    }
    m.put("transfers_submitted", submitted.get());
    m.put("transfers_completed", completed.get());
    m.put("transfers_failed", failed.get());
    m.put("bytes", bytes.get());
    m.put("last_sequence", lastSequence.get());
    m.put("odp_invalidations", odpInvalidations());
    m.put("started_at", started.toString());
    return m;
  }

  @Override
  public String toString() {
    return "DMA stream " + id + " of device " + device.name();
  }
}
