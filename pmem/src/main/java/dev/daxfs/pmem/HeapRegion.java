package dev.daxfs.pmem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A region held in a Java byte array: for unit tests and for crash images, which must be cheap
 * to create by the thousand. Flushes and fences cost nothing; the array is its own media.
 */
public final class HeapRegion extends AbstractRegion {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** The region's bytes. */
  private final byte[] bytes;

  /** A zeroed region of {@code size} bytes (at most 2 GiB - 8). */
  public HeapRegion(long size) {
    this(new byte[checkedSize(size)]);
  }

  /** A region over {@code bytes} itself (not a copy). */
  public HeapRegion(byte[] bytes) {
    super(bytes.length);
    this.bytes = bytes;
  }

  /** A region holding a copy of every byte of {@code source}. */
  public static HeapRegion copyOf(PmemRegion source) {
    HeapRegion copy = new HeapRegion(source.size());
    source.load(0, copy.bytes, 0, copy.bytes.length);
    return copy;
  }

  private static int checkedSize(long size) {
    if (size <= 0 || size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a heap region holds 1 byte to 2 GiB, not " + size);
    }
    return (int) size;
  }

  @Override
  protected byte rawLoadByte(long off) {
    return bytes[(int) off];
  }

  @Override
  protected int rawLoadInt(long off) {
    return (int) INTS.get(bytes, (int) off);
  }

  @Override
  protected long rawLoadLong(long off) {
    return (long) LONGS.get(bytes, (int) off);
  }

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    System.arraycopy(bytes, (int) off, dst, dstOff, len);
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    dst.put(bytes, (int) off, dst.remaining());
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    bytes[(int) off] = value;
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    INTS.set(bytes, (int) off, value);
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    if ((off & 7) == 0) {
      LONGS.setRelease(bytes, (int) off, value);
    } else {
      VarHandle.releaseFence();
      LONGS.set(bytes, (int) off, value);
    }
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    System.arraycopy(src, srcOff, bytes, (int) off, len);
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    src.get(bytes, (int) off, src.remaining());
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    System.arraycopy(bytes, (int) srcOff, bytes, (int) dstOff, (int) len);
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    Arrays.fill(bytes, (int) off, (int) (off + len), value);
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    return LONGS.compareAndSet(bytes, (int) off, expected, update);
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, (int) off, (int) len);
    return (int) crc.getValue();
  }

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
    return "heap region of " + size() + " bytes";
  }
}
