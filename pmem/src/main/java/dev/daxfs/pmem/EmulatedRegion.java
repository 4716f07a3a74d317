package dev.daxfs.pmem;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.MappedBytes;

/**
 * Emulated persistent memory: a file mapped shared into the process in one piece, through
 * Chronicle Bytes (one mapping of any size, 64-bit offsets). The file is the persistence domain:
 * whatever reached the mapping is in the file's pages and survives the process (on /dev/shm,
 * not a reboot).
 *
 * <p>Every access runs at the mapping's raw address: word loads and stores, copies between the
 * Java heap and the mapping, fills and CRCs cost what they cost on a plain MappedByteBuffer
 * over the same file. Flushes cost nothing ({@link FlushModel#FREE}; no msync) unless the
 * region was opened with a per-line delay ({@link FlushModel.Kind#DELAYED}).
 *
 * <p>Closing unmaps the file; an access racing with close is a caller's bug that the closed
 * check cannot always catch.
 */
final class EmulatedRegion extends AbstractRegion {

  /** Largest direct-buffer window over the mapping (a ByteBuffer indexes with an int). */
  static final long WINDOW = 1L << 30;

  /** The mapped file, for messages. */
  private final Path path;

  /** Chronicle's mapping; owns the address below and unmaps it when released. */
  private final MappedBytes mapping;

  /** Address of region offset 0 in this process. */
  private final long address;

  /**
   * Direct buffers over consecutive {@link #WINDOW}-sized pieces of the mapping, for the JDK
   * operations that take a ByteBuffer (CRC32C, ByteBuffer sources and destinations).
   */
  private final ByteBuffer[] windows;

  /** How flushes cost time here. */
  private final FlushModel flushModel;

  /** The busy-wait for a delayed flush model; null when flushes are free. */
  private final FlushDelay flushDelay;

  /** The lock that keeps other daxfs processes out, or null; released on close. */
  private final RegionLock lock;

  /** Why this region is emulated rather than real pmem, when real pmem was tried; or null. */
  private final String note;

  private EmulatedRegion(
      Path path,
      long size,
      boolean readOnly,
      MappedBytes mapping,
      FlushModel flushModel,
      RegionLock lock,
      String note) {
    super(size, readOnly);
    this.path = path;
    this.mapping = mapping;
    this.address = mapping.addressForRead(0);
    this.flushModel = flushModel;
    this.flushDelay =
        flushModel.nanosPerLine() > 0
            ? new FlushDelay(flushModel.nanosPerLine())
            : null;
    this.lock = lock;
    this.note = note;
    Pointer base = new Pointer(address);
    this.windows = new ByteBuffer[(int) ((size + WINDOW - 1) / WINDOW)];
    for (int i = 0; i < windows.length; i++) {
      long off = i * WINDOW;
      ByteBuffer w = base.getByteBuffer(off, Math.min(WINDOW, size - off));
      windows[i] = readOnly ? w.asReadOnlyBuffer() : w;
    }
  }

  /**
   * Maps {@code size} bytes of an existing file that is at least that long.
   *
   * @param lock held for the region's lifetime and released on close; may be null
   * @param note why real pmem was not used, shown by {@link #describe()}; may be null
   */
  static EmulatedRegion map(
      Path path, long size, boolean readOnly, FlushModel flushModel, RegionLock lock, String note)
      throws IOException {
    if (flushModel.kind() != FlushModel.Kind.FREE && flushModel.kind() != FlushModel.Kind.DELAYED) {
      throw new IllegalArgumentException("an emulated region flushes free or delayed, not " + flushModel);
    }
    MappedBytes mapping = MappedBytes.singleMappedBytes(path.toFile(), size, readOnly);
    try {
      // The mapping is only ever touched through its raw address, from any thread.
      mapping.singleThreadedCheckDisabled(true);
      return new EmulatedRegion(path, size, readOnly, mapping, flushModel, lock, note);
    } catch (RuntimeException | Error e) {
      mapping.releaseLast();
      throw e;
    }
  }

  /** The mapped file. */
  Path path() {
    return path;
  }

  // ---- words ---------------------------------------------------------------------------

  @Override
  protected byte rawLoadByte(long off) {
    return Memory.getByte(address + off);
  }

  @Override
  protected int rawLoadInt(long off) {
    return Memory.getInt(address + off);
  }

  @Override
  protected long rawLoadLong(long off) {
    return Memory.getLong(address + off);
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    Memory.putByte(address + off, value);
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    Memory.putInt(address + off, value);
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    // A release store is one plain MOV on x86; an unaligned one needs the fence spelled out.
    if ((off & 7) != 0) {
      VarHandle.releaseFence();
    }
    Memory.putLongRelease(address + off, value);
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    return Memory.compareAndSwapLong(address + off, expected, update);
  }

  // ---- bulk ----------------------------------------------------------------------------

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    Memory.copyToArray(address + off, dst, dstOff, len);
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    Memory.copyFromArray(src, srcOff, address + off, len);
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    if (dst.hasArray()) {
      int n = dst.remaining();
      Memory.copyToArray(address + off, dst.array(), dst.arrayOffset() + dst.position(), n);
      dst.position(dst.position() + n);
      return;
    }
    for (long end = off + dst.remaining(); off < end; ) {
      int n = pieceLength(off, end);
      dst.put(window(off, n));
      off += n;
    }
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    if (src.hasArray()) {
      int n = src.remaining();
      Memory.copyFromArray(src.array(), src.arrayOffset() + src.position(), address + off, n);
      src.position(src.position() + n);
      return;
    }
    for (long end = off + src.remaining(); off < end; ) {
      int n = pieceLength(off, end);
      ByteBuffer piece = src.slice(src.position(), n);
      window(off, n).put(piece);
      src.position(src.position() + n);
      off += n;
    }
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    Memory.move(address + srcOff, address + dstOff, len);
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    Memory.fill(address + off, len, value);
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    CRC32C crc = new CRC32C();
    for (long end = off + len; off < end; ) {
      int n = pieceLength(off, end);
      crc.update(window(off, n));
      off += n;
    }
    return (int) crc.getValue();
  }

  /** Length of the piece of {@code [off, end)} that lies in off's window. */
  private static int pieceLength(long off, long end) {
    long windowEnd = (off / WINDOW + 1) * WINDOW;
    return (int) (Math.min(end, windowEnd) - off);
  }

  /** A buffer over {@code [off, off + len)}, which lies inside one window. */
  private ByteBuffer window(long off, int len) {
    return windows[(int) (off / WINDOW)].slice((int) (off % WINDOW), len);
  }

  // ---- persistence ---------------------------------------------------------------------

  @Override
  protected void rawFlush(long off, long len) {
    if (flushDelay != null && len > 0) {
      long lines = (off + len - 1) / CACHE_LINE - off / CACHE_LINE + 1;
      flushDelay.await(lines);
    }
  }

  @Override
  protected void rawFence() {
    VarHandle.fullFence();
  }

  @Override
  protected void rawClose() {
    try {
      mapping.releaseLast();
    } finally {
      if (lock != null) {
        lock.release();
      }
    }
  }

  @Override
  public FlushModel flushModel() {
    return flushModel;
  }

  @Override
  public String describe() {
    return "emulated pmem "
        + path
        + " ("
        + Sizes.format(size())
        + (readOnly() ? ", read-only" : "")
        + ")"
        + (note == null ? "" : "; " + note);
  }
}
