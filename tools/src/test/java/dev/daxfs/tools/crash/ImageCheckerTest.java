package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.ForwardingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
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
  private static final class BadBackupOnce extends ForwardingRegion {
    private boolean spoiled;

    BadBackupOnce(PmemRegion target) {
      super(target);
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
    public String describe() {
      return "bad-backup view of " + target.describe();
    }
  }
}
