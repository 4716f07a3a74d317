package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.FlushModel;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.Range;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageCheckerTest {

  private static final int BACKUP_SUPERBLOCK = PmemRegion.PAGE_SIZE;

  /** A filesystem with a file, cleanly unmounted: an image recovery has nothing to do on. */
  private static HeapRegion image() {
    HeapRegion r = new HeapRegion(16 << 20);
    DaxFs.mkfs(r, MkfsOptions.defaults());
    DaxFs fs = DaxFs.mount(r, MountOptions.defaults());
    FileHandle h = fs.open(Cred.root(), "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(Cred.root(), h, 0, ByteBuffer.wrap(new byte[5000]));
    fs.release(h);
    fs.unmount();
    return r;
  }

  private static List<ImageChecker.Candidate> candidates(HeapRegion image) {
    DaxFs fs = DaxFs.mount(HeapRegion.copyOf(image), MountOptions.defaults());
    FsState state = StateReader.read(fs);
    fs.unmount();
    return List.of(new ImageChecker.Candidate("the state", state));
  }

  private static ImageChecker checker() {
    return new ImageChecker(MountOptions.defaults().backgroundCleaning(false));
  }

  @Test
  void aSoundImagePasses() {
    HeapRegion image = image();
    ImageChecker.Verdict v = checker().check(image, candidates(image), null);
    assertNull(v.kind(), v.detail());
  }

  @Test
  void damageRecoveryLeavesIsSeenEvenWhenTheFollowUpRepairsIt() {
    HeapRegion image = image();
    List<ImageChecker.Candidate> candidates = candidates(image);
    // The mount's superblock update leaves a bad backup copy; the unmount's rewrites it whole,
    // so an fsck only after the follow-up and the unmount would find nothing.
    ImageChecker.Verdict v = checker().check(new BadBackupOnce(image), candidates, null);
    assertEquals("fsck", v.kind(), v.detail());
    assertTrue(v.detail().startsWith("fsck right after recovery finds 1 problem: backup "
        + "superblock"), v.detail());
  }

  /**
   * Stores garbage instead of the first backup superblock written through it, then passes
   * everything on: a recovery that wrote one structure wrong.
   */
  private static final class BadBackupOnce implements PmemRegion {
    private final PmemRegion target;
    private boolean spoiled;

    BadBackupOnce(PmemRegion target) {
      this.target = target;
    }

    @Override
    public void store(long off, byte[] src, int srcOff, int len) {
      if (!spoiled && off == BACKUP_SUPERBLOCK) {
        spoiled = true;
        byte[] bad = src.clone();
        bad[srcOff + 40] ^= 0x5a;
        target.store(off, bad, srcOff, len);
        return;
      }
      target.store(off, src, srcOff, len);
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

    @Override
    public FlushModel flushModel() {
      return target.flushModel();
    }

    @Override
    public String describe() {
      return "bad-backup view of " + target.describe();
    }

    @Override
    public void close() {
      target.close();
    }
  }
}
