package dev.daxfs.fs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A directory's DRAM entries, rebuilt from its log: names for lookup, and the same entries by
 * cookie for readdir. A cookie is assigned once when an entry is added and recorded in its log
 * entry, so a readdir offset stays valid while other entries come and go. Cookies 1 and 2 are
 * "." and ".."; stored entries start at {@link #FIRST_COOKIE}.
 *
 * <p>Not thread-safe: the directory inode's lock guards it.
 */
final class Directory {

  static final long FIRST_COOKIE = 3;

  /** One stored name, and the log entry that added it. */
  record Dentry(Name name, long ino, int type, long cookie, LogLiveness.Ref ref) {}

  /** Entries by name. */
  private final Map<Name, Dentry> byName = new HashMap<>();

  /** Entries by cookie, for readdir. */
  private final TreeMap<Long, Dentry> byCookie = new TreeMap<>();

  /** The cookie the next added entry gets. */
  private long nextCookie = FIRST_COOKIE;

  /** Subdirectories among the entries (for the directory's link count). */
  private int subdirs;

  Dentry get(Name name) {
    return byName.get(name);
  }

  /**
   * Adds an entry with a cookie taken from {@link #reserveCookie}, or replayed from media;
   * returns the entry it replaced (none in a consistent log), or null.
   */
  Dentry add(Name name, long ino, int type, long cookie, LogLiveness.Ref ref) {
    Dentry d = new Dentry(name, ino, type, cookie, ref);
    Dentry old = byName.put(name, d);
    if (old != null) {
      byCookie.remove(old.cookie());
      if (Mode.isDir(old.type())) {
        subdirs--;
      }
    }
    byCookie.put(cookie, d);
    if (Mode.isDir(type)) {
      subdirs++;
    }
    nextCookie = Math.max(nextCookie, cookie + 1);
    return old;
  }

  /** Raises the next cookie (a rewritten log records it, so cookies are never reused). */
  void cookiesFrom(long next) {
    nextCookie = Math.max(nextCookie, next);
  }

  /** The entry holding {@code cookie}, or null. */
  Dentry byCookie(long cookie) {
    return byCookie.get(cookie);
  }

  /** Removes the entry {@code name}; returns it, or null. */
  Dentry remove(Name name) {
    Dentry d = byName.remove(name);
    if (d != null) {
      byCookie.remove(d.cookie());
      if (Mode.isDir(d.type())) {
        subdirs--;
      }
    }
    return d;
  }

  /** The cookie for the next entry; the caller records it in the entry's log record. */
  long reserveCookie() {
    return nextCookie;
  }

  /** Up to {@code max} entries with cookies greater than {@code after}, in cookie order. */
  List<Dentry> after(long after, int max) {
    List<Dentry> out = new ArrayList<>();
    for (Dentry d : byCookie.tailMap(after, false).values()) {
      if (out.size() >= max) {
        break;
      }
      out.add(d);
    }
    return out;
  }

  int size() {
    return byName.size();
  }

  boolean isEmpty() {
    return byName.isEmpty();
  }

  int subdirs() {
    return subdirs;
  }

  /** Every entry, by cookie. */
  List<Dentry> all() {
    return new ArrayList<>(byCookie.values());
  }
}
