package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.InvalidationNotifier;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.dax.PageGrab;
import dev.daxfs.dax.Pte;
import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.PmemRegion;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One DMA transfer in flight: its pages (pinned, or resolved through an ODP notifier), its data,
 * and its schedule. Pieces (one per page) run on the emulator's scheduler at the end of the hold
 * or spread over it; the last piece to finish releases a short-term pin (dirty for writes),
 * closes a short-term notifier and completes the future.
 */
final class Transfer {

  /** An ODP transfer that keeps being invalidated gives up after this many resolutions. */
  static final int MAX_ODP_RETRIES = 10_000;

  private static final int PAGE_SHIFT = PageDescriptors.PAGE_SHIFT;
  private static final int PAGE_SIZE = PmemRegion.PAGE_SIZE;

  /** Which way the data moves. */
  enum Direction {
    /** Device to memory: the device writes file pages. */
    TO_MEMORY,
    /** Memory to device: the device reads file pages. */
    FROM_MEMORY
  }

  private final DmaDevice device;
  private final CpuMapping mapping;
  private final DaxAddressSpace space;
  private final PageDescriptors pages;
  private final PmemRegion region;

  /** The transfer's sequence number on its device: its tag. */
  final long sequence;

  /** Which way the data moves. */
  final Direction direction;

  /** Source (to memory) or destination (from memory). */
  final byte[] data;

  /** Mapping page of the first byte. */
  private final long firstPage;

  /** Pages touched. */
  final int pageCount;

  /** Offset of the first byte within its page. */
  private final int startInPage;

  /** A short-term pin released when the transfer ends, or null. */
  private final PinVector ownPin;

  /** The ODP notifier the pages are validated against, or null for pinned pages. */
  private final InvalidationNotifier notifier;

  /** Whether the notifier is this transfer's own (closed at the end). */
  private final boolean ownNotifier;

  /** Whether each landed page write dirties its entry (long-term registrations). */
  private final boolean dirtyAsWritten;

  /** Page frames by page of the transfer; replaced whole when an ODP transfer resolves again. Guarded by this. */
  private long[] pfns;

  /** The notifier sequence {@link #pfns} were resolved under. Guarded by this. */
  private long notifierSeq;

  /** Completed with the outcome when the last piece finished. */
  final CompletableFuture<DmaCompletion> done = new CompletableFuture<>();

  private final AtomicInteger remaining;
  private final AtomicInteger misdirected = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  /**
   * @param addr byte address in the mapping of the first byte
   * @param pfns pinned page frames, or null to resolve them through {@code notifier}
   */
  Transfer(
      DmaDevice device,
      CpuMapping mapping,
      long addr,
      byte[] data,
      Direction direction,
      long sequence,
      long[] pfns,
      PinVector ownPin,
      InvalidationNotifier notifier,
      boolean ownNotifier,
      boolean dirtyAsWritten) {
    this.device = device;
    this.mapping = mapping;
    this.space = mapping.space();
    this.pages = space.pages();
    this.region = space.region();
    this.sequence = sequence;
    this.direction = direction;
    this.data = data;
    this.firstPage = addr >>> PAGE_SHIFT;
    this.startInPage = (int) (addr & (PAGE_SIZE - 1));
    this.pageCount = pageCount(addr, data.length);
    this.pfns = pfns;
    this.ownPin = ownPin;
    this.notifier = notifier;
    this.ownNotifier = ownNotifier;
    this.dirtyAsWritten = dirtyAsWritten;
    this.remaining = new AtomicInteger(pageCount);
  }

  static int pageCount(long addr, int length) {
    return (int) (((addr + length - 1) >>> PAGE_SHIFT) - (addr >>> PAGE_SHIFT) + 1);
  }

  /** Resolves the pages through the mapping under a fresh notifier sequence (ODP). */
  synchronized void resolve() throws ErrnoException {
    long seq = notifier.readBegin();
    long[] fresh = new long[pageCount];
    for (int k = 0; k < pageCount; k++) {
      fresh[k] = mapping.followPage(firstPage + k, direction == Direction.TO_MEMORY, PageGrab.NONE);
    }
    pfns = fresh;
    notifierSeq = seq;
  }

  /**
   * Schedules the pieces: the hold and bandwidth time start now, or when {@code gate} completes
   * if it is not null (however it completes).
   */
  void start(CompletionStage<?> gate) {
    if (gate == null) {
      schedule();
    } else {
      gate.whenComplete((v, e) -> schedule());
    }
  }

