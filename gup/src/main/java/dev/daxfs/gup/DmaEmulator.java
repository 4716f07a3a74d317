package dev.daxfs.gup;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DMA emulator: named devices and the scheduler their transfers run on. Completions run on
 * the emulator's scheduler threads, so code chained on a transfer's future must not block long.
 */
public final class DmaEmulator implements AutoCloseable {

  /** How long {@link #close} waits for transfers in flight. */
  private static final long CLOSE_WAIT_SECONDS = 60;

  /** Pins of every device are counted here. */
  private final Gup gup;

  /** Runs transfer pieces at their times; daemon threads. */
  private final ScheduledThreadPoolExecutor scheduler;

  /** Devices by name. */
  private final ConcurrentHashMap<String, DmaDevice> devices = new ConcurrentHashMap<>();

  /** Last device id handed out. */
  private final AtomicInteger ids = new AtomicInteger();

  public DmaEmulator(Gup gup) {
    this(gup, 2);
  }

  /** @param threads scheduler threads that run transfer pieces */
  public DmaEmulator(Gup gup, int threads) {
    this.gup = Objects.requireNonNull(gup, "gup");
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory =
        r -> {
          Thread t = new Thread(r, "dma-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.scheduler = new ScheduledThreadPoolExecutor(threads, factory);
    scheduler.setRemoveOnCancelPolicy(true);
  }

  /** The gup instance the devices pin through. */
  public Gup gup() {
    return gup;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /**
   * Creates a device.
   *
   * @throws ErrnoException EEXIST when a device of that name exists, ENXIO after close
   */
  public DmaDevice createDevice(DeviceSpec spec) throws ErrnoException {
    Objects.requireNonNull(spec, "spec");
    if (scheduler.isShutdown()) {
      throw new ErrnoException(Errno.ENXIO, "DMA emulator is shut down");
    }
    DmaDevice created = new DmaDevice(this, spec, ids.incrementAndGet());
    if (devices.putIfAbsent(spec.name(), created) != null) {
      throw new ErrnoException(Errno.EEXIST, "DMA device " + spec.name() + " already exists");
    }
    return created;
  }

  /** The device called {@code name}. */
  public Optional<DmaDevice> device(String name) {
    return Optional.ofNullable(devices.get(name));
  }

  /** Every device, in no particular order. */
  public List<DmaDevice> devices() {
    return List.copyOf(devices.values());
  }

  /**
   * Removes a device: its registrations are closed (after their transfers finish); its
   * short-term transfers in flight still complete.
   *
   * @throws ErrnoException ENOENT when there is no such device
   */
  public void removeDevice(String name) throws ErrnoException {
    DmaDevice d = devices.remove(name);
    if (d == null) {
      throw new ErrnoException(Errno.ENOENT, "no DMA device called " + name);
    }
    d.remove();
  }

  /** Misdirected page writes of all devices so far. */
  public long misdirectedWrites() {
    long sum = 0;
    for (DmaDevice d : devices.values()) {
      sum += d.misdirectedWrites();
    }
    return sum;
  }

  /**
   * Closes every registration, lets the transfers in flight finish (up to a minute) and stops
   * the scheduler. A gated transfer whose gate has not completed yet is not in flight: its pages
   * stay pinned until the gate completes, and it then fails with ENXIO and unpins.
   */
  @Override
  public void close() {
    for (DmaDevice d : devices.values()) {
      d.remove();
    }
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        scheduler.shutdownNow();
      }
    } catch (InterruptedException e) {
      scheduler.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
