package dev.daxfs.pmem;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * A private, writable view of a region that never writes the region: loads see the base until
 * a page is stored to, and stores go to a heap copy of that page. What a read-only check needs
 * to see a filesystem as recovery would leave it (roll back its journal, replay its logs)
 * without changing a byte of the image, and a way to try a repair before committing to it.
 *
 * <p>Costs memory only for the pages stored to. Flushes and fences do nothing: the overlay has
 * no media of its own. Thread-safe as memory is: concurrent stores to one page race like stores
 * to one page of real memory, but never lose the page.
 */
public final class OverlayRegion extends AbstractRegion {

  private static final int PAGE = PAGE_SIZE;

  /** The region seen through the overlay; only loaded from. */
  private final PmemRegion base;

  /** Copies of the pages stored to, by page number. */
  private final ConcurrentHashMap<Long, byte[]> pages = new ConcurrentHashMap<>();

  public OverlayRegion(PmemRegion base) {
    super(base.size());
    this.base = base;
    for (Range r : base.poisoned()) {
      super.poison(r.offset(), r.length());
    }
  }

  /** Pages stored to so far. */
  public int modifiedPages() {
    return pages.size();
  }

  private byte[] page(long pageNo) {
    return pages.get(pageNo);
  }

  private byte[] pageForWrite(long pageNo) {
    return pages.computeIfAbsent(pageNo, p -> {
      byte[] copy = new byte[PAGE];
      base.load(p * PAGE, copy, 0, PAGE);
      return copy;
    });
  }

  /** Visits {@code [off, off+len)} page by page. */
  private interface Segment {
    void at(long pageNo, int inPage, int pos, int n);
  }

  private static void segments(long off, long len, Segment s) {
    long pos = 0;
    while (pos < len) {
      long at = off + pos;
      long pageNo = at / PAGE;
      int inPage = (int) (at % PAGE);
      int n = (int) Math.min(PAGE - inPage, len - pos);
      s.at(pageNo, inPage, (int) pos, n);
      pos += n;
    }
  }

  @Override
  protected byte rawLoadByte(long off) {
    byte[] p = page(off / PAGE);
    return p != null ? p[(int) (off % PAGE)] : base.loadByte(off);
  }

  @Override
  protected int rawLoadInt(long off) {
    byte[] b = new byte[4];
    rawLoad(off, b, 0, 4);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  @Override
  protected long rawLoadLong(long off) {
    byte[] b = new byte[8];
    rawLoad(off, b, 0, 8);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    segments(off, len, (pageNo, inPage, pos, n) -> {
      byte[] p = page(pageNo);
      if (p != null) {
        System.arraycopy(p, inPage, dst, dstOff + pos, n);
      } else {
        base.load(pageNo * PAGE + inPage, dst, dstOff + pos, n);
      }
    });
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    byte[] tmp = new byte[dst.remaining()];
    rawLoad(off, tmp, 0, tmp.length);
    dst.put(tmp);
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    pageForWrite(off / PAGE)[(int) (off % PAGE)] = value;
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    byte[] b = new byte[4];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(value);
    rawStore(off, b, 0, 4);
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    byte[] b = new byte[8];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
    rawStore(off, b, 0, 8);
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    segments(off, len, (pageNo, inPage, pos, n) ->
        System.arraycopy(src, srcOff + pos, pageForWrite(pageNo), inPage, n));
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    byte[] tmp = new byte[src.remaining()];
    src.get(tmp);
    rawStore(off, tmp, 0, tmp.length);
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    byte[] tmp = new byte[(int) len];
    rawLoad(srcOff, tmp, 0, tmp.length);
    rawStore(dstOff, tmp, 0, tmp.length);
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    segments(off, len, (pageNo, inPage, pos, n) ->
        java.util.Arrays.fill(pageForWrite(pageNo), inPage, inPage + n, value));
  }

  @Override
  protected synchronized boolean rawCompareAndSwapLong(long off, long expected, long update) {
    if (rawLoadLong(off) != expected) {
      return false;
    }
    rawStoreLong(off, update);
    return true;
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    CRC32C crc = new CRC32C();
    segments(off, len, (pageNo, inPage, pos, n) -> {
      byte[] p = page(pageNo);
      if (p == null) {
        p = new byte[n];
        base.load(pageNo * PAGE + inPage, p, 0, n);
        crc.update(p, 0, n);
      } else {
        crc.update(p, inPage, n);
      }
    });
    return (int) crc.getValue();
  }

  @Override
  protected void rawFlush(long off, long len) {}

  @Override
  protected void rawFence() {}

  @Override
  protected void rawClose() {
    pages.clear();
  }

  @Override
  public FlushModel flushModel() {
    return FlushModel.HEAP;
  }

  @Override
  public String describe() {
    return "private overlay of " + base.describe() + " (" + pages.size() + " pages changed)";
  }
}