  private void schedule() {
    long total = device.spec().transferNanos(data.length);
    try {
      if (device.spec().timing() == WriteTiming.SPREAD && pageCount > 1) {
        for (int k = 0; k < pageCount; k++) {
          int piece = k;
          device.scheduler().schedule(() -> runPiece(piece), total * (k + 1) / pageCount, TimeUnit.NANOSECONDS);
        }
      } else {
        device.scheduler().schedule(
            () -> {
              for (int k = 0; k < pageCount; k++) {
                runPiece(k);
              }
            },
            total,
            TimeUnit.NANOSECONDS);
      }
    } catch (RejectedExecutionException e) {
      failure.compareAndSet(null, new ErrnoException(Errno.ENXIO, "DMA emulator is shut down", e));
      remaining.set(0);
      finish();
    }
  }

  private void runPiece(int k) {
    try {
      if (notifier == null) {
        long[] frames;
        synchronized (this) {
          frames = pfns;
        }
        movePiece(k, frames[k]);
      } else {
        odpPiece(k);
      }
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    } finally {
      if (remaining.decrementAndGet() == 0) {
        finish();
      }
    }
  }

  /** Validates against the notifier and moves the piece, resolving again after invalidations. */
  private void odpPiece(int k) throws ErrnoException {
    for (int attempt = 0; ; attempt++) {
      long seq;
      long pfn;
      synchronized (this) {
        seq = notifierSeq;
        pfn = pfns[k];
      }
      if (notifier.runIfValid(seq, () -> movePiece(k, pfn))) {
        return;
      }
      if (attempt >= MAX_ODP_RETRIES) {
        throw new ErrnoException(
            Errno.EAGAIN, "ODP transfer " + sequence + " of " + device.name() + " was invalidated "
                + MAX_ODP_RETRIES + " times in a row");
      }
      retries.incrementAndGet();
      synchronized (this) {
        if (notifierSeq == seq) {
          resolve();
        }
      }
    }
  }

  /** Moves the bytes of page {@code k} of the transfer to or from page frame {@code pfn}. */
  private void movePiece(int k, long pfn) {
    int from = k == 0 ? startInPage : 0;
    int dataOff = k == 0 ? 0 : PAGE_SIZE - startInPage + (k - 1) * PAGE_SIZE;
    int n = Math.min(PAGE_SIZE - from, data.length - dataOff);
    if (direction == Direction.FROM_MEMORY) {
      if (pfn == Pte.ZERO_PFN) {
        Arrays.fill(data, dataOff, dataOff + n, (byte) 0);
      } else {
        region.load((pfn << PAGE_SHIFT) + from, data, dataOff, n);
      }
      return;
    }
    region.store((pfn << PAGE_SHIFT) + from, data, dataOff, n);
    long index = mapping.fileIndex(firstPage + k);
    PageDescriptorOwner owner = PageDescriptorOwner.read(pages, pfn);
    boolean wrong = owner.inode() != space.inode() || owner.index() != index;
    if (wrong) {
      misdirected.incrementAndGet();
    }
    if (dirtyAsWritten) {
      space.markDirty(index, pfn);
    }
    device.recordWrite(
        new DmaWrite(device.name(), sequence, pfn, from, n, space.inode(), index, owner.inode(), owner.index(), wrong));
  }

  private void finish() {
    if (ownPin != null) {
      try {
        device.gup().unpinUserPages(ownPin, direction == Direction.TO_MEMORY);
      } catch (RuntimeException e) {
        failure.compareAndSet(null, e);
      }
    }
    if (ownNotifier) {
      notifier.close();
    }
    Throwable t = failure.get();
    device.transferEnded(this, t == null, retries.get());
    if (t == null) {
      done.complete(
          new DmaCompletion(device.name(), sequence, data.length, pageCount, misdirected.get(), retries.get()));
    } else {
      done.completeExceptionally(asErrno(t));
    }
  }

  private Throwable asErrno(Throwable t) {
    if (t instanceof MediaErrorException m) {
      return new ErrnoException(
          Errno.EIO, "DMA transfer " + sequence + " of " + device.name() + " read a media error at region offset "
              + m.offset(), m);
    }
    return t;
  }

  /** The owner of a page, read once. */
  private record PageDescriptorOwner(long inode, long index) {
    static PageDescriptorOwner read(PageDescriptors pages, long pfn) {
      var d = pages.describe(pfn);
      return new PageDescriptorOwner(d.ownerInode(), d.ownerIndex());
    }
  }
}
