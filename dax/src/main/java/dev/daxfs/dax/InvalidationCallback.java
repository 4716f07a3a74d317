package dev.daxfs.dax;

/**
 * Told when a range a device mirrors is invalidated, e.g. to drop the device's own translation
 * cache. Runs under the notifier's lock, so no device access of that notifier is in flight; it
 * must not take filesystem locks (the thread running it may hold the invalidate lock exclusively).
 */
@FunctionalInterface
public interface InvalidationCallback {
  /**
   * @param notifier the notifier whose range was hit
   * @param startIndex first invalidated file page index (clipped to the notifier's range)
   * @param endIndex one past the last
   * @param sequence the notifier's new sequence number
   */
  void invalidated(InvalidationNotifier notifier, long startIndex, long endIndex, long sequence);
}
