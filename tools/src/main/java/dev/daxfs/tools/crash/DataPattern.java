package dev.daxfs.tools.crash;

import java.nio.charset.StandardCharsets;

/**
 * The bytes a workload writes: derived from the path, the file offset and a per-workload counter
 * (the operation's position in its workload), so that every write puts different bytes in every
 * place and misplaced, stale or torn data shows. No byte is zero, so written data never looks
 * like a hole.
 */
final class DataPattern {
  private DataPattern() {}

  /** {@code len} bytes for file offsets {@code [off, off+len)} of write number {@code counter}. */
  static byte[] bytes(String path, long counter, long off, int len) {
    byte[] out = new byte[len];
    long key = fnv(path) ^ (counter * 0x9E3779B97F4A7C15L);
    long word = Long.MIN_VALUE;
    long bits = 0;
    for (int i = 0; i < len; i++) {
      long at = off + i;
      if ((at >>> 3) != word) {
        word = at >>> 3;
        bits = mix(key + word);
      }
      out[i] = (byte) ((bits >>> (8 * (at & 7))) | 1);
    }
    return out;
  }

  /** splitmix64's finaliser. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
