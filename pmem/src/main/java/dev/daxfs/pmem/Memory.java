package dev.daxfs.pmem;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import sun.misc.Unsafe;

/**
 * Loads, stores and copies at raw addresses, for the backends that map a region into the
 * process. Nothing outside a backend sees an address.
 *
 * <p>Multi-byte values are little-endian whatever the CPU's order (the media format is
 * little-endian). Copies larger than {@link #COPY_CHUNK} run in chunks so that a huge copy does
 * not hold off a safepoint, as the JDK's own direct buffers do.
 */
final class Memory {

  /** The JDK's raw memory access; the mapping's address is only meaningful through it. */
  private static final Unsafe UNSAFE = loadUnsafe();

  /** Offset of element 0 in a byte[]. */
  private static final long BYTE_ARRAY_BASE = UNSAFE.arrayBaseOffset(byte[].class);

  /** True on a big-endian CPU, where values are byte-swapped to keep the media little-endian. */
  private static final boolean SWAP = ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN;

  /** Largest piece a copy or fill hands to the JDK at once (the JDK's own threshold). */
  static final long COPY_CHUNK = 1L << 20;

  private Memory() {}

  private static Unsafe loadUnsafe() {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (Unsafe) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static byte getByte(long address) {
    return UNSAFE.getByte(address);
  }

  static void putByte(long address, byte value) {
    UNSAFE.putByte(address, value);
  }

  static int getInt(long address) {
    int v = UNSAFE.getInt(address);
    return SWAP ? Integer.reverseBytes(v) : v;
  }

  static void putInt(long address, int value) {
    UNSAFE.putInt(address, SWAP ? Integer.reverseBytes(value) : value);
  }

  static long getLong(long address) {
    long v = UNSAFE.getLong(address);
    return SWAP ? Long.reverseBytes(v) : v;
  }

  /** A store that no earlier load or store may be reordered after (release). */
  static void putLongRelease(long address, long value) {
    UNSAFE.putOrderedLong(null, address, SWAP ? Long.reverseBytes(value) : value);
  }

  /** Atomic compare-and-set of the aligned long at {@code address}. */
  static boolean compareAndSwapLong(long address, long expected, long update) {
    if (SWAP) {
      expected = Long.reverseBytes(expected);
      update = Long.reverseBytes(update);
    }
    return UNSAFE.compareAndSwapLong(null, address, expected, update);
  }

  /** Copies {@code len} bytes from {@code address} into {@code dst[dstOff..]}. */
  static void copyToArray(long address, byte[] dst, int dstOff, int len) {
    long done = 0;
    while (done < len) {
      long n = Math.min(COPY_CHUNK, len - done);
      UNSAFE.copyMemory(null, address + done, dst, BYTE_ARRAY_BASE + dstOff + done, n);
      done += n;
    }
  }

  /** Copies {@code src[srcOff..srcOff+len)} to {@code address}. */
  static void copyFromArray(byte[] src, int srcOff, long address, int len) {
    long done = 0;
    while (done < len) {
      long n = Math.min(COPY_CHUNK, len - done);
      UNSAFE.copyMemory(src, BYTE_ARRAY_BASE + srcOff + done, null, address + done, n);
      done += n;
    }
  }

  /**
   * Copies {@code len} bytes from {@code src} to {@code dst}; the ranges may overlap (each
   * chunk is a memmove, and chunks run backwards when the destination lies above the source).
   */
  static void move(long src, long dst, long len) {
    if (dst <= src || dst >= src + len) {
      for (long done = 0; done < len; ) {
        long n = Math.min(COPY_CHUNK, len - done);
        UNSAFE.copyMemory(null, src + done, null, dst + done, n);
        done += n;
      }
    } else {
      for (long left = len; left > 0; ) {
        long n = Math.min(COPY_CHUNK, left);
        left -= n;
        UNSAFE.copyMemory(null, src + left, null, dst + left, n);
      }
    }
  }

  static void fill(long address, long len, byte value) {
    for (long done = 0; done < len; ) {
      long n = Math.min(COPY_CHUNK, len - done);
      UNSAFE.setMemory(address + done, n, value);
      done += n;
    }
  }

  /** Unmaps a mapped or direct buffer now rather than when it is collected. */
  static void unmap(ByteBuffer buffer) {
    UNSAFE.invokeCleaner(buffer);
  }
}
