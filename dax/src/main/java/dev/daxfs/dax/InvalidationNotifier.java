package dev.daxfs.dax;

import java.util.concurrent.locks.ReentrantLock;

/**
 * What an ODP device registers on a file range instead of pinning it: Linux's
 * mmu_interval_notifier. The device holds no reference to the pages; it mirrors them, and every
 * unmapping of the range (a layout break, munmap, a copy-on-write replacement, an fsync
 * write-protecting a page) bumps the notifier's sequence number first.
 *
 * <p>A device access follows the read-begin / retry protocol:
 *
 * <pre>{@code
 * for (;;) {
 *   long seq = notifier.readBegin();
 *   long pfn = mapping.followPage(page, write, PageGrab.NONE);   // may fault
 *   if (notifier.runIfValid(seq, () -> region.store(pfn << 12, data, 0, n))) break;
 *   // an invalidation came in between: resolve again, in the new layout
 * }
 * }</pre>
 *
 * <p>An invalidation takes the notifier's lock, so it waits for accesses already past their
 * check (running inside {@link #runIfValid}) and no later access can pass the check with the old
 * sequence. Because those accesses only touch memory, the invalidation never waits on a lock the
 * unmapping thread holds: actions given to {@link #runIfValid} must not take filesystem locks,
 * fault, or wait for anything but memory.
 */
public final class InvalidationNotifier implements AutoCloseable {

  /** The address space the notifier watches. */
  private final DaxAddressSpace space;

  /** First file page index watched. */
  private final long startIndex;

  /** One past the last file page index watched. */
  private final long endIndex;

  /** Told about each invalidation, under {@link #lock}; may be null. */
  private final InvalidationCallback callback;

  /**
   * Serializes invalidations against device accesses past their sequence check. Held only for
   * memory accesses and the sequence bump, never while waiting for anything else.
   */
  private final ReentrantLock lock = new ReentrantLock();

  /** Bumped (under {@link #lock}) by every invalidation of the range. */
  private volatile long sequence;

  /** Set by {@link #close}; an access checked against a closed notifier fails. */
  private volatile boolean closed;

  InvalidationNotifier(
      DaxAddressSpace space, long startIndex, long endIndex, InvalidationCallback callback) {
    this.space = space;
    this.startIndex = startIndex;
    this.endIndex = endIndex;
    this.callback = callback;
  }

  /** The address space watched. */
  public DaxAddressSpace space() {
    return space;
  }

  /** First file page index watched. */
  public long startIndex() {
    return startIndex;
  }

  /** One past the last file page index watched. */
  public long endIndex() {
    return endIndex;
  }

  /** The sequence to validate a device access against (mmu_interval_read_begin). */
  public long readBegin() {
    return sequence;
  }

  /** Whether an invalidation happened since {@code seq} was read (mmu_interval_read_retry). */
  public boolean readRetry(long seq) {
    return closed || sequence != seq;
  }

  /**
   * Runs {@code access} under the notifier lock if no invalidation happened since {@code seq}
   * was read; returns false without running it otherwise, and the caller resolves its pages
   * again. {@code access} must only touch memory (see the class comment).
   */
  public boolean runIfValid(long seq, Runnable access) {
    lock.lock();
    try {
      if (closed || sequence != seq) {
        return false;
      }
      access.run();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The current sequence number: how many invalidations the range has seen. */
  public long sequence() {
    return sequence;
  }

  boolean overlaps(long start, long end) {
    return start < endIndex && startIndex < end;
  }

  /** Bumps the sequence, waiting only for accesses inside {@link #runIfValid}. */
  void invalidate(long start, long end) {
    lock.lock();
    try {
      long seq = sequence + 1;
      sequence = seq;
      if (callback != null) {
        callback.invalidated(this, Math.max(start, startIndex), Math.min(end, endIndex), seq);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Unregisters the notifier; accesses checked against it fail from now on. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
    } finally {
      lock.unlock();
    }
    space.removeNotifier(this);
  }

  @Override
  public String toString() {
    return "invalidation notifier on inode " + space.inode() + " pages [" + startIndex + ", "
        + endIndex + ") seq " + sequence;
  }
}
