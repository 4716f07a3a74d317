package dev.daxfs.tools.crash;

import dev.daxfs.pmem.AbstractRegion;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.Range;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * A decorator that remembers which 64-byte lines of a region's original contents were read
 * (loads, CRCs, the source of copies, compare-and-swap).
 *
 * <p>The checker's use: the filesystem is deterministic, so how a mount, a walk and an fsck of
 * a crash image go depends only on the original bytes they read. Two images that differ only
 * in lines no check read are therefore checked by checking one of them; see {@link
 * ImageExplorer}. A line stored whole before it was first read holds nothing of the original
 * any more (an unmount writes its allocator checkpoint into a block the crash left free, and
 * fsck reads it back): reading it does not count. A line partly stored and then read counts,
 * which only makes the claim more cautious.
 *
 * <p>Thread-safe as far as the filesystem needs: the set is guarded by its own monitor.
 */
final class ReadTrackingRegion extends AbstractRegion {

  private static final int LINE = CACHE_LINE;

  /** The region read and written. */
  private final PmemRegion inner;

  /** Lines whose original contents were read, by line number; guarded by itself. */
  private final BitSet read = new BitSet();

  /** Lines stored whole before any read of them; guarded by {@link #read}. */
  private final BitSet replaced = new BitSet();

  ReadTrackingRegion(PmemRegion inner) {
    super(inner.size());
    this.inner = inner;
    for (Range r : inner.poisoned()) {
      super.poison(r.offset(), r.length());
    }
  }

  /** The lines read so far (a copy). */
  BitSet linesRead() {
    synchronized (read) {
      return (BitSet) read.clone();
    }
  }

  private void mark(long off, long len) {
    if (len <= 0) {
      return;
    }
    int first = (int) (off / LINE);
    int last = (int) ((off + len - 1) / LINE);
    synchronized (read) {
      for (int l = first; l <= last; l++) {
        if (!replaced.get(l)) {
          read.set(l);
        }
      }
    }
  }

  /** A store to {@code [off, off+len)}: lines it covers whole and nobody read are replaced. */
  private void stored(long off, long len) {
    long first = (off + LINE - 1) / LINE;
    long end = (off + len) / LINE;
    if (first >= end) {
      return;
    }
    synchronized (read) {
      for (int l = (int) first; l < end; l++) {
        if (!read.get(l)) {
          replaced.set(l);
        }
      }
    }
  }

  @Override
  protected byte rawLoadByte(long off) {
    mark(off, 1);
    return inner.loadByte(off);
  }

  @Override
  protected int rawLoadInt(long off) {
    mark(off, 4);
    return inner.loadInt(off);
  }

  @Override
  protected long rawLoadLong(long off) {
    mark(off, 8);
    return inner.loadLong(off);
  }

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    mark(off, len);
    inner.load(off, dst, dstOff, len);
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    mark(off, dst.remaining());
    inner.load(off, dst);
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    inner.storeByte(off, value);
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    inner.storeInt(off, value);
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    inner.storeLong(off, value);
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    stored(off, len);
    inner.store(off, src, srcOff, len);
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    stored(off, src.remaining());
    inner.store(off, src);
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    mark(srcOff, len);
    stored(dstOff, len);
    inner.copy(srcOff, dstOff, len);
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    stored(off, len);
    inner.fill(off, len, value);
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    mark(off, 8);
    return inner.compareAndSwapLong(off, expected, update);
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    mark(off, len);
    return inner.crc32c(off, len);
  }

  @Override
  protected void rawFlush(long off, long len) {
    inner.flush(off, len);
  }

  @Override
  protected void rawFence() {
    inner.fence();
  }

  @Override
  protected void rawClose() {
    inner.close();
  }

  @Override
  public FlushModel flushModel() {
    return inner.flushModel();
  }

  @Override
  public String describe() {
    return inner.describe();
  }
}
