package dev.daxfs.fs;

/**
 * Wall-clock time in milliseconds, about a tick behind (more if the machine is so loaded that
 * the ticker oversleeps), for decisions that are coarse by nature (relatime's "atime older than
 * a day"), like the jiffies behind Linux's coarse clocks.
 * Reading it is one volatile load, where asking the system for the time costs each read() about
 * 20 ns on this path; one daemon thread per process refreshes it.
 */
final class CoarseClock {

  /** How often the time is refreshed. */
  static final long TICK_MILLIS = 1000;

  /** The time at the last tick. */
  private static volatile long millis = System.currentTimeMillis();

  static {
    Thread ticker = new Thread(CoarseClock::tick, "daxfs-coarse-clock");
    ticker.setDaemon(true);
    ticker.start();
  }

  private CoarseClock() {}

  /** Milliseconds since the epoch, about {@link #TICK_MILLIS} old at most; never ahead. */
  static long millis() {
    return millis;
  }

  private static void tick() {
    while (true) {
      try {
        Thread.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        // Nobody interrupts this thread on purpose; keep ticking.
      }
      millis = System.currentTimeMillis();
    }
  }
}
