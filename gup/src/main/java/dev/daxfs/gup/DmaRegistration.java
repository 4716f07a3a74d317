package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.InvalidationNotifier;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A long-term DMA registration (an RDMA memory region): the pages stay pinned (or, for an ODP
 * device, mirrored through a notifier) until {@link #close}, and take any number of transfers.
 * Offsets are relative to the registration's start.
 */
public final class DmaRegistration implements AutoCloseable {

  private final DmaDevice device;
  private final CpuMapping mapping;

  /** Byte address in the mapping of the registration's first byte. */
  private final long start;

  /** Bytes registered. */
  private final long length;

  /** Whether the device may write. */
  private final boolean write;

  /** The long-term pin, or null for an ODP device. */
  private final PinVector pin;

  /** The ODP notifier, or null for a pinning device. */
  private final InvalidationNotifier notifier;

  /** Transfers not finished yet; {@link #close} waits for them. Changed under this. */
  private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();

  /** Set by close, under this; no transfer starts afterwards. */
  private boolean closed;

  DmaRegistration(
      DmaDevice device, CpuMapping mapping, long start, long length, boolean write, PinVector pin,
      InvalidationNotifier notifier) {
    this.device = device;
    this.mapping = mapping;
    this.start = start;
    this.length = length;
    this.write = write;
    this.pin = pin;
    this.notifier = notifier;
  }

  /** The device. */
  public DmaDevice device() {
    return device;
  }

  /** The mapping registered. */
  public CpuMapping mapping() {
    return mapping;
  }

  /** Byte address in the mapping of the first registered byte. */
  public long start() {
    return start;
  }

  /** Bytes registered. */
  public long length() {
    return length;
  }

  /** Whether the device may write into the registration. */
  public boolean writable() {
    return write;
  }

  /** The long-term pin, or null for an ODP device. */
  public PinVector pin() {
    return pin;
  }

  /** The ODP notifier, or null for a pinning device. */
  public InvalidationNotifier notifier() {
    return notifier;
  }

  /** Writes {@code data} at {@code offset} of the registration. */
  public CompletableFuture<DmaCompletion> write(long offset, byte[] data) throws ErrnoException {
    return transfer(offset, data.clone(), Transfer.Direction.TO_MEMORY, device.nextSequence()).done;
  }

  /** Writes {@code length} bytes of tag records at {@code offset}. */
  public CompletableFuture<DmaCompletion> writeTagged(long offset, int length) throws ErrnoException {
    if (length <= 0) {
      throw new ErrnoException(Errno.EINVAL, "a DMA transfer moves at least one byte, not " + length);
    }
    long seq = device.nextSequence();
    return transfer(offset, DmaTag.pattern(device.id(), seq, length), Transfer.Direction.TO_MEMORY, seq).done;
  }

  /** Reads {@code length} bytes at {@code offset} into the device. */
  public CompletableFuture<byte[]> read(long offset, int length) throws ErrnoException {
    if (length <= 0) {
      throw new ErrnoException(Errno.EINVAL, "a DMA transfer moves at least one byte, not " + length);
    }
    Transfer t = transfer(offset, new byte[length], Transfer.Direction.FROM_MEMORY, device.nextSequence());
    return t.done.thenApply(c -> t.data);
  }

  private Transfer transfer(long offset, byte[] data, Transfer.Direction direction, long seq)
      throws ErrnoException {
    if (data.length == 0) {
      throw new ErrnoException(Errno.EINVAL, "a DMA transfer moves at least one byte");
    }
    if (offset < 0 || offset > length - data.length) {
      throw new ErrnoException(
          Errno.EFAULT, "transfer [" + offset + ", +" + data.length + ") is outside the registration of " + length + " bytes");
    }
    if (direction == Transfer.Direction.TO_MEMORY && !write) {
      throw new ErrnoException(Errno.EACCES, "registration of " + device.name() + " is read-only");
    }
    synchronized (this) {
      if (closed) {
        throw new ErrnoException(Errno.EBADF, "registration of " + device.name() + " is closed");
      }
      Transfer t = device.submitRegistered(this, start + offset, data, direction, seq);
      inFlight.add(t.done);
      t.done.whenComplete((c, e) -> inFlight.remove(t.done));
      return t;
    }
  }

  /**
   * Deregisters: no new transfer starts, the ones in flight finish, then the pin is released
   * (dirty, if the device could write) or the notifier unregistered. Idempotent.
   */
  @Override
  public void close() {
    List<CompletableFuture<?>> waiting;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      waiting = List.copyOf(inFlight);
    }
    for (CompletableFuture<?> f : waiting) {
      try {
        f.join();
      } catch (RuntimeException e) {
        // The transfer's own future reports its failure; deregistration goes on.
      }
    }
    if (pin != null) {
      device.gup().unpinUserPages(pin, write);
    } else {
      notifier.close();
    }
    device.registrations.remove(this);
  }

  /** Whether the registration is still open. */
  public synchronized boolean isOpen() {
    return !closed;
  }

  @Override
  public String toString() {
    return (pin != null ? "pinned" : "ODP") + " registration of " + device.name() + " on inode "
        + mapping.space().inode() + " [" + start + ", +" + length + ")";
  }
}
