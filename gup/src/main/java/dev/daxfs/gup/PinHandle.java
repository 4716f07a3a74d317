package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.dax.Pte;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The pin that {@link Gup#pinUserPages} took: the owner, the pages, and a generation unique in
 * the process. {@link Gup#unpinUserPages} releases exactly these pins, once; a second unpin of
 * the same handle is refused as misuse.
 */
public final class PinHandle {

  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(PinHandle.class, "released", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Who holds the pins. */
  private final PinOwner owner;

  /** The mapping the pages were pinned through. */
  private final CpuMapping mapping;

  /** Mapping page number of the first page. */
  private final long firstPage;

  /** The pages' descriptor table. */
  final PageDescriptors pages;

  /** Page frame of the first page; {@link Pte#ZERO_PFN} for the zero page of a read pin. */
  private final long firstPfn;

  /** Page frames of every page, or null for a one-page pin (which needs no array). */
  private final long[] pfns;

  /** The FOLL_* flags the pin was taken with (FOLL_PIN included). */
  private final int flags;

  /** Process-unique number of this pin call. */
  private final long generation;

  /** The counter cell of the thread that pinned; the unpin counts there if it is the same thread. */
  final PinCounters.Cell cell;

  /** Set, once, by the unpin. */
  @SuppressWarnings("unused") // through RELEASED
  private volatile boolean released;

  /**
   * @param pfns the page frames, or null for one page at {@code firstPfn}
   */
  PinHandle(
      PinOwner owner, CpuMapping mapping, PageDescriptors pages, long firstPage, long firstPfn,
      long[] pfns, int flags, long generation, PinCounters.Cell cell) {
    this.owner = owner;
    this.cell = cell;
    this.mapping = mapping;
    this.pages = pages;
    this.firstPage = firstPage;
    this.firstPfn = firstPfn;
    this.pfns = pfns;
    this.flags = flags;
    this.generation = generation;
  }

  /** Marks the handle released; false if it already was. */
  boolean markReleased() {
    return RELEASED.compareAndSet(this, false, true);
  }

  /** The page frames, one per page (a copy). */
  public long[] pfns() {
    return pfns == null ? new long[] {firstPfn} : pfns.clone();
  }

  /** Who holds the pins. */
  public PinOwner owner() {
    return owner;
  }

  /** The mapping the pages were pinned through. */
  public CpuMapping mapping() {
    return mapping;
  }

  /** Byte address in the mapping of the first pinned page. */
  public long start() {
    return firstPage << 12;
  }

  /** Number of pinned pages. */
  public int nrPages() {
    return pfns == null ? 1 : pfns.length;
  }

  /** Page frame of pinned page {@code i}, or {@link Pte#ZERO_PFN}. */
  public long pfn(int i) {
    if (pfns == null) {
      java.util.Objects.checkIndex(i, 1);
      return firstPfn;
    }
    return pfns[i];
  }

  /** File page index of pinned page {@code i}. */
  public long fileIndex(int i) {
    return mapping.fileIndex(firstPage + i);
  }

  /** Whether the pages were pinned for the device to write (FOLL_WRITE). */
  public boolean writable() {
    return (flags & Gup.FOLL_WRITE) != 0;
  }

  /** Whether this is a long-term pin (FOLL_LONGTERM). */
  public boolean longTerm() {
    return (flags & Gup.FOLL_LONGTERM) != 0;
  }

  /** The FOLL_* flags of the pin. */
  public int flags() {
    return flags;
  }

  /** Process-unique number of this pin. */
  public long generation() {
    return generation;
  }

  /** Whether the pin was released. */
  public boolean isReleased() {
    return (boolean) RELEASED.getVolatile(this);
  }

  @Override
  public String toString() {
    return "pin #" + Long.toHexString(generation) + " of " + nrPages() + " pages of inode "
        + mapping.space().inode() + " from index " + fileIndex(0) + " held by " + owner
        + (isReleased() ? " (released)" : "");
  }
}
