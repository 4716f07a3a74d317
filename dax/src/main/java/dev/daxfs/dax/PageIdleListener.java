package dev.daxfs.dax;

/**
 * Told when a watched page becomes idle: no pin, get or access holds it any more (refcount ==
 * mapcount, so refcount 0 for a page no CPU maps). The hook an orphan reaper uses to learn that
 * the last pin of a deleted file's page is gone.
 *
 * <p>It runs on the thread whose put, unpin or unmap made the page idle: often a DMA completion
 * or a device's unpin, which holds no filesystem lock and must not be made to take one. An
 * implementation therefore only records the page and wakes its worker (a queue offer, a
 * semaphore release); the worker takes the ordinary locks, rescans and frees.
 */
@FunctionalInterface
public interface PageIdleListener {
  /** The page {@code pfn} of {@code pages}, marked watched, just became idle. */
  void pageIdle(PageDescriptors pages, long pfn);
}
