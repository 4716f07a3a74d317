package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Pte;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pages of one pin, held by the caller that pinned them: Linux's {@code struct page **pages}
 * array that pin_user_pages fills and unpin_user_pages releases. The caller makes a vector once
 * ({@link PinOwner#newPinVector}) and reuses it: {@link Gup#pinUserPages} fills an empty vector
 * and {@link Gup#unpinUserPages} releases its pins and leaves it empty for the next pin, so a pin
 * allocates nothing.
 *
 * <p>Misuse is refused loudly: pinning into a vector that still holds pins (which would lose
 * them), unpinning an empty vector (a second unpin of the same pin), and, on the page itself, an
 * unpin of a page that has no pin.
 *
 * <p>Thread confinement: like a caller's stack array, a vector is used by one thread at a time.
 * It may move to another thread (a transfer pins on the submitting thread and unpins on the one
 * that completes it) only through something that orders the two uses, such as an executor, a
 * future or a lock. Its state is therefore changed with plain writes; two threads unpinning the
 * same vector at once is a data race that this class does not detect.
 */
public final class PinVector {

  /** Vector numbers, unique in the process. */
  private static final AtomicLong IDS = new AtomicLong();

  /** The gup instance whose pins this vector holds. */
  final Gup gup;

  /** Who holds the pins; its counters count them. */
  private final PinOwner owner;

  /** Process-unique vector number. */
  private final long id;

  /**
   * The vector's state and its counts at once: pins and unpins made through it, odd exactly
   * while it holds a pin (see {@link PinCounters}).
   */
  final PinCounters.Cell counts;

  /** Pages of the pin held, or of the last one once empty. */
  int pages;

  /** The mapping the pages were pinned through (of the last pin once empty); null before the first. */
  CpuMapping mapping;

  /** Mapping page number of the first page. */
  long firstPage;

  /** The FOLL_* flags of the pin (FOLL_PIN included). */
  int flags;

  /**
   * Page frames of the pin's pages (the first {@link #pages}), {@link Pte#ZERO_PFN} for the zero
   * page of a read pin; grown when a pin needs more room.
   */
  long[] pfns = new long[1];

  PinVector(PinOwner owner) {
    this.owner = owner;
    this.gup = owner.gup();
    this.id = IDS.incrementAndGet();
    this.counts = owner.counters.register(this);
  }

  /** Whether the vector holds a pin. */
  boolean holding() {
    return counts.holding();
  }

  /** Records a pin of {@code n} pages from page {@code pageNo} of {@code m}, frames already in {@link #pfns}. */
  void filled(CpuMapping m, long pageNo, int n, int pinFlags) {
    // A vector is usually refilled through the same mapping: skip that reference write then,
    // and the collector's write barrier that comes with it.
    if (mapping != m) {
      mapping = m;
    }
    flags = pinFlags;
    pages = n;
    firstPage = pageNo;
    PinCounters.pinned(counts, n);
    // Until the count is written: a collected vector's cell is folded, and a write after the
    // fold would be lost.
    java.lang.ref.Reference.reachabilityFence(this);
  }

  /** Room for the frames of an {@code n}-page pin in {@link #pfns}. */
  long[] frames(int n) {
    if (pfns.length < n) {
      pfns = new long[n];
    }
    return pfns;
  }

  /** Who holds the pins. */
  public PinOwner owner() {
    return owner;
  }

  /** Whether the vector holds no pins (never filled, or unpinned since). */
  public boolean isEmpty() {
    return !holding();
  }

  /** Number of pinned pages; 0 when empty. */
  public int nrPages() {
    return holding() ? pages : 0;
  }

  /** Page frame of pinned page {@code i}, or {@link Pte#ZERO_PFN}. */
  public long pfn(int i) {
    Objects.checkIndex(i, nrPages());
    return pfns[i];
  }

  /** The page frames, one per pinned page (a copy; empty when the vector is). */
  public long[] pfns() {
    return Arrays.copyOf(pfns, nrPages());
  }

  /** The mapping the pages were pinned through. */
  public CpuMapping mapping() {
    checkHolding();
    return mapping;
  }

  /** Byte address in the mapping of the first pinned page. */
  public long start() {
    checkHolding();
    return firstPage << 12;
  }

  /** File page index of pinned page {@code i}. */
  public long fileIndex(int i) {
    Objects.checkIndex(i, nrPages());
    return mapping.fileIndex(firstPage + i);
  }

  /** Whether the pages were pinned for the device to write (FOLL_WRITE). */
  public boolean writable() {
    checkHolding();
    return (flags & Gup.FOLL_WRITE) != 0;
  }

  /** Whether this is a long-term pin (FOLL_LONGTERM). */
  public boolean longTerm() {
    checkHolding();
    return (flags & Gup.FOLL_LONGTERM) != 0;
  }

  /** The FOLL_* flags of the pin held (FOLL_PIN included). */
  public int flags() {
    checkHolding();
    return flags;
  }

  /** Process-unique number of this vector. */
  public long id() {
    return id;
  }

  /**
   * Number of the pin the vector holds (or held last) among the pins taken into it: 1 for the
   * first, 0 before any. With {@link #id} it names one pin call in the process.
   */
  public long generation() {
    return counts.pins();
  }

  private void checkHolding() {
    if (!holding()) {
      throw new IllegalStateException("pin vector #" + id + " of " + owner + " holds no pins");
    }
  }

  /** The pin held, or the last one with "(unpinned)", for reports. */
  @Override
  public String toString() {
    if (mapping == null) {
      return "pin vector #" + id + " of " + owner + " (never pinned)";
    }
    return "pin " + generation() + " of vector #" + id + ": " + pages + (pages == 1 ? " page" : " pages")
        + " of inode " + mapping.space().inode() + " from index " + mapping.fileIndex(firstPage)
        + " held by " + owner + (holding() ? "" : " (unpinned)");
  }
}
