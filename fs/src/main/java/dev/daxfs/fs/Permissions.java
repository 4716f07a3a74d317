package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;

/**
 * Linux's permission rules for the in-process API (a FUSE mount with default_permissions lets
 * the kernel check most of them first; daxfs checks again, which costs little and keeps the
 * Java API honest).
 */
final class Permissions {
  private Permissions() {}

  static final int R = 4;
  static final int W = 2;
  static final int X = 1;

  /**
   * Checks {@code mask} (R, W, X bits) on {@code in} for {@code cred}.
   *
   * @throws ErrnoException EACCES when denied
   */
  static void check(Cred cred, Inode in, int mask, String what) {
    if (!allowed(cred, in, mask)) {
      throw new ErrnoException(Errno.EACCES, what);
    }
  }

  static boolean allowed(Cred cred, Inode in, int mask) {
    int mode = in.mode;
    if (cred.has(Cred.Cap.DAC_OVERRIDE)) {
      // Root may execute only what someone may execute, and search any directory.
      if ((mask & X) == 0 || in.isDir() || (mode & 0111) != 0) {
        return true;
      }
    }
    int bits;
    if (cred.uid() == in.uid) {
      bits = (mode >> 6) & 7;
    } else if (cred.inGroup(in.gid)) {
      bits = (mode >> 3) & 7;
    } else {
      bits = mode & 7;
    }
    return (bits & mask) == mask;
  }

  /** True when the caller owns {@code in} or may act as its owner. */
  static boolean ownerOrFowner(Cred cred, Inode in) {
    return cred.uid() == in.uid || cred.has(Cred.Cap.FOWNER);
  }

  /**
   * The sticky-directory rule: in a directory with S_ISVTX only the owner of the entry, the
   * owner of the directory or CAP_FOWNER may remove or rename it.
   */
  static void checkSticky(Cred cred, Inode dir, Inode victim) {
    if ((dir.mode & Mode.S_ISVTX) != 0 && cred.uid() != victim.uid && cred.uid() != dir.uid
        && !cred.has(Cred.Cap.FOWNER)) {
      throw new ErrnoException(Errno.EPERM, "sticky directory: only the owner may remove "
          + "or rename this entry");
    }
  }

  /**
   * The mode after an unprivileged write or truncate (file_remove_privs): set-user-ID is
   * dropped, and set-group-ID when group-execute is set; unchanged with CAP_FSETID.
   */
  static int afterWrite(Cred cred, int mode) {
    if (cred.has(Cred.Cap.FSETID)) {
      return mode;
    }
    return killSuid(mode);
  }

  /** Drops S_ISUID, and S_ISGID when the group may execute (a plain S_ISGID is a lock bit). */
  static int killSuid(int mode) {
    int m = mode & ~Mode.S_ISUID;
    if ((m & (Mode.S_ISGID | 0010)) == (Mode.S_ISGID | 0010)) {
      m &= ~Mode.S_ISGID;
    }
    return m;
  }
}
