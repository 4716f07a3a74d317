package dev.daxfs.dax;

/**
 * Page table entries of a {@link CpuMapping}, read by gup's lock-free fast path. A pte is a long:
 * the page frame number in bits 12 and up, like a hardware pte, and flag bits below. 0 is "not
 * present"; reading one means the access or pin must take the slow path (a fault).
 *
 * <pre>
 * bit 0      present
 * bit 1      writable (only while the file's entry for the page is dirty)
 * bit 2      zero page: a hole or unwritten extent mapped read-only; no page frame, no reference
 * bits 12-63 page frame number
 * </pre>
 */
public final class Pte {
  private Pte() {}

  /** Not present. */
  public static final long NONE = 0L;

  static final long PRESENT = 1L;
  static final long WRITE = 1L << 1;
  static final long ZERO = 1L << 2;

  /** The read-only mapping of the zero page. */
  static final long ZERO_PAGE = PRESENT | ZERO;

  /** What followPage and pin handles report for the zero page: no page frame behind it. */
  public static final long ZERO_PFN = -1L;

  static long of(long pfn, boolean writable) {
    return (pfn << PageDescriptors.PAGE_SHIFT) | PRESENT | (writable ? WRITE : 0L);
  }

  /** Whether the pte maps something (a page frame or the zero page). */
  public static boolean present(long pte) {
    return (pte & PRESENT) != 0;
  }

  /** Whether stores (and FOLL_WRITE pins) may go through the pte without a write fault. */
  public static boolean writable(long pte) {
    return (pte & (PRESENT | WRITE)) == (PRESENT | WRITE);
  }

  /** Whether the pte maps the zero page (a hole read through the mapping). */
  public static boolean zeroPage(long pte) {
    return (pte & (PRESENT | ZERO)) == (PRESENT | ZERO);
  }

  /** The page frame a present, non-zero-page pte maps. */
  public static long pfn(long pte) {
    return pte >>> PageDescriptors.PAGE_SHIFT;
  }

  /** The pte with its write permission removed. */
  static long writeProtected(long pte) {
    return pte & ~WRITE;
  }
}
