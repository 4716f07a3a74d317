package dev.daxfs.fs;

import java.util.Arrays;

/**
 * Taking several inode locks at once. The order is ascending inode number; since no code path
 * holds one inode's lock while taking another's except through here, and cross-directory
 * renames take {@link Volume#renameLock} before any inode lock, lock cycles cannot form.
 */
final class Locks {
  private Locks() {}

  /** The distinct inodes of {@code inodes} (nulls dropped) in lock order. */
  static Inode[] ordered(Inode... inodes) {
    Inode[] out = new Inode[inodes.length];
    int n = 0;
    for (Inode in : inodes) {
      if (in == null) {
        continue;
      }
      // Insertion sort of at most four inodes, dropping repeats.
      int i = n - 1;
      boolean repeat = false;
      for (int k = 0; k < n; k++) {
        repeat |= out[k] == in;
      }
      if (repeat) {
        continue;
      }
      while (i >= 0 && out[i].ino > in.ino) {
        out[i + 1] = out[i];
        i--;
      }
      out[i + 1] = in;
      n++;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /** Write-locks {@code inodes} in order; returns them for {@link #unlock}. */
  static Inode[] lockAll(Inode... inodes) {
    Inode[] o = ordered(inodes);
    for (Inode in : o) {
      in.lock.writeLock().lock();
    }
    return o;
  }

  static void unlock(Inode[] locked) {
    for (int i = locked.length - 1; i >= 0; i--) {
      locked[i].lock.writeLock().unlock();
    }
  }
}
