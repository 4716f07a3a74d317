package dev.daxfs.fs;

/**
 * The changes a setattr asks for; unset fields are left alone. Times take {@link #NOW} for
 * "the current time" (UTIME_NOW) and are simply not set for UTIME_OMIT.
 */
public final class SetAttr {

  /** A time value meaning "now" (UTIME_NOW). */
  public static final long NOW = Long.MIN_VALUE;

  Integer mode;
  Integer uid;
  Integer gid;
  Long size;
  Long atime;
  Long mtime;
  Long ctime;

  /** Set when the size change comes through an open handle (ftruncate). */
  FileHandle handle;

  public static SetAttr create() {
    return new SetAttr();
  }

  public SetAttr mode(int m) {
    mode = m;
    return this;
  }

  public SetAttr uid(int u) {
    uid = u;
    return this;
  }

  public SetAttr gid(int g) {
    gid = g;
    return this;
  }

  public SetAttr size(long s) {
    size = s;
    return this;
  }

  public SetAttr atime(long ns) {
    atime = ns;
    return this;
  }

  public SetAttr mtime(long ns) {
    mtime = ns;
    return this;
  }

  /** Only the kernel's own paths set ctime explicitly; FUSE may forward it. */
  public SetAttr ctime(long ns) {
    ctime = ns;
    return this;
  }

  /** The open handle a truncate comes through (permission was checked at open). */
  public SetAttr handle(FileHandle h) {
    handle = h;
    return this;
  }

  public boolean isEmpty() {
    return mode == null && uid == null && gid == null && size == null && atime == null
        && mtime == null && ctime == null;
  }

  @Override
  public String toString() {
    return "SetAttr{mode=" + (mode == null ? null : Integer.toOctalString(mode)) + ", uid=" + uid
        + ", gid=" + gid + ", size=" + size + ", atime=" + atime + ", mtime=" + mtime + "}";
  }
}
