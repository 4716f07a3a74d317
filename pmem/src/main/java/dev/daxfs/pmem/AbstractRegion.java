package dev.daxfs.pmem;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * What every backend shares: bounds checks, the closed state and poisoned lines. A backend
 * implements the unchecked {@code raw*} operations over its memory.
 */
public abstract class AbstractRegion implements PmemRegion {

  /** Region size in bytes, fixed at open. */
  private final long size;

  /** Poisoned cache-line numbers (offset / 64); writers and readers may race, hence the set. */
  private final NavigableSet<Long> poisonedLines = new ConcurrentSkipListSet<>();

  /** True while any line is poisoned: keeps the load path to one volatile read otherwise. */
  private volatile boolean anyPoison;

  /** Set by {@link #close()}; a closed region refuses access. */
  private volatile boolean closed;

  /** True when the region was opened read-only: every store is refused before it reaches memory. */
  private final boolean readOnly;

  protected AbstractRegion(long size) {
    this(size, false);
  }

  protected AbstractRegion(long size, boolean readOnly) {
    if (size <= 0) {
      throw new IllegalArgumentException("region size must be positive: " + size);
    }
    this.size = size;
    this.readOnly = readOnly;
  }

  @Override
  public final boolean readOnly() {
    return readOnly;
  }

  @Override
  public final long size() {
    return size;
  }

  // ---- backend operations, called after the checks -------------------------------------

  protected abstract byte rawLoadByte(long off);

  protected abstract int rawLoadInt(long off);

  protected abstract long rawLoadLong(long off);

  protected abstract void rawLoad(long off, byte[] dst, int dstOff, int len);

  protected abstract void rawLoad(long off, ByteBuffer dst);

  protected abstract void rawStoreByte(long off, byte value);

  protected abstract void rawStoreInt(long off, int value);

  protected abstract void rawStoreLong(long off, long value);

  protected abstract void rawStore(long off, byte[] src, int srcOff, int len);

  protected abstract void rawStore(long off, ByteBuffer src);

  protected abstract void rawCopy(long srcOff, long dstOff, long len);

  protected abstract void rawFill(long off, long len, byte value);

  protected abstract boolean rawCompareAndSwapLong(long off, long expected, long update);

  protected abstract int rawCrc32c(long off, long len);

  protected abstract void rawFlush(long off, long len);

  protected abstract void rawFence();

  protected abstract void rawClose();

  // ---- checked public operations -------------------------------------------------------

  @Override
  public final byte loadByte(long off) {
    checkLoad(off, 1);
    return rawLoadByte(off);
  }

  @Override
  public final int loadInt(long off) {
    checkLoad(off, 4);
    return rawLoadInt(off);
  }

  @Override
  public final long loadLong(long off) {
    checkLoad(off, 8);
    return rawLoadLong(off);
  }

  @Override
  public final void load(long off, byte[] dst, int dstOff, int len) {
    Objects.checkFromIndexSize(dstOff, len, dst.length);
    checkLoad(off, len);
    rawLoad(off, dst, dstOff, len);
  }

  @Override
  public final void load(long off, ByteBuffer dst) {
    checkLoad(off, dst.remaining());
    rawLoad(off, dst);
  }

  @Override
  public final void storeByte(long off, byte value) {
    checkStore(off, 1);
    rawStoreByte(off, value);
  }

  @Override
  public final void storeInt(long off, int value) {
    checkStore(off, 4);
    rawStoreInt(off, value);
  }

  @Override
  public final void storeLong(long off, long value) {
    checkStore(off, 8);
    rawStoreLong(off, value);
  }

  @Override
  public final void store(long off, byte[] src, int srcOff, int len) {
    Objects.checkFromIndexSize(srcOff, len, src.length);
    checkStore(off, len);
    rawStore(off, src, srcOff, len);
  }

  @Override
  public final void store(long off, ByteBuffer src) {
    checkStore(off, src.remaining());
    rawStore(off, src);
  }

  @Override
  public final void copy(long srcOff, long dstOff, long len) {
    checkLoad(srcOff, len);
    checkStore(dstOff, len);
    rawCopy(srcOff, dstOff, len);
  }

  @Override
  public final void fill(long off, long len, byte value) {
    checkStore(off, len);
    rawFill(off, len, value);
  }

  @Override
  public final boolean compareAndSwapLong(long off, long expected, long update) {
    checkAligned(off);
    checkLoad(off, 8);
    checkStore(off, 8);
    return rawCompareAndSwapLong(off, expected, update);
  }

  @Override
  public final int crc32c(long off, long len) {
    checkLoad(off, len);
    return rawCrc32c(off, len);
  }

  @Override
  public final void flush(long off, long len) {
    checkRange(off, len);
    rawFlush(off, len);
  }

  @Override
  public final void fence() {
    checkOpen();
    rawFence();
  }

  @Override
  public final void close() {
    if (!closed) {
      closed = true;
      rawClose();
    }
  }

  // ---- media errors --------------------------------------------------------------------

  @Override
  public void poison(long off, long len) {
    checkRange(off, len);
    for (long line = off / CACHE_LINE; line * CACHE_LINE < off + len; line++) {
      poisonedLines.add(line);
    }
    anyPoison = !poisonedLines.isEmpty();
  }

  @Override
  public boolean isPoisoned(long off, long len) {
    if (!anyPoison) {
      return false;
    }
    Long hit = poisonedLines.ceiling(off / CACHE_LINE);
    return hit != null && hit * CACHE_LINE < off + len;
  }

  @Override
  public List<Range> poisoned() {
    List<Range> out = new ArrayList<>();
    long start = -1;
    long end = -1;
    for (long line : poisonedLines) {
      long lo = line * CACHE_LINE;
      if (lo == end) {
        end += CACHE_LINE;
      } else {
        if (start >= 0) {
          out.add(new Range(start, end - start));
        }
        start = lo;
        end = lo + CACHE_LINE;
      }
    }
    if (start >= 0) {
      out.add(new Range(start, end - start));
    }
    return out;
  }

  /** True when cache line number {@code line} (offset / 64) is poisoned. */
  protected final boolean poisonedLine(long line) {
    return anyPoison && poisonedLines.contains(line);
  }

  // ---- checks --------------------------------------------------------------------------

  protected final void checkRange(long off, long len) {
    checkOpen();
    if (off < 0 || len < 0 || off > size - len) {
      throw new IndexOutOfBoundsException(
          "range [" + off + ", +" + len + ") is outside the region of " + size + " bytes");
    }
  }

  private void checkLoad(long off, long len) {
    checkRange(off, len);
    if (anyPoison) {
      Long hit = poisonedLines.ceiling(off / CACHE_LINE);
      if (hit != null && hit * CACHE_LINE < off + len) {
        throw new MediaErrorException(Math.max(off, hit * CACHE_LINE));
      }
    }
  }

  private void checkStore(long off, long len) {
    checkRange(off, len);
    if (readOnly) {
      // A store into a read-only mapping would kill the process; refuse it here instead.
      throw new IllegalStateException("region is read-only: " + describe());
    }
    if (anyPoison) {
      // A store that covers a whole line replaces what the media lost there.
      long first = (off + CACHE_LINE - 1) / CACHE_LINE;
      long last = (off + len) / CACHE_LINE;
      if (first < last) {
        poisonedLines.subSet(first, last).clear();
        anyPoison = !poisonedLines.isEmpty();
      }
    }
  }

  private static void checkAligned(long off) {
    if ((off & 7) != 0) {
      throw new IllegalArgumentException("atomic access needs an 8-byte aligned offset: " + off);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("region is closed: " + describe());
    }
  }
}
