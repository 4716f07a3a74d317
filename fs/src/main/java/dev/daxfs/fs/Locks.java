package dev.daxfs.fs;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Taking several inode locks at once. The order is ascending inode number; since no code path
 * holds one inode's lock while taking another's except through here, and cross-directory
 * renames take {@link Volume#renameLock} before any inode lock, lock cycles cannot form.
 */
final class Locks {
  private Locks() {}

  /** The distinct inodes of {@code inodes} (nulls dropped) in lock order. */
  static Inode[] ordered(Inode... inodes) {
    return Arrays.stream(inodes)
        .filter(java.util.Objects::nonNull)
        .distinct()
        .sorted(Comparator.comparingLong(i -> i.ino))
        .toArray(Inode[]::new);
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
