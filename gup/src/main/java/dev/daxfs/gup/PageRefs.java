package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Pte;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Plain references (FOLL_GET) that {@link Gup#getUserPages} took; {@link Gup#putUserPages}
 * releases them, once. They never mix with pins: they cannot be unpinned, and a pin cannot be
 * put.
 */
public final class PageRefs {

  /** The mapping the references were taken through. */
  private final CpuMapping mapping;

  /** Mapping page number of the first page. */
  private final long firstPage;

  /** Page frames; {@link Pte#ZERO_PFN} for the zero page. */
  private final long[] pfns;

  /** Set, once, by the put. */
  private final AtomicBoolean released = new AtomicBoolean();

  PageRefs(CpuMapping mapping, long firstPage, long[] pfns) {
    this.mapping = mapping;
    this.firstPage = firstPage;
    this.pfns = pfns;
  }

  boolean markReleased() {
    return released.compareAndSet(false, true);
  }

  long[] pfnArray() {
    return pfns;
  }

  /** The mapping the references were taken through. */
  public CpuMapping mapping() {
    return mapping;
  }

  /** Number of pages. */
  public int nrPages() {
    return pfns.length;
  }

  /** Page frame of page {@code i}, or {@link Pte#ZERO_PFN}. */
  public long pfn(int i) {
    return pfns[i];
  }

  /** File page index of page {@code i}. */
  public long fileIndex(int i) {
    return mapping.fileIndex(firstPage + i);
  }

  /** Whether the references were put. */
  public boolean isReleased() {
    return released.get();
  }
}
