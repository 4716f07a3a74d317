package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
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

  /** Page frames, one per page; {@link Pte#ZERO_PFN} for the zero page of a read pin. */
  private final long[] pfns;

  /** The FOLL_* flags the pin was taken with (FOLL_PIN included). */
  private final int flags;

  /** Process-unique number of this pin call. */
  private final long generation;

  /** Set, once, by the unpin. */
  @SuppressWarnings("unused") // through RELEASED
  private volatile boolean released;

  PinHandle(PinOwner owner, CpuMapping mapping, long firstPage, long[] pfns, int flags, long generation) {
    this.owner = owner;
    this.mapping = mapping;
    this.firstPage = firstPage;
    this.pfns = pfns;
    this.flags = flags;
    this.generation = generation;
  }

  /** Marks the handle released; false if it already was. */
  boolean markReleased() {
    return RELEASED.compareAndSet(this, false, true);
  }

  long[] pfnArray() {
    return pfns;
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
    return pfns.length;
  }

  /** Page frame of pinned page {@code i}, or {@link Pte#ZERO_PFN}. */
  public long pfn(int i) {
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
    return "pin #" + Long.toHexString(generation) + " of " + pfns.length + " pages of inode "
        + mapping.space().inode() + " from index " + fileIndex(0) + " held by " + owner
        + (isReleased() ? " (released)" : "");
  }
}
