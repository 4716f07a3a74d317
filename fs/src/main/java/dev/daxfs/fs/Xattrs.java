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

  /** An attribute's value and the log entry that set it. */
  private record Value(byte[] bytes, LogLiveness.Ref setter) {}

  /** Attributes by name; null until the first (most inodes never have one). */
  private TreeMap<String, Value> values;

  /** Sum of name and value lengths. */
  private int total;

  byte[] get(String name) {
    Value v = values == null ? null : values.get(name);
    return v == null ? null : v.bytes();
  }

  boolean contains(String name) {
    return values != null && values.containsKey(name);
  }

  /** Sets {@code name}; returns the log entry that set its previous value, or null. */
  LogLiveness.Ref set(String name, byte[] value, LogLiveness.Ref ref) {
    if (values == null) {
      values = new TreeMap<>();
    }
    Value old = values.put(name, new Value(value, ref));
    if (old == null) {
      total += cost(name, value);
      return null;
    }
    total += cost(name, value) - cost(name, old.bytes());
    return old.setter();
  }

  /** Removes {@code name}; returns the log entry that had set it, or null. */
  LogLiveness.Ref remove(String name) {
    Value old = values == null ? null : values.remove(name);
    if (old == null) {
      return null;
    }
    total -= cost(name, old.bytes());
    return old.setter();
  }

  /** Bytes the inode would hold after setting {@code name} to a value of {@code len} bytes. */
  int totalAfterSet(String name, int len) {
    byte[] old = get(name);
    return total - (old == null ? 0 : cost(name, old)) + name.length() + len;
  }

  private static int cost(String name, byte[] value) {
    return name.length() + value.length;
  }

  List<String> names() {
    return values == null ? new ArrayList<>() : new ArrayList<>(values.keySet());
  }

  int size() {
    return values == null ? 0 : values.size();
  }
}
