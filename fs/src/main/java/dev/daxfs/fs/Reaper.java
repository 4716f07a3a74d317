package dev.daxfs.fs;

import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.dax.PageIdleListener;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Frees orphans whose blocks a device was still writing when their last user went away
 * (DESIGN.md, "Eviction"). Nobody blocks on them: the inode stays on the persistent orphan list
 * and is queued here; its busy pages are marked watched, and the unpin that makes a watched
 * page idle only wakes this worker ({@link #pageIdle} runs on the unpinning thread and takes no
 * lock). The worker then takes the ordinary locks, rescans and frees. A crash in between leaks
 * nothing: recovery frees every orphan.
 *
 * <p>The worker thread starts on the first orphan that has to wait, so the many short-lived
 * mounts of crash checking never start one.
 */
final class Reaper implements PageIdleListener {

  /** Frees the inodes. */
  private final Eviction eviction;

  /** Orphans waiting for their pages to go idle. */
  private final Set<Inode> pending = ConcurrentHashMap.newKeySet();

  /** Released by whoever has news: a new orphan, an idle page, or the stop. */
  private final Semaphore news = new Semaphore(0);

  /** The worker; started lazily; guarded by this. */
  private Thread worker;

  /** Set when the filesystem unmounts. */
  private volatile boolean stopping;

  Reaper(Eviction eviction) {
    this.eviction = eviction;
  }

  /** Queues an orphan that could not be freed yet. */
  void add(Inode in) {
    pending.add(in);
    synchronized (this) {
      if (worker == null && !stopping) {
        worker = new Thread(this::run, "daxfs-reaper");
        worker.setDaemon(true);
        worker.start();
      }
    }
    news.release();
  }

  @Override
  public void pageIdle(PageDescriptors pages, long pfn) {
    news.release();
  }

  /** Orphans still waiting for DMA to finish. */
  int pendingCount() {
    return pending.size();
  }

  private void run() {
    while (!stopping) {
      try {
        news.acquire();
      } catch (InterruptedException e) {
        return;
      }
      news.drainPermits();
      for (Inode in : pending) {
        if (stopping) {
          return;
        }
        if (eviction.tryReap(in)) {
          pending.remove(in);
        }
      }
    }
  }

  /** Stops the worker (unmount); orphans still pending are the unmount's to free. */
  void stop() {
    stopping = true;
    news.release();
    Thread w;
    synchronized (this) {
      w = worker;
    }
    if (w != null) {
      try {
        w.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
