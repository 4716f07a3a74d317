package dev.daxfs.fs;

import java.util.Arrays;

/**
 * The credentials an operation runs with: what the FUSE layer reads from each request, or what
 * an in-process caller states. Root (uid 0) holds every capability unless told otherwise.
 */
public final class Cred {

  /** Capabilities daxfs consults, as Linux names them. */
  public enum Cap {
    /** Change a file's owner, and its group to any group. */
    CHOWN,
    /** Act as the owner of any file (chmod, utimes, sticky-directory deletes). */
    FOWNER,
    /** Keep set-user-ID and set-group-ID bits on write and chown. */
    FSETID,
    /** Bypass read, write and search permission checks. */
    DAC_OVERRIDE,
    /** Set trusted.* extended attributes. */
    SYS_ADMIN,
    /** Create device nodes. */
    MKNOD
  }

  private static final int ALL = (1 << Cap.values().length) - 1;

  /** Effective user id. */
  private final int uid;

  /** Effective group id. */
  private final int gid;

  /** Supplementary groups, sorted. */
  private final int[] groups;

  /** Capability bits by {@link Cap#ordinal()}. */
  private final int caps;

  private Cred(int uid, int gid, int[] groups, int caps) {
    this.uid = uid;
    this.gid = gid;
    this.groups = groups.clone();
    Arrays.sort(this.groups);
    this.caps = caps;
  }

  /** Root with every capability. */
  public static Cred root() {
    return new Cred(0, 0, new int[0], ALL);
  }

  /** An unprivileged user (no capabilities, even for uid 0). */
  public static Cred user(int uid, int gid, int... groups) {
    return new Cred(uid, gid, groups, 0);
  }

  /** A caller as the kernel describes it: uid 0 gets every capability, others none. */
  public static Cred of(int uid, int gid, int... groups) {
    return new Cred(uid, gid, groups, uid == 0 ? ALL : 0);
  }

  /** The same caller with exactly {@code granted} capabilities. */
  public Cred withCaps(Cap... granted) {
    int c = 0;
    for (Cap cap : granted) {
      c |= 1 << cap.ordinal();
    }
    return new Cred(uid, gid, groups, c);
  }

  public int uid() {
    return uid;
  }

  public int gid() {
    return gid;
  }

  public int[] groups() {
    return groups.clone();
  }

  public boolean has(Cap cap) {
    return (caps & (1 << cap.ordinal())) != 0;
  }

  /** True when {@code g} is the caller's group or one of its supplementary groups. */
  public boolean inGroup(int g) {
    return g == gid || Arrays.binarySearch(groups, g) >= 0;
  }

  @Override
  public String toString() {
    return "uid=" + uid + " gid=" + gid + " groups=" + Arrays.toString(groups);
  }
}
