package dev.daxfs.tools.fuse;

import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The changes one setattr request asks for (chmod, chown, truncate, utimensat, futimens,
 * ftruncate): only the present fields change.
 *
 * @param mode new permission bits (the file type bits are not changed)
 * @param uid new owner
 * @param gid new group
 * @param size new size (truncate or extend)
 * @param atime how the access time changes
 * @param mtime how the modification time changes
 * @param ctime an explicit status-change time; the filesystem updates ctime itself otherwise
 * @param fh the file handle when the change came through an open file (ftruncate, futimens)
 */
public record SetAttr(
    OptionalInt mode,
    OptionalInt uid,
    OptionalInt gid,
    OptionalLong size,
    TimeUpdate atime,
    TimeUpdate mtime,
    TimeUpdate ctime,
    OptionalLong fh) {

  public SetAttr {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(atime, "atime");
    Objects.requireNonNull(mtime, "mtime");
    Objects.requireNonNull(ctime, "ctime");
    Objects.requireNonNull(fh, "fh");
  }

  /** Decodes libfuse's {@code struct stat} and {@code to_set} mask. */
  static SetAttr decode(com.sun.jna.Pointer st, int toSet, com.sun.jna.Pointer fi) {
    return new SetAttr(
        has(toSet, FuseConstants.FUSE_SET_ATTR_MODE)
            ? OptionalInt.of(st.getInt(Layouts.ST_MODE) & 07777) : OptionalInt.empty(),
        has(toSet, FuseConstants.FUSE_SET_ATTR_UID)
            ? OptionalInt.of(st.getInt(Layouts.ST_UID)) : OptionalInt.empty(),
        has(toSet, FuseConstants.FUSE_SET_ATTR_GID)
            ? OptionalInt.of(st.getInt(Layouts.ST_GID)) : OptionalInt.empty(),
        has(toSet, FuseConstants.FUSE_SET_ATTR_SIZE)
            ? OptionalLong.of(st.getLong(Layouts.ST_SIZE)) : OptionalLong.empty(),
        time(st, Layouts.ST_ATIM, toSet, FuseConstants.FUSE_SET_ATTR_ATIME,
            FuseConstants.FUSE_SET_ATTR_ATIME_NOW),
        time(st, Layouts.ST_MTIM, toSet, FuseConstants.FUSE_SET_ATTR_MTIME,
            FuseConstants.FUSE_SET_ATTR_MTIME_NOW),
        has(toSet, FuseConstants.FUSE_SET_ATTR_CTIME)
            ? TimeUpdate.at(nanos(st, Layouts.ST_CTIM)) : TimeUpdate.OMIT,
        fi == null ? OptionalLong.empty() : OptionalLong.of(fi.getLong(Layouts.FI_FH)));
  }

  private static boolean has(int toSet, int bit) {
    return (toSet & bit) != 0;
  }

  // The kernel sends FATTR_ATIME with FATTR_ATIME_NOW for UTIME_NOW; libfuse passes both bits.
  private static TimeUpdate time(com.sun.jna.Pointer st, long at, int toSet, int set, int now) {
    if (has(toSet, now)) {
      return TimeUpdate.NOW;
    }
    return has(toSet, set) ? TimeUpdate.at(nanos(st, at)) : TimeUpdate.OMIT;
  }

  private static long nanos(com.sun.jna.Pointer st, long at) {
    return st.getLong(at + Layouts.TV_SEC) * 1_000_000_000L + st.getLong(at + Layouts.TV_NSEC);
  }
}
