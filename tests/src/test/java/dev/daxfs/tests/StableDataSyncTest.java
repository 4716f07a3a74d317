package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.Scrub;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stale marks are cleared, and checksums recomputed, by sync(2) and by a clean unmount as well
 * as by fsync (issue 9), once the last writable mapping and write pin of a block are gone.
 */
class StableDataSyncTest {

  private static final Cred ROOT = Cred.root();
  private static final int P = 4096;
  private static final int RW = CpuMapping.PROT_READ | CpuMapping.PROT_WRITE;

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 17 + seed * 5 + 3);
    }
    return b;
  }

  /**
   * A checksummed filesystem whose file /f has page 0 stored to through a mapping and pages 2
   * and 3 written by a device, the mapping and the pins gone, nothing synced since: three stale
   * blocks. Returns the bytes /f should hold.
   */
  private static byte[] threeStaleBlocks(DaxFs fs) throws Exception {
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    byte[] want = pattern(4 * P, 1);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(want));
    fs.fsync(h, false);
    CpuMapping m = fs.mmap(ROOT, h, 0, 4 * P, RW, 0);
    m.storeLong(8, 0x0102030405060708L);
    ByteBuffer.wrap(want).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(8,
        0x0102030405060708L);
    byte[] dma = pattern(2 * P, 9);
    try (DmaEmulator emulator = new DmaEmulator(new Gup())) {
      emulator.createDevice(DeviceSpec.named("nvme0")).write(m, 2 * P, dma)
          .get(30, TimeUnit.SECONDS);
    }
    System.arraycopy(dma, 0, want, 2 * P, dma.length);
    m.close();
    fs.release(h);
    Scrub.Report before = Scrub.run(fs);
    assertEquals(3, before.staleBlocks, "the store and the DMA marked their blocks stale");
    assertEquals(0, before.mismatches.size());
    return want;
  }

  private static void verifiesWhole(Scrub.Report r) {
    assertEquals(0, r.staleBlocks, "every mark cleared");
    assertEquals(0, r.mismatches.size(), r.mismatches.toString());
    assertEquals(4, r.blocksVerified, "every block verified against a recomputed checksum");
  }

  private static byte[] contents(DaxFs fs) {
    FileHandle h = fs.open(ROOT, "/f", FileHandle.O_RDONLY, 0);
    ByteBuffer all = ByteBuffer.allocate(4 * P);
    fs.read(h, 0, all);
    fs.release(h);
    return all.array();
  }

  @Test
  void syncClearsTheStaleMarksOfBlocksNothingWritesAnyMore() throws Exception {
    DaxFs fs = DaxFs.mount(formatted(), MountOptions.defaults());
    byte[] want = threeStaleBlocks(fs);
    fs.sync();
    verifiesWhole(Scrub.run(fs));
    assertArrayEquals(want, contents(fs));
    fs.unmount();
  }

  @Test
  void aCleanUnmountClearsTheStaleMarks() throws Exception {
    HeapRegion region = formatted();
    DaxFs fs = DaxFs.mount(region, MountOptions.defaults());
    byte[] want = threeStaleBlocks(fs);
    fs.unmount();
    verifiesWhole(Scrub.run(region));
    DaxFs again = DaxFs.mount(region, MountOptions.defaults());
    verifiesWhole(Scrub.run(again));
    assertArrayEquals(want, contents(again));
    again.unmount();
  }

  private static HeapRegion formatted() {
    HeapRegion r = new HeapRegion(16 << 20);
    DaxFs.mkfs(r, MkfsOptions.defaults().dataChecksums(true));
    return r;
  }
}
