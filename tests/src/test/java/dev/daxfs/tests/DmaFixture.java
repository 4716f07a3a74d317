package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.Fsck;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.TestSwitches;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.DmaTag;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A filesystem on a small in-process region with the DMA emulator beside it, for the DMA race
 * tests: files with known contents, gated transfers (pinned at once, written when the test says
 * so, so no test guesses at timings), and the checks every scenario ends with. The region is
 * small and the allocator hands out the lowest free blocks first, so a file written after a
 * block was freed receives it.
 */
final class DmaFixture implements AutoCloseable {

  static final Cred ROOT = Cred.root();
  static final int P = 4096;
  static final int RW = CpuMapping.PROT_READ | CpuMapping.PROT_WRITE;

  /** fallocate(2) modes, Linux's values. */
  static final int KEEP_SIZE = 0x01;

  static final int PUNCH_HOLE = 0x02;
  static final int COLLAPSE_RANGE = 0x08;
  static final int ZERO_RANGE = 0x10;
  static final int INSERT_RANGE = 0x20;

  /** How long a test waits for something that must happen; reaching it is a failure. */
  static final long PATIENCE_SECONDS = 20;

  final PmemRegion region;
  final DaxFs fs;
  final Gup gup = new Gup();
  final DmaEmulator dma = new DmaEmulator(gup);

  /** A pinning device that writes as soon as its gate opens. */
  final DmaDevice nic;

  /** Whether the layout break is switched off on this mount. */
  final boolean skipLayoutBreak;

  private DmaFixture(PmemRegion region, MountOptions options, boolean skipLayoutBreak) {
    this.region = region;
    this.skipLayoutBreak = skipLayoutBreak;
    this.fs = DaxFs.mount(region, options);
    this.nic = dma.createDevice(DeviceSpec.named("nic0"));
  }

  /** A fresh 16 MiB filesystem, with the layout break on or, to prove a test can fail, off. */
  static DmaFixture create(boolean skipLayoutBreak) {
    return create(skipLayoutBreak, MountOptions.defaults());
  }

