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
   * The counter cell of the thread that last pinned or unpinned through this vector: a thread
   * that reuses its vector counts without looking its cell up.
   */
  PinCounters.Cell cell;

  /**
   * Pages held while positive; after the unpin, minus the pages the last pin held (so reports
   * can still name it); 0 before the first pin. Empty means not positive.
   */
  int count;

  /** Pins taken into this vector so far; the pin it holds (or held last) is this one. */
  private long generation;

  /** The mapping the pages were pinned through (of the last pin once empty); null before the first. */
  CpuMapping mapping;

  /** Mapping page number of the first page. */
  long firstPage;

  /** The FOLL_* flags of the pin (FOLL_PIN included). */
  int flags;

  /** Page frame of the first page; {@link Pte#ZERO_PFN} for the zero page of a read pin. */
  long firstPfn;

  /** Page frames of a pin of more than one page (its first {@link #count}); grown on demand. */
  long[] pfns;

  PinVector(PinOwner owner) {
    this.owner = owner;
    this.gup = owner.gup();
    this.id = IDS.incrementAndGet();
    this.cell = owner.counters.cell();
  }

  /** The counter cell of the calling thread, cached here while the same thread keeps using the vector. */
  PinCounters.Cell myCell() {
    PinCounters.Cell c = cell;
    if (!c.mine()) {
      c = owner.counters.cell();
      cell = c;
    }
    return c;
  }

  /** Records a one-page pin of page {@code pageNo} of {@code m} at frame {@code pfn}. */
  void filled(CpuMapping m, long pageNo, long pfn, int pinFlags) {
    mapping = m;
    firstPage = pageNo;
    firstPfn = pfn;
    flags = pinFlags;
    generation++;
    count = 1;
  }

  /** Records a pin of {@code frames.length} pages from page {@code pageNo} of {@code m}. */
  void filled(CpuMapping m, long pageNo, long[] frames, int pinFlags) {
    if (frames.length > 1) {
      if (pfns == null || pfns.length < frames.length) {
        pfns = new long[frames.length];
      }
      System.arraycopy(frames, 0, pfns, 0, frames.length);
    }
    mapping = m;
    firstPage = pageNo;
    firstPfn = frames[0];
    flags = pinFlags;
    generation++;
    count = frames.length;
  }

  /** Who holds the pins. */
  public PinOwner owner() {
    return owner;
  }

  /** Whether the vector holds no pins (never filled, or unpinned since). */
  public boolean isEmpty() {
    return count <= 0;
  }

  /** Number of pinned pages; 0 when empty. */
  public int nrPages() {
    return Math.max(count, 0);
  }

  /** Page frame of pinned page {@code i}, or {@link Pte#ZERO_PFN}. */
  public long pfn(int i) {
    Objects.checkIndex(i, nrPages());
    return i == 0 ? firstPfn : pfns[i];
  }

  /** The page frames, one per pinned page (a copy; empty when the vector is). */
  public long[] pfns() {
    if (count <= 1) {
      return count <= 0 ? new long[0] : new long[] {firstPfn};
    }
    return Arrays.copyOf(pfns, count);
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
    return generation;
  }

  private void checkHolding() {
    if (count <= 0) {
      throw new IllegalStateException("pin vector #" + id + " of " + owner + " holds no pins");
    }
  }

  /** The pin held, or the last one with "(unpinned)", for reports. */
  @Override
  public String toString() {
    if (mapping == null) {
      return "pin vector #" + id + " of " + owner + " (never pinned)";
    }
    int pages = Math.abs(count);
    return "pin " + generation + " of vector #" + id + ": " + pages + (pages == 1 ? " page" : " pages")
        + " of inode " + mapping.space().inode() + " from index " + mapping.fileIndex(firstPage)
        + " held by " + owner + (count < 0 ? " (unpinned)" : "");
  }
}
