package dev.daxfs.fs;

import dev.daxfs.pmem.AbstractRegion;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;

/**
 * A heap region that stops the world at a chosen store: once armed with {@code n}, the n+1-th
 * mutating call (store, fill, copy, compare-and-swap) throws {@link Crash} before it changes
 * anything. The media then holds exactly the stores made before the crash point, which is what
 * a crash leaves when every earlier store was durable: a model that checks the order of the
 * commit points (journal, tails, valid words), not missing flushes or fences.
 */
final class CrashingRegion extends AbstractRegion {

  /** Thrown at the crash point; nothing after it reaches the media. */
  static final class Crash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Crash() {
      super("simulated crash", null, false, false);
    }
  }

  /** The bytes that survive the crash. */
  private final HeapRegion media;

  /** Mutations still allowed; negative when disarmed. */
  private long budget = -1;

  /** Mutating calls seen since the last {@link #arm}. */
  private long mutations;

  CrashingRegion(HeapRegion media) {
    super(media.size());
    this.media = media;
  }

  /** Crashes before mutating call number {@code n} (0-based) from now on. */
  void arm(long n) {
    budget = n;
    mutations = 0;
  }

  /** No crash from now on. */
  void disarm() {
    budget = -1;
  }

  /** Mutating calls since the last {@link #arm}. */
  long mutations() {
    return mutations;
  }

  /** A copy of the media as it is now: what a mount after the crash sees. */
  HeapRegion image() {
    return HeapRegion.copyOf(media);
  }

  private void tick() {
    if (budget == 0) {
      throw new Crash();
    }
    if (budget > 0) {
      budget--;
    }
    mutations++;
  }

  @Override
  protected byte rawLoadByte(long off) {
    return media.loadByte(off);
  }

  @Override
  protected int rawLoadInt(long off) {
    return media.loadInt(off);
  }

  @Override
  protected long rawLoadLong(long off) {
    return media.loadLong(off);
  }

  @Override
  protected void rawLoad(long off, byte[] dst, int dstOff, int len) {
    media.load(off, dst, dstOff, len);
  }

  @Override
  protected void rawLoad(long off, ByteBuffer dst) {
    media.load(off, dst);
  }

  @Override
  protected void rawStoreByte(long off, byte value) {
    tick();
    media.storeByte(off, value);
  }

  @Override
  protected void rawStoreInt(long off, int value) {
    tick();
    media.storeInt(off, value);
  }

  @Override
  protected void rawStoreLong(long off, long value) {
    tick();
    media.storeLong(off, value);
  }

  @Override
  protected void rawStore(long off, byte[] src, int srcOff, int len) {
    tick();
    media.store(off, src, srcOff, len);
  }

  @Override
  protected void rawStore(long off, ByteBuffer src) {
    tick();
    media.store(off, src);
  }

  @Override
  protected void rawCopy(long srcOff, long dstOff, long len) {
    tick();
    media.copy(srcOff, dstOff, len);
  }

  @Override
  protected void rawFill(long off, long len, byte value) {
    tick();
    media.fill(off, len, value);
  }

  @Override
  protected boolean rawCompareAndSwapLong(long off, long expected, long update) {
    tick();
    return media.compareAndSwapLong(off, expected, update);
  }

  @Override
  protected int rawCrc32c(long off, long len) {
    return media.crc32c(off, len);
  }

  @Override
  protected void rawFlush(long off, long len) {}

  @Override
  protected void rawFence() {}

  @Override
  protected void rawClose() {}

  @Override
  public FlushModel flushModel() {
    return FlushModel.HEAP;
  }

  @Override
  public String describe() {
    return "crashing heap region of " + size() + " bytes";
  }
}
