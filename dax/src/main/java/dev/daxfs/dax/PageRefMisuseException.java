package dev.daxfs.dax;

/**
 * A page reference was released that its caller did not hold: a stray put on a pinned page, an
 * unpin without a pin, a second unpin of the same pin, a refcount underflow. The operation was
 * refused and the page's counts were left as they were; the descriptor table counted the event
 * and told its {@link MisuseListener}. This is always a bug in the caller.
 */
public final class PageRefMisuseException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The page frame the misuse was detected on, or -1 when it was not a single page. */
  private final long pfn;

  public PageRefMisuseException(long pfn, String message) {
    super(message);
    this.pfn = pfn;
  }

  /** The region page frame number the refused operation named, or -1. */
  public long pfn() {
    return pfn;
  }
}
