package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.InvalidationNotifier;
import dev.daxfs.dax.LongTermPinRequest;
import dev.daxfs.pmem.PmemRegion;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An emulated DMA device: a NIC, GPU or disk controller that moves data straight into and out
 * of file pages mapped in the process.
 *
 * <p>A pinning device follows the latency model pin, hold, write, unpin dirty: {@link #write}
 * pins the pages for write on the calling thread (like a driver pinning at submission, so pin
 * errors are thrown at once), holds them for the device's hold plus the bandwidth time (the
 * kernel's bio_delay hook), writes the data at the end of the hold or spread over it, and then
 * unpins with the pages marked dirty; the returned future completes after the unpin.
 *
 * <p>An ODP device holds no pins: it registers an invalidation notifier on the range, resolves
 * the pages through the mapping (faulting them in), and writes each page only if no
 * invalidation came in since it resolved; otherwise it resolves again, in the new layout.
 *
 * <p>Every page write is recorded with its tag (device, sequence) and checked against the page's
 * owner: a write that lands on a page no longer owned by the (inode, index) the transfer
 * addressed counts as misdirected.
 */
public final class DmaDevice {

  /** How many page writes {@link #recentWrites} keeps. */
  public static final int RECENT_WRITES = 4096;

  private static final int PAGE_SIZE = PmemRegion.PAGE_SIZE;

  /** The emulator that made the device. */
  private final DmaEmulator emulator;

  /** What the device is. */
  private final DeviceSpec spec;

  /** Number unique within the emulator; tags carry it. */
  private final int id;

  /** Pins of this device are counted under this owner. */
  private final PinOwner owner;

  /** Last transfer sequence number handed out. */
  private final AtomicLong sequences = new AtomicLong();

  private final LongAdder submitted = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder misdirected = new LongAdder();
  private final LongAdder odpRetries = new LongAdder();

  /** The last {@link #RECENT_WRITES} page writes, oldest first. Guarded by itself. */
  private final ArrayDeque<DmaWrite> recent = new ArrayDeque<>();

  /** Open long-term registrations. */
  final Set<DmaRegistration> registrations = ConcurrentHashMap.newKeySet();

  /** Set when the device is removed or the emulator closed; no new work is accepted. */
  private volatile boolean removed;

  DmaDevice(DmaEmulator emulator, DeviceSpec spec, int id) {
    this.emulator = emulator;
    this.spec = spec;
    this.id = id;
    this.owner = emulator.gup().owner(spec.name());
  }

  /** The device's name. */
  public String name() {
    return spec.name();
  }

  /** The device's number, which its tags carry. */
  public int id() {
    return id;
  }

  /** What the device is. */
  public DeviceSpec spec() {
    return spec;
  }

  /** Whether the device does On-Demand Paging (holds no pins). */
  public boolean odp() {
    return spec.odp();
  }

  Gup gup() {
    return emulator.gup();
  }

  ScheduledExecutorService scheduler() {
    return emulator.scheduler();
  }

  // ---- short-term transfers ---------------------------------------------------------------------

  /**
   * Writes {@code data} into the mapping at byte address {@code addr}, asynchronously.
   *
   * @return completes when the data is in memory and the pages are unpinned
   * @throws ErrnoException when the pages cannot be pinned or resolved (EFAULT, EIO, ...), or
   *     ENXIO when the device was removed
   */
  public CompletableFuture<DmaCompletion> write(CpuMapping mapping, long addr, byte[] data)
      throws ErrnoException {
    return write(mapping, addr, data, null);
  }

  /**
   * {@link #write(CpuMapping, long, byte[])} whose hold starts only when {@code gate} completes:
   * the pages stay pinned (or, for ODP, resolved) until the caller says so. Tests and
   * {@code daxfs dma} use it to hold pages across a truncate without guessing at timings.
   */
  public CompletableFuture<DmaCompletion> write(
      CpuMapping mapping, long addr, byte[] data, CompletionStage<?> gate) throws ErrnoException {
    return submit(mapping, addr, data.clone(), Transfer.Direction.TO_MEMORY, sequences.incrementAndGet(), gate).done;
  }

  /** Writes {@code length} bytes of tag records ({@link DmaTag#pattern}) at {@code addr}. */
  public CompletableFuture<DmaCompletion> writeTagged(CpuMapping mapping, long addr, int length)
      throws ErrnoException {
    return writeTagged(mapping, addr, length, null);
  }

  /** {@link #writeTagged(CpuMapping, long, int)} whose hold starts when {@code gate} completes. */
  public CompletableFuture<DmaCompletion> writeTagged(
      CpuMapping mapping, long addr, int length, CompletionStage<?> gate) throws ErrnoException {
    long seq = sequences.incrementAndGet();
    return submit(mapping, addr, DmaTag.pattern(id, seq, checkLength(length)), Transfer.Direction.TO_MEMORY, seq, gate)
        .done;
  }

  /** Reads {@code length} bytes of the mapping at {@code addr} into the device, asynchronously. */
  public CompletableFuture<byte[]> read(CpuMapping mapping, long addr, int length) throws ErrnoException {
    Transfer t =
        submit(mapping, addr, new byte[checkLength(length)], Transfer.Direction.FROM_MEMORY, sequences.incrementAndGet(), null);
    return t.done.thenApply(c -> t.data);
  }

  private static int checkLength(int length) throws ErrnoException {
    if (length <= 0) {
      throw new ErrnoException(Errno.EINVAL, "a DMA transfer moves at least one byte, not " + length);
    }
    return length;
  }

  private Transfer submit(
      CpuMapping mapping, long addr, byte[] data, Transfer.Direction direction, long seq, CompletionStage<?> gate)
      throws ErrnoException {
    checkAvailable();
    checkLength(data.length);
    if (addr < 0 || addr > mapping.length() - data.length) {
      throw new ErrnoException(
          Errno.EFAULT, "DMA range [" + addr + ", +" + data.length + ") is outside the mapping of "
              + mapping.length() + " bytes");
    }
    long first = addr / PAGE_SIZE;
    int pages = Transfer.pageCount(addr, data.length);
    boolean toMemory = direction == Transfer.Direction.TO_MEMORY;
    submitted.increment();
    try {
      Transfer t;
      if (spec.odp()) {
        DaxAddressSpace space = mapping.space();
        InvalidationNotifier n = space.registerNotifier(mapping.fileIndex(first), mapping.fileIndex(first) + pages, null);
        t = new Transfer(this, mapping, addr, data, direction, seq, null, null, n, true, false);
        try {
          t.resolve();
        } catch (RuntimeException e) {
          n.close();
          throw e;
        }
      } else {
        PinVector pin = owner.newPinVector();
        gup().pinUserPages(pin, mapping, first * PAGE_SIZE, pages, toMemory ? Gup.FOLL_WRITE : 0);
        t = new Transfer(this, mapping, addr, data, direction, seq, pin.pfns(), pin, null, false, false);
      }
      t.start(gate);
      return t;
    } catch (RuntimeException e) {
      failed.increment();
      throw e;
    }
  }

  // ---- long-term registrations ----------------------------------------------------------------

  /**
   * Registers {@code [addr, addr+length)} of the mapping for repeated transfers (an RDMA memory
   * registration), naming the device itself as lease holder.
   */
  public DmaRegistration register(CpuMapping mapping, long addr, long length, boolean write)
      throws ErrnoException {
    return register(mapping, addr, length, write, this);
  }

  /**
   * Registers {@code [addr, addr+length)} of the mapping for repeated transfers. {@code addr}
   * must be page aligned. A pinning device takes a long-term pin (FOLL_LONGTERM), which the
   * address space's policy refuses unless it allows it, on daxfs files only under a layout lease
   * held by {@code leaseHolder}. An ODP device asks the same policy as an ODP request and
   * registers a notifier instead. The registration lasts until {@link DmaRegistration#close}.
   *
   * @throws ErrnoException EOPNOTSUPP (or the policy's refusal), EFAULT, EINVAL, ENXIO
   */
  public DmaRegistration register(CpuMapping mapping, long addr, long length, boolean write, Object leaseHolder)
      throws ErrnoException {
    checkAvailable();
    if (addr < 0 || addr % PAGE_SIZE != 0 || length <= 0) {
      throw new ErrnoException(
          Errno.EINVAL, "a registration needs a page-aligned address and a positive length, not " + addr + " +" + length);
    }
    long pagesLong = (length + PAGE_SIZE - 1) / PAGE_SIZE;
    if (addr > mapping.length() - length || pagesLong > Integer.MAX_VALUE) {
      throw new ErrnoException(Errno.EFAULT, "registration [" + addr + ", +" + length + ") is outside the mapping");
    }
    int pages = (int) pagesLong;
    long first = addr / PAGE_SIZE;
    DmaRegistration reg;
    if (spec.odp()) {
      DaxAddressSpace space = mapping.space();
      long index = mapping.fileIndex(first);
      space.checkLongTermPin(new LongTermPinRequest(space, index, index + pages, write, true, leaseHolder));
      InvalidationNotifier n = space.registerNotifier(index, index + pages, null);
      reg = new DmaRegistration(this, mapping, addr, length, write, null, n);
    } else {
      int flags = Gup.FOLL_LONGTERM | (write ? Gup.FOLL_WRITE : 0);
      PinVector pin = owner.newPinVector();
      gup().pinUserPages(pin, mapping, addr, pages, flags, leaseHolder);
      reg = new DmaRegistration(this, mapping, addr, length, write, pin, null);
    }
    registrations.add(reg);
    return reg;
  }

  /** Starts a transfer on a registration (called by it, which checked the range). */
  Transfer submitRegistered(DmaRegistration reg, long addr, byte[] data, Transfer.Direction direction, long seq)
      throws ErrnoException {
    checkAvailable();
    submitted.increment();
    try {
      Transfer t;
      if (reg.notifier() != null) {
        t = new Transfer(this, reg.mapping(), addr, data, direction, seq, null, null, reg.notifier(), false, false);
        t.resolve();
      } else {
        long firstPage = addr / PAGE_SIZE - reg.start() / PAGE_SIZE;
        int pages = Transfer.pageCount(addr, data.length);
        long[] frames = new long[pages];
        System.arraycopy(reg.pin().pfns(), (int) firstPage, frames, 0, pages);
        boolean dirty = direction == Transfer.Direction.TO_MEMORY;
        t = new Transfer(this, reg.mapping(), addr, data, direction, seq, frames, null, null, false, dirty);
      }
      t.start(null);
      return t;
    } catch (RuntimeException e) {
      failed.increment();
      throw e;
    }
  }

  long nextSequence() {
    return sequences.incrementAndGet();
  }

  // ---- bookkeeping --------------------------------------------------------------------------------

  void recordWrite(DmaWrite w) {
    bytesWritten.add(w.length());
    if (w.misdirected()) {
      misdirected.increment();
    }
    synchronized (recent) {
      if (recent.size() == RECENT_WRITES) {
        recent.removeFirst();
      }
      recent.addLast(w);
    }
  }

  void transferEnded(Transfer t, boolean ok, int retries) {
    odpRetries.add(retries);
    if (t.direction == Transfer.Direction.FROM_MEMORY && ok) {
      bytesRead.add(t.data.length);
    }
    (ok ? completed : failed).increment();
  }

  private void checkAvailable() throws ErrnoException {
    if (removed) {
      throw new ErrnoException(Errno.ENXIO, "DMA device " + name() + " was removed");
    }
  }

  /** Stops accepting work and closes the registrations (waiting for their transfers). */
  void remove() {
    removed = true;
    for (DmaRegistration r : List.copyOf(registrations)) {
      r.close();
    }
  }

  /** The last page writes of the device, oldest first. */
  public List<DmaWrite> recentWrites() {
    synchronized (recent) {
      return new ArrayList<>(recent);
    }
  }

  /** Page writes so far that landed on a page no longer owned by what they addressed. */
  public long misdirectedWrites() {
    return misdirected.sum();
  }

  /** The device's counters now. */
  public DeviceStats stats() {
    return new DeviceStats(
        name(),
        odp(),
        submitted.sum(),
        completed.sum(),
        failed.sum(),
        bytesWritten.sum(),
        bytesRead.sum(),
        misdirected.sum(),
        odpRetries.sum(),
        owner.outstandingPins(),
        registrations.size());
  }

  @Override
  public String toString() {
    return "DMA device " + name() + (odp() ? " (ODP)" : "");
  }
}
