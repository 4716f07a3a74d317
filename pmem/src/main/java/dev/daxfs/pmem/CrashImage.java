package dev.daxfs.pmem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What the media could hold after a crash at a {@link CrashPoint}: a writable in-memory region
 * that a filesystem opens like any other (mounting it runs recovery, which writes).
 *
 * <p>It shares the crash point's frozen pages and copies a 4 KiB page only when it is written
 * (by the in-flight lines this image applies, or later by whoever opens it), so creating one
 * costs a pointer array and the pages it changes, never a copy of the region. Images are
 * independent of each other and of the recorder they came from.
 *
 * <p>Poisoned lines: a line that was poisoned on the media stays poisoned unless this image
 * applies a whole-line store that cleared it (see {@link CrashRecordingRegion}).
 */
public final class CrashImage extends AbstractRegion {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private static final int PAGE = PageTable.PAGE;

  /** Where this image comes from. */
  private final CrashPoint point;

  /** Index of this image among the crash point's images. */
  private final long index;

  /** The image's bytes, copy-on-write over the crash point's snapshot. */
  private final PageTable table;

  /** For each of the crash point's units: whether this image applies it. */
  private final boolean[] applied;

  CrashImage(CrashPoint point, long index, PageTable table, boolean[] applied, long[] poisonedLines) {
    super(table.size());
    this.point = point;
    this.index = index;
    this.table = table;
    this.applied = applied;
    for (long line : poisonedLines) {
      super.poison(line * CACHE_LINE, Math.min(CACHE_LINE, size() - line * CACHE_LINE));
    }
  }

  /** The crash point this image is one outcome of. */
  public CrashPoint crashPoint() {
    return point;
  }

  /** This image's index among {@link CrashPoint#imageCount()}; {@code crashPoint().image(index())} remakes it. */
  public long index() {
    return index;
  }

  /** The in-flight ranges (lines, or 8-byte words when torn) whose new contents this image holds. */
  public List<Range> applied() {
    return units(true);
  }

  /** The in-flight ranges this image holds as persisted before them (the shadow), not as stored. */
  public List<Range> notApplied() {
    return units(false);
  }

  private List<Range> units(boolean want) {
    List<Range> out = new ArrayList<>();
    for (int u = 0; u < applied.length; u++) {
      if (applied[u] == want) {
        out.add(point.unit(u));
      }
    }
    return out;
  }

  /** Pages this image has copied from the crash point's snapshot (its memory cost). */
  int ownedPages() {
    return table.ownedPages();
  }

  PageTable table() {
    return table;
  }

  // ---- words ---------------------------------------------------------------------------

  private static int page(long off) {
    return (int) (off / PAGE);
  }

  private static int in(long off) {
    return (int) (off % PAGE);
  }

  @Override
  protected byte rawLoadByte(long off) {
    return table.page(page(off))[in(off)];
  }

  @Override
  protected int rawLoadInt(long off) {
    if (in(off) <= PAGE - 4) {
      return (int) INTS.get(table.page(page(off)), in(off));
    }
    return (int) loadBytes(off, 4);
  }

  @Override
  protected long rawLoadLong(long off) {
    if (in(off) <= PAGE - 8) {
      return (long) LONGS.get(table.page(page(off)), in(off));
    }
    return loadBytes(off, 8);
  }

  private long loadBytes(long off, int n) {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = (v << 8) | (rawLoadByte(off + i) & 0xff);
    }
    return v;
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    table.pageForWrite(page(off))[in(off)] = value;
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    if (in(off) <= PAGE - 4) {
      INTS.set(table.pageForWrite(page(off)), in(off), value);
    } else {
      storeBytes(off, value, 4);
    }
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    if ((off & 7) == 0) {
      LONGS.setRelease(table.pageForWrite(page(off)), in(off), value);
    } else {
      VarHandle.releaseFence();
      if (in(off) <= PAGE - 8) {
        LONGS.set(table.pageForWrite(page(off)), in(off), value);
      } else {
        storeBytes(off, value, 8);
      }
    }
  }

  private void storeBytes(long off, long value, int n) {
    for (int i = 0; i < n; i++) {
      rawStoreByte(off + i, (byte) (value >>> (8 * i)));
    }
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    return LONGS.compareAndSet(table.pageForWrite(page(off)), in(off), expected, update);
  }

  // ---- bulk ----------------------------------------------------------------------------

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    table.read(off, dst, dstOff, len);
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    table.write(off, src, srcOff, len);
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    for (long end = off + dst.remaining(); off < end; ) {
      int n = (int) Math.min(end - off, PAGE - in(off));
      dst.put(table.page(page(off)), in(off), n);
      off += n;
    }
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    for (long end = off + src.remaining(); off < end; ) {
      int n = (int) Math.min(end - off, PAGE - in(off));
      src.get(table.pageForWrite(page(off)), in(off), n);
      off += n;
    }
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    if (dstOff <= srcOff || dstOff >= srcOff + len) {
      for (long done = 0; done < len; ) {
        long s = srcOff + done;
        long d = dstOff + done;
        int n = (int) Math.min(len - done, Math.min(PAGE - in(s), PAGE - in(d)));
        byte[] to = table.pageForWrite(page(d));
        System.arraycopy(table.page(page(s)), in(s), to, in(d), n);
        done += n;
      }
    } else {
      for (long left = len; left > 0; ) {
        // The piece ending at srcOff + left / dstOff + left, within one page of each.
        long sEnd = srcOff + left;
        long dEnd = dstOff + left;
        int n = (int) Math.min(left, Math.min(in(sEnd - 1) + 1, in(dEnd - 1) + 1));
        left -= n;
        byte[] to = table.pageForWrite(page(dstOff + left));
        System.arraycopy(table.page(page(srcOff + left)), in(srcOff + left), to, in(dstOff + left), n);
      }
    }
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    for (long end = off + len; off < end; ) {
      int n = (int) Math.min(end - off, PAGE - in(off));
      Arrays.fill(table.pageForWrite(page(off)), in(off), in(off) + n, value);
      off += n;
    }
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    CRC32C crc = new CRC32C();
    for (long end = off + len; off < end; ) {
      int n = (int) Math.min(end - off, PAGE - in(off));
      crc.update(table.page(page(off)), in(off), n);
      off += n;
    }
    return (int) crc.getValue();
  }

  // ---- persistence: the image is its own media ---------------------------------------

  @Override
  protected void rawFlush(long off, long len) {}

  @Override
  protected void rawFence() {
    VarHandle.fullFence();
  }

  @Override
  protected void rawClose() {}

  @Override
  public FlushModel flushModel() {
    return FlushModel.HEAP;
  }

  @Override
  public String describe() {
    int on = 0;
    for (boolean a : applied) {
      on += a ? 1 : 0;
    }
    return "crash image " + index + " of " + point.imageCount() + " " + point.label()
        + " (" + on + " of " + applied.length + " in-flight " + (point.options().torn() ? "words" : "lines")
        + " applied) of " + point.origin();
  }
}
