package dev.daxfs.pmem;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A region that passes every call to another: the base of decorators that watch or bend one
 * kind of call (count flushes, spoil a store) and leave the rest alone, as Lucene's
 * FilterDirectory is for directories. The composite defaults ({@link #persist},
 * {@link #storePersist}, {@link #copyPersist}, {@link #fillPersist}) are not forwarded: they
 * run through this region's own store, flush and fence, so a decorator sees their parts.
 */
public abstract class ForwardingRegion implements PmemRegion {

  /** The region every call goes to. */
  protected final PmemRegion target;

  protected ForwardingRegion(PmemRegion target) {
    if (target == null) {
      throw new IllegalArgumentException("a forwarding region needs a region to forward to");
    }
    this.target = target;
  }

  @Override
  public long size() {
    return target.size();
  }

  @Override
  public byte loadByte(long off) {
    return target.loadByte(off);
  }

  @Override
  public int loadInt(long off) {
    return target.loadInt(off);
  }

  @Override
  public long loadLong(long off) {
    return target.loadLong(off);
  }

  @Override
  public void load(long off, byte[] dst, int dstOff, int len) {
    target.load(off, dst, dstOff, len);
  }

  @Override
  public void load(long off, ByteBuffer dst) {
    target.load(off, dst);
  }

  @Override
  public void storeByte(long off, byte value) {
    target.storeByte(off, value);
  }

  @Override
  public void storeInt(long off, int value) {
    target.storeInt(off, value);
  }

  @Override
  public void storeLong(long off, long value) {
    target.storeLong(off, value);
  }

  @Override
  public void store(long off, byte[] src, int srcOff, int len) {
    target.store(off, src, srcOff, len);
  }

  @Override
  public void store(long off, ByteBuffer src) {
    target.store(off, src);
  }

  @Override
  public void copy(long srcOff, long dstOff, long len) {
    target.copy(srcOff, dstOff, len);
  }

  @Override
  public void fill(long off, long len, byte value) {
    target.fill(off, len, value);
  }

  @Override
  public boolean compareAndSwapLong(long off, long expected, long update) {
    return target.compareAndSwapLong(off, expected, update);
  }

  @Override
  public void flush(long off, long len) {
    target.flush(off, len);
  }

  @Override
  public void fence() {
    target.fence();
  }

  @Override
  public int crc32c(long off, long len) {
    return target.crc32c(off, len);
  }

  @Override
  public void poison(long off, long len) {
    target.poison(off, len);
  }

  @Override
  public List<Range> poisoned() {
    return target.poisoned();
  }

  /** Forwarded: the target's check is cheap when nothing is poisoned, the default is not. */
  @Override
  public boolean isPoisoned(long off, long len) {
    return target.isPoisoned(off, len);
  }

  @Override
  public boolean readOnly() {
    return target.readOnly();
  }

  @Override
  public FlushModel flushModel() {
    return target.flushModel();
  }

  @Override
  public String describe() {
    return target.describe();
  }

  @Override
  public void close() {
    target.close();
  }
}
