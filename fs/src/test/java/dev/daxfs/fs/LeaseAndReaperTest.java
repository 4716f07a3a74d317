package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.LongTermPinRequest;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Layout leases, the long-term pin policy, and the orphan reaper. */
class LeaseAndReaperTest {

  private static final Cred ROOT = Cred.root();
  private static final int P = 4096;

  private HeapRegion region;
  private DaxFs fs;
  private FileHandle h;

  @BeforeEach
  void setUp() {
    region = new HeapRegion(32 << 20);
    DaxFs.mkfs(region, MkfsOptions.defaults());
    fs = DaxFs.mount(region, MountOptions.defaults());
    h = fs.open(ROOT, "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    fs.write(ROOT, h, 0, ByteBuffer.wrap(new byte[8 * P]));
  }

  private long blockOf(long page) {
    return BlockMap.block(fs.volume().cache.get(h.ino()).blocks.get(page));
  }

  @Test
  void aLeasedRangeRefusesTruncateAndPunchWithEtxtbsy() {
    LayoutLease lease = fs.acquireLease(ROOT, h, 2 * P, 2 * P, "session-1");
    ErrnoException e = assertThrows(ErrnoException.class,
        () -> fs.setattr(ROOT, h.ino(), SetAttr.create().size(3 * P)));
    assertEquals(Errno.ETXTBSY, e.errno());
    assertEquals(8 * P, fs.getattr(h.ino()).size(), "nothing changed");
    assertEquals(Errno.ETXTBSY, assertThrows(ErrnoException.class, () -> fs.fallocate(ROOT, h,
        FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, 3 * P, P)).errno());
    fs.fallocate(ROOT, h, FileIo.FALLOC_FL_PUNCH_HOLE | FileIo.FALLOC_FL_KEEP_SIZE, 5 * P, P);
    assertEquals(2, fs.stats().leaseRefusals.sum());
    lease.close();
    fs.setattr(ROOT, h.ino(), SetAttr.create().size(3 * P));
    assertEquals(3 * P, fs.getattr(h.ino()).size(), "the lease ended with its holder");
  }

  @Test
  void longTermPinsNeedALeaseTheirHolderHolds() {
    DaxAddressSpace space = fs.addressSpace(h);
    LongTermPinRequest nic = new LongTermPinRequest(space, 2, 4, true, false, "nic0");
    assertEquals(Errno.EOPNOTSUPP, assertThrows(ErrnoException.class,
        () -> space.checkLongTermPin(nic)).errno());
    space.checkLongTermPin(new LongTermPinRequest(space, 0, 8, true, true, "odp-gpu"));
    try (LayoutLease lease = fs.acquireLease(ROOT, h, 0, 4 * P, "nic0")) {
      space.checkLongTermPin(nic);
      assertEquals(Errno.EOPNOTSUPP, assertThrows(ErrnoException.class,
          () -> space.checkLongTermPin(new LongTermPinRequest(space, 2, 4, true, false, "nic1")))
          .errno(), "another holder's lease does not count");
      assertEquals(Errno.EOPNOTSUPP, assertThrows(ErrnoException.class,
          () -> space.checkLongTermPin(new LongTermPinRequest(space, 2, 6, true, false, "nic0")))
          .errno(), "the lease must cover the whole range");
    }
    assertEquals(Errno.EOPNOTSUPP, assertThrows(ErrnoException.class,
        () -> space.checkLongTermPin(nic)).errno());
  }

  @Test
  void aDmaBusyOrphanIsFreedByTheReaperAfterTheLastUnpin() throws Exception {
    CpuMapping m = fs.mmap(ROOT, h, 0, 8 * P, CpuMapping.PROT_READ, 0);
    m.loadByte(3 * P);
    long pfn = blockOf(3);
    assertTrue(fs.pageDescriptors().tryPin(pfn));
    m.close();
    fs.release(h);
    long free = fs.statfs().freeBlocks();
    fs.unlink(ROOT, "/f");
    assertEquals(1, fs.orphansPending(), "unlink did not block; the file waits for the unpin");
    assertEquals(free, fs.statfs().freeBlocks(), "nothing freed while a device pins a page");
    assertFalse(fs.volume().allocator.isFree(pfn, 1));

    // A crash now: recovery finishes the job (the orphan word is on media).
    HeapRegion crash = HeapRegion.copyOf(region);
    DaxFs recovered = DaxFs.mount(crash, MountOptions.defaults());
    assertEquals(1, recovered.mountReport().orphansFreed());

    fs.pageDescriptors().unpin(pfn);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (fs.orphansPending() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, fs.orphansPending(), "the unpin woke the reaper");
    assertTrue(fs.volume().allocator.isFree(pfn, 1));
    assertEquals(1, fs.stats().orphansReaped.sum());
  }
}
