package dev.daxfs.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * An inode's extended attributes in DRAM, rebuilt from XATTR_SET and XATTR_DEL entries.
 * Not thread-safe: the inode's lock guards it.
 */
final class Xattrs {

  /** Longest attribute name in bytes, prefix included (XATTR_NAME_MAX). */
  static final int MAX_NAME = 255;

  /** Largest value Linux accepts at all (XATTR_SIZE_MAX); larger values give E2BIG. */
  static final int MAX_VALUE_LINUX = 65536;

  /** Largest value daxfs stores: it must fit one log entry with its name (else ENOSPC). */
  static final int MAX_VALUE = LogEntry.MAX_LENGTH - LogEntry.HEADER - 16 - MAX_NAME;

  /** Most bytes of names and values one inode may hold (else ENOSPC), as ext4's one block. */
  static final int MAX_TOTAL = 64 * 1024;

  /** Attributes by name. */
  private final TreeMap<String, byte[]> values = new TreeMap<>();

  /** The log entry that set each attribute. */
  private final java.util.HashMap<String, LogLiveness.Ref> refs = new java.util.HashMap<>();

  /** Sum of name and value lengths. */
  private int total;

  byte[] get(String name) {
    return values.get(name);
  }

  boolean contains(String name) {
    return values.containsKey(name);
  }

  /** Sets {@code name}; returns the log entry that set its previous value, or null. */
  LogLiveness.Ref set(String name, byte[] value, LogLiveness.Ref ref) {
    byte[] old = values.put(name, value);
    if (old != null) {
      total -= cost(name, old);
    }
    total += cost(name, value);
    return refs.put(name, ref);
  }

  /** Removes {@code name}; returns the log entry that had set it, or null. */
  LogLiveness.Ref remove(String name) {
    byte[] old = values.remove(name);
    if (old != null) {
      total -= cost(name, old);
    }
    return refs.remove(name);
  }

  /** Bytes the inode would hold after setting {@code name} to a value of {@code len} bytes. */
  int totalAfterSet(String name, int len) {
    byte[] old = values.get(name);
    return total - (old == null ? 0 : cost(name, old)) + cost(name, new byte[0]) + len;
  }

  private static int cost(String name, byte[] value) {
    return name.length() + value.length;
  }

  List<String> names() {
    return new ArrayList<>(values.keySet());
  }

  int size() {
    return values.size();
  }
}
