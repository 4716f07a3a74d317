package dev.daxfs.tools.mount;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DeviceStats;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.Gup;
import dev.daxfs.gup.GupStats;
import dev.daxfs.gup.PinOwner;
import dev.daxfs.tools.control.ControlException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The DMA streams of a mount ({@code daxfs dma}): devices of the mount's DMA emulator moving data
 * into and out of its files from inside the mount process. Streams belong to the mount, not to
 * the control session that started them: they run until they are stopped, finish, fail, or the
 * mount ends ({@link #close}, which the unmount calls before the filesystem frees anything).
 *
 * <p>Control requests ({@code dma_start}, {@code dma_list}, {@code dma_stop}) and the pin
 * figures of {@code daxfs stat} are served here.
 *
 * <p>Threads: a small timer ends holds and starts rounds after their interval; one completion
 * thread ends transfers (drops the kernel's cached pages, counts), so an invalidation that waits
 * for the kernel never delays a hold's end. The monitor guards the table of streams.
 */
final class DmaStreams implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.mount");

  /** Finished streams kept for {@code dma list} until stopped; older ones are dropped. */
  static final int FINISHED_KEPT = 64;

  /** The filesystem the streams' files live in. */
  private final DaxFs fs;

  /** Who the mount process acts as when it opens a stream's file: the mount's owner. */
  private final Cred cred;

  /** The mount's DMA emulator; its devices are made here on first use. */
  private final DmaEmulator dma;

  /** The kernel's cache of the mount's pages, dropped after every DMA write. */
  private final KernelCache cache;

  /** Ends holds and starts rounds; daemon threads. */
  private final ScheduledThreadPoolExecutor timer;

  /** Ends transfers, in the order they end; one daemon thread. */
  private final ExecutorService completions;

  /** Streams by id, oldest first. Guarded by this. */
  private final Map<Long, DmaStream> streams = new LinkedHashMap<>();

  /** The next stream id. Guarded by this. */
  private long nextId = 1;

  /** Set by {@link #close}: no stream starts afterwards. Guarded by this. */
  private boolean closed;

  /** ODP invalidations seen by streams no longer in the table. */
  private final LongAdder odpInvalidationsRemoved = new LongAdder();

  /** Ranges of the kernel's page cache dropped after DMA writes. */
  private final LongAdder cacheInvalidations = new LongAdder();

  DmaStreams(DaxFs fs, Cred cred, DmaEmulator dma, KernelCache cache) {
    this.fs = fs;
    this.cred = cred;
    this.dma = dma;
    this.cache = cache;
    this.timer = new ScheduledThreadPoolExecutor(2, daemonThreads("daxfs-dma-timer"));
    this.timer.setRemoveOnCancelPolicy(true);
    this.completions = Executors.newSingleThreadExecutor(daemonThreads("daxfs-dma-done"));
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  // ---- what streams use ----------------------------------------------------------------------

  Gup gup() {
    return dma.gup();
  }

  /** Runs {@code task} after {@code millis} on the timer. */
  ScheduledFuture<?> schedule(Runnable task, long millis) {
    return timer.schedule(task, millis, TimeUnit.MILLISECONDS);
  }

  /** Runs {@code task} on the completion thread (here, once that has shut down). */
  void complete(Runnable task) {
    try {
      completions.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  /** Drops the kernel's cached pages of a range a device wrote. */
  void invalidate(long ino, long offset, long length) {
    try {
      cache.invalidate(ino, offset, length);
      cacheInvalidations.increment();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "dropping the cached pages of inode " + ino + " failed", e);
    }
  }

  // ---- requests ------------------------------------------------------------------------------

  /** {@code dma_start}: the request's stream, started; answers its description. */
  Map<String, Object> start(JsonNode request) throws ControlException {
    return start(StreamSpec.fromRequest(request)).describe();
  }

  /**
   * Starts a stream; returns once its first transfer holds its pages (or its registration is
   * made).
   *
   * @throws ControlException ENXIO while the mount ends, EEXIST for a device name taken with
   *     other properties, and whatever starting the stream refuses
   */
  DmaStream start(StreamSpec spec) throws ControlException {
    DmaDevice device = device(spec);
    long id;
    synchronized (this) {
      checkOpen();
      id = nextId++;
    }
    DmaStream s = DmaStream.start(id, spec, device, this, fs, cred);
    synchronized (this) {
      if (!closed) {
        streams.put(id, s);
        dropOldFinished();
        return s;
      }
    }
    s.stop();
    throw ending();
  }

  /** The device the spec names: made now with the spec's properties, or the one made before. */
  private synchronized DmaDevice device(StreamSpec spec) throws ControlException {
    checkOpen();
    DmaDevice d = dma.device(spec.device()).orElse(null);
    if (d == null) {
      try {
        return dma.createDevice(DeviceSpec.named(spec.device()).withOdp(spec.odp()));
      } catch (ErrnoException e) {
        throw DaemonFile.failure("cannot create DMA device " + spec.device(), e);
      }
    }
    if (d.odp() != spec.odp()) {
      throw new ControlException("EEXIST", "DMA device " + d.name() + " already exists "
          + (d.odp() ? "as an ODP device (--odp)" : "as a pinning device (without --odp)")
          + ", and a device keeps the properties it was created with: give it the same "
          + "properties, or name another device");
    }
    return d;
  }

  private void checkOpen() throws ControlException {
    if (closed) {
      throw ending();
    }
  }

  private static ControlException ending() {
    return new ControlException("ENXIO", "the mount is ending: no DMA stream starts now");
  }

  /** Forgets the oldest finished streams beyond {@link #FINISHED_KEPT}. Holds the monitor. */
  private void dropOldFinished() {
    int finished = 0;
    for (DmaStream s : streams.values()) {
      if (!s.active()) {
        finished++;
      }
    }
    for (Iterator<DmaStream> it = streams.values().iterator();
        it.hasNext() && finished > FINISHED_KEPT; ) {
      DmaStream s = it.next();
      if (!s.active()) {
        odpInvalidationsRemoved.add(s.odpInvalidations());
        it.remove();
        finished--;
      }
    }
  }

  /** {@code dma_list}: every stream, oldest first. */
  Map<String, Object> list() {
    List<DmaStream> all;
    synchronized (this) {
      all = new ArrayList<>(streams.values());
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (DmaStream s : all) {
      out.add(s.describe());
    }
    return Map.of("streams", out);
  }

  /** {@code dma_stop}: the request's stream ({@code "stream"}), stopped and forgotten. */
  Map<String, Object> stop(JsonNode request) throws ControlException {
    JsonNode n = request.get("stream");
    if (n == null || !n.canConvertToLong() || !n.isIntegralNumber()) {
      throw new ControlException("EINVAL", "the request names no \"stream\" to stop");
    }
    return stop(n.asLong());
  }

  /**
   * Stops stream {@code id} and removes it from the table.
   *
   * @throws ControlException ENOENT when there is no such stream
   */
  Map<String, Object> stop(long id) throws ControlException {
    DmaStream s;
    synchronized (this) {
      s = streams.get(id);
    }
    if (s == null) {
      throw new ControlException("ENOENT", "there is no DMA stream " + id + " (dma list shows "
          + "the streams)");
    }
    Map<String, Object> ended = s.stop();
    synchronized (this) {
      if (streams.remove(id) != null) {
        odpInvalidationsRemoved.add(s.odpInvalidations());
      }
    }
    return ended;
  }

  /** Streams that hold their range now. */
  synchronized int active() {
    int n = 0;
    for (DmaStream s : streams.values()) {
      if (s.active()) {
        n++;
      }
    }
    return n;
  }

  /** Layout leases the streams hold now. */
  synchronized int leases() {
    int n = 0;
    for (DmaStream s : streams.values()) {
      if (s.holdsLease()) {
        n++;
      }
    }
    return n;
  }

  // ---- figures -------------------------------------------------------------------------------

  /**
   * Adds the pin and DMA figures to a {@code stat} payload: {@code pins_acquired}, {@code
   * pins_released}, {@code pins_outstanding} (pages), {@code pin_misuse}, {@code
   * misdirected_writes} (must stay 0), {@code odp_invalidations} (invalidations delivered to the
   * streams' ODP registrations), {@code odp_retries} (ODP transfers that resolved their pages
   * again after one), {@code dma_streams} (active), {@code page_cache_invalidations}, and a
   * {@code devices} list with each device's own figures.
   */
  void addStats(Map<String, Object> m) {
    GupStats g = gup().stats();
    m.put("pins_acquired", g.pinsAcquired());
    m.put("pins_released", g.pinsReleased());
    m.put("pins_outstanding", g.outstanding());
    m.put("pin_misuse", g.misuseEvents());
    m.put("misdirected_writes", dma.misdirectedWrites());
    long odpInvalidations = odpInvalidationsRemoved.sum();
    synchronized (this) {
      for (DmaStream s : streams.values()) {
        odpInvalidations += s.odpInvalidations();
      }
    }
    m.put("odp_invalidations", odpInvalidations);
    List<DmaDevice> devices = new ArrayList<>(dma.devices());
    devices.sort(Comparator.comparing(DmaDevice::name));
    long odpRetries = 0;
    List<Map<String, Object>> list = new ArrayList<>();
    for (DmaDevice d : devices) {
      DeviceStats s = d.stats();
      odpRetries += s.odpRetries();
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", s.name());
      e.put("id", d.id());
      e.put("odp", s.odp());
      // The device pins under the gup owner of its name, which counts both directions.
      PinOwner owner = gup().owner(d.name());
      e.put("pins_acquired", owner.pinsAcquired());
      e.put("pins_released", owner.pinsReleased());
      e.put("pins_outstanding", s.outstandingPins());
      e.put("registrations", s.registrations());
      e.put("transfers_submitted", s.transfersSubmitted());
      e.put("transfers_completed", s.transfersCompleted());
      e.put("transfers_failed", s.transfersFailed());
      e.put("bytes_written", s.bytesWritten());
      e.put("bytes_read", s.bytesRead());
      e.put("misdirected_writes", s.misdirectedWrites());
      e.put("odp_retries", s.odpRetries());
      list.add(e);
    }
    m.put("odp_retries", odpRetries);
    m.put("dma_streams", active());
    m.put("page_cache_invalidations", cacheInvalidations.sum());
    m.put("devices", list);
  }

  /**
   * Stops every stream (their holds end now, their pages are unpinned, their leases and
   * registrations released) and refuses new ones; then stops the threads. The mount calls it
   * before it releases the filesystem: daxfs frees its orphans at unmount on the understanding
   * that no device holds their pages.
   */
  @Override
  public void close() {
    List<DmaStream> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(streams.values());
    }
    for (DmaStream s : all) {
      try {
        s.stop();
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "stopping " + s + " failed", e);
      }
    }
    timer.shutdownNow();
    completions.shutdown();
    try {
      if (!completions.awaitTermination(60, TimeUnit.SECONDS)) {
        completions.shutdownNow();
      }
    } catch (InterruptedException e) {
      completions.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
