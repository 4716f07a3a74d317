package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * read() runs without locks when it can ({@link FileIo}, {@link SeqRwLock}); it must still
 * never return a mix of two write() calls, whether the writes copy on write (the old blocks are
 * freed and reused while a reader may be copying them) or go in place (the pages are mapped).
 */
class ReadAtomicityTest {

  private static final int P = 4096;

  /** Whole-file writes of one byte value racing against whole-file reads. */
  private static final int PAGES = 4;

  private static final long RACE_MILLIS = Long.getLong("daxfs.test.readRaceMillis", 1500);

  @Test
  void readsNeverMixTwoCopyOnWriteWrites() throws Exception {
    race(false);
  }

  @Test
  void readsNeverMixTwoInPlaceWritesIntoMappedPages() throws Exception {
    race(true);
  }

  private void race(boolean mapped) throws Exception {
    DaxFs fs = FsTesting.newFs();
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(filled((byte) 0)));
    CpuMapping mapping = mapped
        ? fs.mmap(ROOT, h, 0, (long) PAGES * P, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0)
        : null;
    if (mapping != null) {
      for (int i = 0; i < PAGES; i++) {
        mapping.loadByte((long) i * P);
      }
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> torn = new AtomicReference<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicLong reads = new AtomicLong();
    AtomicLong writes = new AtomicLong();
    Thread writer = new Thread(() -> {
      try {
        byte v = 1;
        while (!stop.get()) {
          fs.write(ROOT, h, 0, ByteBuffer.wrap(filled(v)));
          writes.incrementAndGet();
          v = (byte) (v == 100 ? 1 : v + 1);
        }
      } catch (Throwable t) {
        failed.compareAndSet(null, t);
      }
    }, "writer");
    Thread[] readers = new Thread[2];
    for (int r = 0; r < readers.length; r++) {
      readers[r] = new Thread(() -> {
        try {
          ByteBuffer b = ByteBuffer.allocate(PAGES * P);
          while (!stop.get() && torn.get() == null) {
            b.clear();
            int n = fs.read(h, 0, b);
            if (n != PAGES * P) {
              throw new AssertionError("a whole-file read returned " + n + " bytes");
            }
            byte[] got = b.array();
            for (int i = 1; i < got.length; i++) {
              if (got[i] != got[0]) {
                torn.compareAndSet(null, "byte " + i + " is " + got[i] + " but byte 0 is "
                    + got[0]);
                break;
              }
            }
            reads.incrementAndGet();
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }, "reader-" + r);
    }
    writer.start();
    for (Thread t : readers) {
      t.start();
    }
    Thread.sleep(RACE_MILLIS);
    stop.set(true);
    Waiting.joinAll(java.util.List.of(writer, readers[0], readers[1]), Waiting.HANG_GUARD_SECONDS,
        "the read race");
    if (mapping != null) {
      mapping.close();
    }
    if (failed.get() != null) {
      throw new AssertionError("a racing thread failed", failed.get());
    }
    assertEquals(null, torn.get(), "a read returned parts of two writes");
    assertTrue(reads.get() >= 100 && writes.get() >= 100,
        "both sides ran: " + reads.get() + " reads, " + writes.get() + " writes");
    assertTrue(fs.stats().lockedReads.sum() < reads.get(), "some reads ran without locks");
  }

  private static byte[] filled(byte v) {
    byte[] b = new byte[PAGES * P];
    Arrays.fill(b, v);
    return b;
  }
}
