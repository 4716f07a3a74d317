package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** When a read moves a file's access time: the mount's atime option, and O_NOATIME. */
class AtimeTest {

  private static final long HOUR_NS = 3600L * 1_000_000_000L;

  private DaxFs fs;
  private FileHandle h;

  private void mount(MountOptions.Atime atime, int openFlags) {
    fs = DaxFs.mount(FsTesting.formatted(16), MountOptions.defaults().atime(atime));
    FileHandle w = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, w, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
    fs.release(w);
    h = fs.open(ROOT, "/f", FileHandle.O_RDONLY | openFlags, 0);
  }

  private long atime() {
    return fs.getattr(h.ino()).atime();
  }

  private void read() {
    fs.read(h, 0, ByteBuffer.allocate(3));
  }

  /** Sets the times in DRAM only, as a file last touched long ago would load them. */
  private void times(long atime, long mtime, long ctime) {
    Inode in = fs.volume().cache.get(h.ino());
    in.atime = atime;
    in.mtime = mtime;
    in.ctime = ctime;
  }

  @Test
  void relatimeMovesAtimeOnlyAfterAChangeOrADay() {
    mount(MountOptions.Atime.RELATIME, 0);
    long now = System.currentTimeMillis() * 1_000_000L;
    times(now - 2 * HOUR_NS, now - HOUR_NS, now - HOUR_NS);
    read();
    long first = atime();
    assertTrue(first > now - HOUR_NS, "accessed before the last change: the read moves atime");
    read();
    assertEquals(first, atime(), "accessed since the last change: left alone");
    times(now - 48 * HOUR_NS, now - 72 * HOUR_NS, now - 72 * HOUR_NS);
    read();
    assertTrue(atime() > now - HOUR_NS, "accessed more than a day ago: the read moves atime");
    times(now - HOUR_NS, now - 2 * HOUR_NS, now - 2 * HOUR_NS);
    read();
    assertEquals(now - HOUR_NS, atime(), "accessed an hour ago, after the last change: left alone");
  }

  @Test
  void strictatimeMovesItOnEveryRead() {
    mount(MountOptions.Atime.STRICTATIME, 0);
    read();
    long first = atime();
    read();
    assertTrue(atime() > first);
  }

  @Test
  void aZeroLengthReadLeavesItAlone() {
    mount(MountOptions.Atime.STRICTATIME, 0);
    long before = atime();
    assertEquals(0, fs.read(h, 0, ByteBuffer.allocate(0)));
    assertEquals(before, atime());
  }

  @Test
  void noatimeAndONoatimeLeaveItAlone() {
    mount(MountOptions.Atime.NOATIME, 0);
    long before = atime();
    times(before, before + 1, before + 1);
    read();
    assertEquals(before, atime(), "noatime");
    mount(MountOptions.Atime.STRICTATIME, FileHandle.O_NOATIME);
    before = atime();
    read();
    assertEquals(before, atime(), "O_NOATIME");
  }

  @Test
  void theCoarseClockIsNeverAheadAndMovesOn() throws Exception {
    long seen = CoarseClock.millis();
    assertTrue(seen <= System.currentTimeMillis());
    long deadline = System.nanoTime() + Waiting.HANG_GUARD_SECONDS * 1_000_000_000L;
    while (CoarseClock.millis() == seen && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(CoarseClock.millis() > seen, "the clock ticked");
  }
}
