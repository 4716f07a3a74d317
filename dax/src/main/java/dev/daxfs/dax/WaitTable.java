package dev.daxfs.dax;

/**
 * Hashed wait-queue heads, like the kernel's bit-wait and DAX entry wait tables: waiters for a
 * key sleep on the monitor its key hashes to, and a waker notifies everyone on that monitor.
 * Sharing a head between keys costs a spurious wake-up now and then, never a lost one, because
 * every waiter rechecks its own condition under the monitor.
 */
final class WaitTable {

  /** The monitors; a power-of-two count so a key hashes with a shift. */
  private final Object[] heads;

  /** 64 minus log2(heads.length): the shift that turns a mixed hash into a head number. */
  private final int shift;

  WaitTable(int size) {
    if (size <= 0 || Integer.bitCount(size) != 1) {
      throw new IllegalArgumentException("wait table size must be a power of two: " + size);
    }
    heads = new Object[size];
    for (int i = 0; i < size; i++) {
      heads[i] = new Object();
    }
    shift = 64 - Integer.numberOfTrailingZeros(size);
  }

  /** The monitor that waiters for {@code key} sleep on. */
  Object head(long key) {
    // Fibonacci hashing spreads neighbouring page numbers over different heads.
    return heads[(int) ((key * 0x9E3779B97F4A7C15L) >>> shift)];
  }

  /** Wakes every thread sleeping on {@code key}'s head. */
  void wakeAll(long key) {
    Object head = head(key);
    synchronized (head) {
      head.notifyAll();
    }
  }
}
