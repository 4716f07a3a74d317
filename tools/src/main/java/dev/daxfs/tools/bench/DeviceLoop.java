package dev.daxfs.tools.bench;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.gup.DmaDevice;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A device that keeps a range pinned short-term, transfer after transfer, on its own thread:
 * each transfer pins every page of the range for write, holds them for the device's hold,
 * writes the whole range and unpins the pages dirty; the next one is submitted as soon as the
 * last completed. Successive transfers write two different patterns in turn, so every transfer
 * changes every page and a checksum computed over a page the device was writing cannot
 * happen to match.
 */
final class DeviceLoop implements AutoCloseable {

  /** How long one transfer may take before the device counts as hung, seconds. */
  private static final long TRANSFER_PATIENCE_SECONDS = 30;

  /** The emulated device that pins and writes. */
  private final DmaDevice device;

  /** The mapping the device pins through. */
  private final CpuMapping mapping;

  /** What even and odd transfers write, from address 0 of the mapping. */
  private final byte[][] patterns;

  /**
   * Held by the device thread while it submits a transfer (the pins are taken during the
   * submission), and by {@link #withoutNewTransfers} callers: while they run, no new pin is
   * taken, though a transfer already submitted runs to its end.
   */
  private final ReentrantLock submitting = new ReentrantLock();

  /** Set to end the loop; read by the device thread before each transfer. */
  private volatile boolean stopping;

  /** The device thread; null before {@link #start} and after {@link #stop}. */
  private Thread thread;

  /** Transfers completed; written by the device thread, read after it ended. */
  private long transfers;

  /** Time spent submitting, which takes the pins (faults included); same discipline. */
  private long pinningNanos;

  /** Time from the submission's return, every page pinned, to the unpin; same discipline. */
  private long pinnedNanos;

  /** When the transfer in flight unpinned; written on the emulator's thread. */
  private volatile long unpinnedAt;

  /** What ended the loop early, or null. */
  private volatile Throwable failure;

  DeviceLoop(DmaDevice device, CpuMapping mapping, int length) {
    if (length <= 0 || length > mapping.length()) {
      throw new IllegalArgumentException("a transfer of " + length + " bytes does not fit a "
          + mapping.length() + "-byte mapping");
    }
    this.device = device;
    this.mapping = mapping;
    this.patterns = new byte[2][length];
    for (int i = 0; i < length; i++) {
      patterns[0][i] = (byte) (i * 7 + 0x5a);
      patterns[1][i] = (byte) ~(i * 7 + 0x5a);
    }
  }

  /** Starts the device thread; the first transfer is submitted at once. */
  void start() {
    if (thread != null) {
      throw new IllegalStateException(device.name() + " is already running");
    }
    stopping = false;
    transfers = 0;
    pinningNanos = 0;
    pinnedNanos = 0;
    failure = null;
    thread = new Thread(this::loop, "bench-" + device.name());
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    try {
      while (!stopping) {
        CompletableFuture<?> unpinned;
        long start;
        long pinned;
        submitting.lock();
        try {
          if (stopping) {
            return;
          }
          start = System.nanoTime();
          // Waiting on the dependent future, not the transfer's own, sees the time stamp.
          unpinned = device.write(mapping, 0, patterns[(int) (transfers & 1)])
              .whenComplete((c, e) -> unpinnedAt = System.nanoTime());
          pinned = System.nanoTime();
        } finally {
          submitting.unlock();
        }
        unpinned.get(TRANSFER_PATIENCE_SECONDS, TimeUnit.SECONDS);
        pinningNanos += pinned - start;
        pinnedNanos += Math.max(0, unpinnedAt - pinned);
        transfers++;
      }
    } catch (ExecutionException e) {
      failure = e.getCause();
    } catch (TimeoutException e) {
      failure = new IllegalStateException("a transfer of " + device.name() + " did not complete "
          + "within " + TRANSFER_PATIENCE_SECONDS + " s", e);
    } catch (Throwable t) {
      failure = t;
    }
  }

  /**
   * Runs {@code action} while the device starts no new transfer: what it sees of the pages is
   * what the caller left, plus at most the transfer already in flight.
   */
  <T> T withoutNewTransfers(Supplier<T> action) {
    submitting.lock();
    try {
      return action.get();
    } finally {
      submitting.unlock();
    }
  }

  /** What the device did between {@link #start} and {@link #stop}. */
  record Run(long transfers, long pinningNanos, long pinnedNanos) {}

  /**
   * Lets the transfer in flight complete, ends the thread, and reports what the device did.
   *
   * @throws IllegalStateException when a transfer failed (the device's own error as cause)
   */
  Run stop() throws InterruptedException {
    if (thread == null) {
      throw new IllegalStateException(device.name() + " is not running");
    }
    stopping = true;
    long patience = TRANSFER_PATIENCE_SECONDS + 5;
    thread.join(TimeUnit.SECONDS.toMillis(patience));
    if (thread.isAlive()) {
      throw new IllegalStateException(device.name() + " did not stop within " + patience + " s");
    }
    thread = null;
    Throwable t = failure;
    if (t != null) {
      throw new IllegalStateException("DMA device " + device.name() + " failed: "
          + t.getMessage(), t);
    }
    return new Run(transfers, pinningNanos, pinnedNanos);
  }

  /** Page writes of the device, ever, that landed on a page its transfer did not address. */
  long misdirectedWrites() {
    return device.misdirectedWrites();
  }

  /** Stops the thread if it still runs, without reporting. */
  @Override
  public void close() throws InterruptedException {
    if (thread != null) {
      stopping = true;
      thread.join();
      thread = null;
    }
  }
}