  static DmaFixture create(boolean skipLayoutBreak, MountOptions options) {
    HeapRegion region = new HeapRegion(16 << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    if (skipLayoutBreak) {
      TestSwitches bug = TestSwitches.none();
      bug.skipLayoutBreak = true;
      options.testSwitches(bug).testHarnessRegion();
    }
    return new DmaFixture(region, options, skipLayoutBreak);
  }

  /** Creates {@code path} holding {@code data}. */
  FileHandle file(String path, byte[] data) {
    FileHandle h = fs.open(ROOT, path, FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0644);
    if (data.length > 0) {
      fs.write(ROOT, h, 0, ByteBuffer.wrap(data));
    }
    return h;
  }

  /** Maps the whole of {@code h} (its current size) for read and write. */
  CpuMapping map(FileHandle h) {
    return fs.mmap(ROOT, h, 0, fs.getattr(h.ino()).size(), RW, 0);
  }

  byte[] read(FileHandle h) {
    long size = fs.getattr(h.ino()).size();
    ByteBuffer b = ByteBuffer.allocate((int) size);
    while (b.hasRemaining() && fs.read(h, b.position(), b) > 0) {
      // read on until EOF
    }
    return b.array();
  }

  /**
   * Creates the second file of a scenario before the cut, so that its inode's log page is not
   * what receives a freed block. It has an address space, so its blocks record it as their
   * owner and a DMA write that lands in one counts as misdirected.
   */
  FileHandle victim(String path) {
    FileHandle h = fs.open(ROOT, path, FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0644);
    fs.addressSpace(h);
    return h;
  }

  /** Fills {@code h} after the cut: {@code pages} pages of {@code seed}'s pattern, new blocks. */
  void fill(FileHandle h, int pages, int seed) {
    fs.write(ROOT, h, 0, ByteBuffer.wrap(pattern(pages * P, seed)));
  }

  /** Bytes that differ per seed and never decode as a DMA tag record. */
  static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((i * 31 + seed * 17 + (i >>> 9)) | 1);
    }
    return b;
  }

  /** Number of DMA tag records in {@code bytes}, at 32-byte boundaries. */
  static int tags(byte[] bytes) {
    int n = 0;
    for (int off = 0; off + DmaTag.RECORD_BYTES <= bytes.length; off += DmaTag.RECORD_BYTES) {
      if (DmaTag.decode(bytes, off).isPresent()) {
        n++;
      }
    }
    return n;
  }

  /** Pages in which {@code want} and {@code got} differ (a length difference counts). */
  static int differingPages(byte[] want, byte[] got) {
    int len = Math.max(want.length, got.length);
    int bad = 0;
    for (int off = 0; off < len; off += P) {
      int end = Math.min(len, off + P);
      if (end > want.length || end > got.length
          || java.util.Arrays.mismatch(want, off, end, got, off, end) >= 0) {
        bad++;
      }
    }
    return bad;
  }

  /** {@code base} with {@code device}'s tag records of transfer {@code seq} at {@code addr}. */
  static byte[] withTags(byte[] base, DmaDevice device, long seq, long addr, int length) {
    byte[] out = base.clone();
    System.arraycopy(DmaTag.pattern(device.id(), seq, length), 0, out, (int) addr, length);
    return out;
  }

  static <T> T await(CompletableFuture<T> f, String what) {
    try {
      return f.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return fail(what + " did not happen within " + PATIENCE_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted waiting for " + what);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    }
  }

  /** Polls {@code condition} until it holds; failing after {@link #PATIENCE_SECONDS}. */
  static void eventually(Supplier<Boolean> condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
    while (!condition.get()) {
      if (System.nanoTime() > deadline) {
        fail(what + " did not happen within " + PATIENCE_SECONDS + " s");
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
  }

  /**
   * An operation run on its own thread, so that the test can see it wait for DMA: it waits when
   * its thread sleeps in the page descriptors' wait for an idle page.
   */
  static final class Op {
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Thread thread;

    Op(String name, Runnable body) {
      thread = new Thread(() -> {
        try {
          body.run();
          done.complete(null);
        } catch (Throwable t) {
          done.completeExceptionally(t);
        }
      }, name);
      thread.setDaemon(true);
      thread.start();
    }

    /** Waits until the operation sleeps waiting for a DMA-busy page to become idle. */
    void awaitWaitingForDma() {
      eventually(() -> {
        if (done.isDone()) {
          await(done, thread.getName());
          fail(thread.getName() + " returned while a device still had its range pinned");
        }
        for (StackTraceElement e : thread.getStackTrace()) {
          if (e.getClassName().equals("dev.daxfs.dax.PageDescriptors")
              && e.getMethodName().toLowerCase(java.util.Locale.ROOT).contains("waitidle")) {
            return true;
          }
        }
        return false;
      }, thread.getName() + " waiting for DMA");
    }

    boolean isDone() {
      return done.isDone();
    }

    /** Waits for the operation to return; rethrows what it threw. */
    void join() {
      try {
        done.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        fail(thread.getName() + " did not return within " + PATIENCE_SECONDS + " s");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new AssertionError(e.getCause());
      }
    }
  }

  /** No device still holds a pin; the emulator counted no misuse of a page. */
  void assertNoPinsLeft() {
    eventually(() -> gup.stats().outstanding() == 0, "every pin released");
    assertEquals(0, fs.pageDescriptors().misuseEvents(), "page reference misuse");
  }

  /** Set by the first close. */
  private boolean closed;

  /** Stops the devices (letting transfers finish) and unmounts; closing twice is harmless. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    dma.close();
    fs.unmount();
  }

  /** Unmounts and checks the region: the problems fsck finds (none, for a healthy run). */
  java.util.List<Fsck.Problem> closeAndCheck() {
    close();
    return Fsck.check(region, Fsck.Progress.NONE).problems;
  }
}
