package dev.daxfs.pmem;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A range of persistent memory: the one abstraction every layer above stores through.
 *
 * <p>Offsets are 64-bit byte offsets from the start of the region. Every access is bounds
 * checked and throws {@link IndexOutOfBoundsException} outside {@code [0, size())}. Multi-byte
 * values are little-endian, as on the media format.
 *
 * <p>Persistence follows the x86 model: a store reaches the CPU cache; {@link #flush} starts
 * writing back the 64-byte lines it covers; {@link #fence} orders those write-backs before any
 * later store. Only a range that was flushed and then fenced is durable. An aligned 8-byte store
 * is failure-atomic: after a crash it is seen whole or not at all; nothing larger is.
 *
 * <p>Every store made above the pmem module goes through these methods (bulk copies, DMA writes
 * and stores through DAX mappings included); a raw address never leaves a backend, so a
 * decorator such as {@link CrashRecordingRegion} sees every store.
 *
 * <p>Loads of a poisoned line throw {@link MediaErrorException}; see {@link #poison}.
 *
 * <p>Implementations are thread-safe in the way memory is: concurrent accesses to different
 * bytes never interfere, and {@link #compareAndSwapLong} is atomic.
 */
public interface PmemRegion extends AutoCloseable {

  /** Size of a CPU cache line, the unit of write-back and of crash tracking. */
  int CACHE_LINE = 64;

  /** Size of a page, the unit of mapping, pinning and allocation above this module. */
  int PAGE_SIZE = 4096;

  /** The region's size in bytes. */
  long size();

  byte loadByte(long off);

  int loadInt(long off);

  long loadLong(long off);

  /** Copies {@code len} bytes at {@code off} into {@code dst[dstOff..]}. */
  void load(long off, byte[] dst, int dstOff, int len);

  /** Copies {@code dst.remaining()} bytes at {@code off} into {@code dst}, advancing it. */
  void load(long off, ByteBuffer dst);

  void storeByte(long off, byte value);

  void storeInt(long off, int value);

  /**
   * Stores a long with release ordering: earlier stores are visible to other threads before it.
   * When {@code off} is 8-byte aligned the store is failure-atomic.
   */
  void storeLong(long off, long value);

  /** Copies {@code src[srcOff..srcOff+len)} to {@code off}. */
  void store(long off, byte[] src, int srcOff, int len);

  /** Copies {@code src.remaining()} bytes to {@code off}, advancing {@code src}. */
  void store(long off, ByteBuffer src);

  /** Copies {@code len} bytes inside the region (the ranges may overlap), without flushing. */
  void copy(long srcOff, long dstOff, long len);

  /** Sets {@code len} bytes at {@code off} to {@code value}, without flushing. */
  void fill(long off, long len, byte value);

  /** Atomically replaces the aligned long at {@code off} if it equals {@code expected}. */
  boolean compareAndSwapLong(long off, long expected, long update);

  /** Writes back the cache lines covering {@code [off, off+len)}; durable after {@link #fence}. */
  void flush(long off, long len);

  /** Orders every earlier flush before every later store (sfence). */
  void fence();

  /** {@link #flush} then {@link #fence}: the range is durable when this returns. */
  default void persist(long off, long len) {
    flush(off, len);
    fence();
  }

  /** Stores {@code src} at {@code off} and makes it durable (pmem_memcpy_persist). */
  default void storePersist(long off, byte[] src, int srcOff, int len) {
    store(off, src, srcOff, len);
    persist(off, len);
  }

  /** Copies inside the region and makes the destination durable. */
  default void copyPersist(long srcOff, long dstOff, long len) {
    copy(srcOff, dstOff, len);
    persist(dstOff, len);
  }

  /** Fills a range and makes it durable (pmem_memset_persist). */
  default void fillPersist(long off, long len, byte value) {
    fill(off, len, value);
    persist(off, len);
  }

  /** CRC32C of {@code [off, off+len)}, read through the region (poison applies). */
  int crc32c(long off, long len);

  /**
   * Marks the cache lines covering {@code [off, off+len)} as poisoned: loads from them throw
   * {@link MediaErrorException} until a store overwrites a whole line, which clears that line.
   */
  void poison(long off, long len);

  /** The poisoned ranges, line-aligned, sorted and merged. */
  List<Range> poisoned();

  /** True when a line of {@code [off, off+len)} is poisoned (cheap when nothing is). */
  default boolean isPoisoned(long off, long len) {
    for (Range r : poisoned()) {
      if (r.overlaps(off, len)) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when the region was opened read-only: stores, copies, fills and CAS throw {@link
   * IllegalStateException}; loads, flushes and fences work.
   */
  default boolean readOnly() {
    return false;
  }

  /** How flushes cost time on this region, for benchmarks and {@code inspect}. */
  FlushModel flushModel();

  /** One line naming the backend and where it lives, e.g. "emulated pmem /dev/shm/daxfs". */
  String describe();

  /** Releases the mapping; any later access fails. */
  @Override
  void close();
}
