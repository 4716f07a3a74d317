package dev.daxfs.pmem;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Real persistent memory (experimental until it has run on a real fsdax mapping): a DAX file or
 * device mapped with MAP_SYNC semantics, in segments, since the JDK maps at most 2 GiB at once.
 *
 * <p>A flush writes back the cache lines it covers with the JDK's write-back of a sync mapping
 * ({@link MappedByteBuffer#force(int, int)}: CLWB or CLFLUSHOPT per line, then SFENCE), so a
 * range is durable when {@code flush} returns; {@code fence} still orders it before later
 * stores.
 *
 * <p>Words and copies run at each segment's raw address; an access that straddles two segments
 * (only unaligned ones can) is split. Segments are {@link #DEFAULT_SEGMENT} bytes, or smaller in
 * tests so that the splitting is exercised on small files.
 */
final class SyncMappedRegion extends AbstractRegion {

  /** Bytes mapped per segment: a power of two, so that aligned words never straddle two. */
  static final long DEFAULT_SEGMENT = 1L << 30;

  /** The mapped file or device, for messages. */
  private final Path path;

  /** log2 of the segment size. */
  private final int segmentShift;

  /** The sync mappings, in order; segment i covers [i << shift, (i + 1) << shift). */
  private final MappedByteBuffer[] segments;

  /** Address of each segment's first byte. */
  private final long[] addresses;

  /** The lock that keeps other daxfs processes out, or null; released on close. */
  private final RegionLock lock;

  private SyncMappedRegion(
      Path path, long size, boolean readOnly, int segmentShift, MappedByteBuffer[] segments,
      RegionLock lock) {
    super(size, readOnly);
    this.path = path;
    this.segmentShift = segmentShift;
    this.segments = segments;
    this.addresses = new long[segments.length];
    for (int i = 0; i < segments.length; i++) {
      segments[i].order(ByteOrder.LITTLE_ENDIAN);
      addresses[i] = Pointer.nativeValue(Native.getDirectBufferPointer(segments[i]));
    }
    this.lock = lock;
  }

  /**
   * Maps {@code size} bytes of {@code path} through {@code mapper}.
   *
   * @throws IOException or UnsupportedOperationException from the mapper when the file cannot
   *     be mapped with MAP_SYNC; nothing stays mapped then
   */
  static SyncMappedRegion map(
      Path path, long size, boolean readOnly, SyncMapper mapper, long segmentSize, RegionLock lock)
      throws IOException {
    if (Long.bitCount(segmentSize) != 1 || segmentSize < PAGE_SIZE || segmentSize > (1L << 30)) {
      throw new IllegalArgumentException("segment size must be a power of two in [4 KiB, 1 GiB]");
    }
    int shift = Long.numberOfTrailingZeros(segmentSize);
    MappedByteBuffer[] segments = new MappedByteBuffer[(int) ((size + segmentSize - 1) >>> shift)];
    try (FileChannel ch =
        readOnly
            ? FileChannel.open(path, StandardOpenOption.READ)
            : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      for (int i = 0; i < segments.length; i++) {
        long pos = (long) i << shift;
        segments[i] = mapper.map(ch, pos, Math.min(segmentSize, size - pos), readOnly);
      }
    } catch (IOException | RuntimeException e) {
      for (MappedByteBuffer s : segments) {
        if (s != null) {
          Memory.unmap(s);
        }
      }
      throw e;
    }
    return new SyncMappedRegion(path, size, readOnly, shift, segments, lock);
  }

  private long address(long off) {
    return addresses[(int) (off >>> segmentShift)] + (off & segmentMask());
  }

  private long segmentMask() {
    return (1L << segmentShift) - 1;
  }

  /** Bytes from {@code off} to the end of its segment. */
  private long segmentLeft(long off) {
    return (1L << segmentShift) - (off & segmentMask());
  }

  // ---- words ---------------------------------------------------------------------------

  @Override
  protected byte rawLoadByte(long off) {
    return Memory.getByte(address(off));
  }

  @Override
  protected int rawLoadInt(long off) {
    if (segmentLeft(off) >= 4) {
      return Memory.getInt(address(off));
    }
    return (int) loadStraddling(off, 4);
  }

  @Override
  protected long rawLoadLong(long off) {
    if (segmentLeft(off) >= 8) {
      return Memory.getLong(address(off));
    }
    return loadStraddling(off, 8);
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    Memory.putByte(address(off), value);
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    if (segmentLeft(off) >= 4) {
      Memory.putInt(address(off), value);
    } else {
      storeStraddling(off, value, 4);
    }
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    if ((off & 7) != 0) {
      VarHandle.releaseFence();
    }
    if (segmentLeft(off) >= 8) {
      Memory.putLongRelease(address(off), value);
    } else {
      storeStraddling(off, value, 8);
    }
  }

  /** Little-endian value of {@code n} bytes that straddle a segment boundary. */
  private long loadStraddling(long off, int n) {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = (v << 8) | (Memory.getByte(address(off + i)) & 0xff);
    }
    return v;
  }

  private void storeStraddling(long off, long value, int n) {
    for (int i = 0; i < n; i++) {
      Memory.putByte(address(off + i), (byte) (value >>> (8 * i)));
    }
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    return Memory.compareAndSwapLong(address(off), expected, update);
  }

  // ---- bulk ----------------------------------------------------------------------------

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    for (int done = 0; done < len; ) {
      int n = (int) Math.min(len - done, segmentLeft(off + done));
      Memory.copyToArray(address(off + done), dst, dstOff + done, n);
      done += n;
    }
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    for (int done = 0; done < len; ) {
      int n = (int) Math.min(len - done, segmentLeft(off + done));
      Memory.copyFromArray(src, srcOff + done, address(off + done), n);
      done += n;
    }
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    for (long end = off + dst.remaining(); off < end; ) {
      int n = (int) Math.min(end - off, segmentLeft(off));
      dst.put(slice(off, n));
      off += n;
    }
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    for (long end = off + src.remaining(); off < end; ) {
      int n = (int) Math.min(end - off, segmentLeft(off));
      slice(off, n).put(src.slice(src.position(), n));
      src.position(src.position() + n);
      off += n;
    }
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    if (dstOff <= srcOff || dstOff >= srcOff + len) {
      for (long done = 0; done < len; ) {
        long n = Math.min(len - done,
            Math.min(segmentLeft(srcOff + done), segmentLeft(dstOff + done)));
        Memory.move(address(srcOff + done), address(dstOff + done), n);
        done += n;
      }
    } else {
      // Overlapping with the destination above: copy from the end, as memmove does.
      for (long left = len; left > 0; ) {
        long n = Math.min(left,
            Math.min(((srcOff + left - 1) & segmentMask()) + 1,
                ((dstOff + left - 1) & segmentMask()) + 1));
        left -= n;
        Memory.move(address(srcOff + left), address(dstOff + left), n);
      }
    }
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    for (long end = off + len; off < end; ) {
      long n = Math.min(end - off, segmentLeft(off));
      Memory.fill(address(off), n, value);
      off += n;
    }
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    CRC32C crc = new CRC32C();
    for (long end = off + len; off < end; ) {
      int n = (int) Math.min(end - off, segmentLeft(off));
      crc.update(slice(off, n));
      off += n;
    }
    return (int) crc.getValue();
  }

  private ByteBuffer slice(long off, int len) {
    return segments[(int) (off >>> segmentShift)].slice((int) (off & segmentMask()), len);
  }

  // ---- persistence ---------------------------------------------------------------------

  @Override
  protected void rawFlush(long off, long len) {
    if (readOnly()) {
      return;
    }
    for (long end = off + len; off < end; ) {
      int n = (int) Math.min(end - off, segmentLeft(off));
      segments[(int) (off >>> segmentShift)].force((int) (off & segmentMask()), n);
      off += n;
    }
  }

  @Override
  protected void rawFence() {
    VarHandle.fullFence();
  }

  @Override
  protected void rawClose() {
    try {
      for (MappedByteBuffer s : segments) {
        Memory.unmap(s);
      }
    } finally {
      if (lock != null) {
        lock.release();
      }
    }
  }

  @Override
  public FlushModel flushModel() {
    return FlushModel.CACHE_LINE_WRITEBACK;
  }

  @Override
  public String describe() {
    return "real pmem (experimental, MAP_SYNC) "
        + path
        + " ("
        + Sizes.format(size())
        + (readOnly() ? ", read-only" : "")
        + ")";
  }
}
