package dev.daxfs.tests;

import static dev.daxfs.tests.DmaFixture.P;
import static dev.daxfs.tests.DmaFixture.ROOT;
import static dev.daxfs.tests.DmaFixture.await;
import static dev.daxfs.tests.DmaFixture.pattern;
import static dev.daxfs.tests.DmaFixture.tags;
import static dev.daxfs.tests.DmaFixture.withTags;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.LayoutLease;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaCompletion;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaRegistration;
import dev.daxfs.gup.Gup;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The long-term pin policy and its two opt-ins (DESIGN.md, "Long-term pins"): ODP devices, which
 * hold no pins and fault in the new layout after a break invalidated them, and layout leases,
 * under which truncate and punch fail with ETXTBSY and the holder may pin for the long term.
 * Anything else asking for a long-term pin gets EOPNOTSUPP.
 */
class DmaPolicyTest {

  private static ErrnoException assertErrno(Errno want, Executable e, String what) {
    ErrnoException x = assertThrows(ErrnoException.class, e, what);
    assertEquals(want, x.errno(), what + ": " + x.getMessage());
    return x;
  }

  /** What an ODP transfer across a punch saw. */
  record OdpOutcome(byte[] file, byte[] expected, byte[] victim, long misdirected,
      int retries) {}

  /**
   * An ODP device resolves page 3 and is held before writing; page 3 is punched (no wait: the
   * device holds no pin; the break's unmap invalidates it); another file takes the freed block;
   * then the device writes. It notices the invalidation, resolves the page again (a write fault
   * that allocates a new block) and writes there.
   */
  private static OdpOutcome odpAcrossAPunch(DmaFixture fx) {
    DmaDevice gpu = fx.dma.createDevice(DeviceSpec.named("gpu0").withOdp(true));
    byte[] a0 = pattern(8 * P, 1);
    FileHandle a = fx.file("/a", a0);
    CpuMapping m = fx.map(a);
    FileHandle b = fx.victim("/b");
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> write = gpu.writeTagged(m, 3 * P + 512, 1024, gate);
    new DmaFixture.Op("punch", () -> fx.fs.fallocate(ROOT, a,
        DmaFixture.PUNCH_HOLE | DmaFixture.KEEP_SIZE, 3 * P, P)).join();
    fx.fill(b, 8, 2);
    gate.complete(null);
    DmaCompletion c = await(write, "the ODP write");
    byte[] punched = a0.clone();
    Arrays.fill(punched, 3 * P, 4 * P, (byte) 0);
    OdpOutcome o = new OdpOutcome(fx.read(a), withTags(punched, gpu, c.sequence(), 3 * P + 512,
        1024), fx.read(b), fx.dma.misdirectedWrites(), c.odpRetries());
    m.close();
    fx.fs.release(a);
    fx.fs.release(b);
    return o;
  }

  @Test
  void anOdpDeviceKeepsWorkingAcrossAPunchByFaultingInTheNewLayout() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      OdpOutcome o = odpAcrossAPunch(fx);
      assertTrue(o.retries() >= 1, "the device saw the invalidation and resolved again");
      assertArrayEquals(o.expected(), o.file(), "the write landed in the file's new block");
      assertArrayEquals(pattern(8 * P, 2), o.victim(), "not in the freed one");
      assertEquals(0, o.misdirected());
      assertEquals(0, fx.fs.stats().layoutWaits.sum(), "ODP holds no pins: nothing to wait for");
    }
  }

  @Test
  void withoutTheBreakTheOdpDeviceIsNotInvalidatedAndWritesIntoAFreedBlock() {
    try (DmaFixture fx = DmaFixture.create(true)) {
      OdpOutcome o = odpAcrossAPunch(fx);
      assertEquals(0, o.retries(), "no unmap, no invalidation");
      assertTrue(tags(o.victim()) > 0, "the ODP write landed in the other file");
      assertTrue(o.misdirected() > 0);
    }
  }

  @Test
  void anOdpRegistrationNeedsNoLeaseAndFollowsTheLayout() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      DmaDevice gpu = fx.dma.createDevice(DeviceSpec.named("gpu0").withOdp(true));
      FileHandle a = fx.file("/a", pattern(8 * P, 1));
      CpuMapping m = fx.map(a);
      FileHandle b = fx.victim("/b");
      try (DmaRegistration reg = gpu.register(m, 0, 8 * P, true)) {
        await(reg.writeTagged(2 * P, P), "a write before the punch");
        fx.fs.fallocate(ROOT, a, DmaFixture.PUNCH_HOLE | DmaFixture.KEEP_SIZE, 2 * P, 2 * P);
        fx.fill(b, 8, 2);
        DmaCompletion c = await(reg.writeTagged(2 * P, P), "a write after the punch");
        byte[] now = fx.read(a);
        assertEquals(P / 32, tags(Arrays.copyOfRange(now, 2 * P, 3 * P)),
            "the second write filled page 2 again, in a new block");
        assertEquals(0, tags(Arrays.copyOfRange(now, 3 * P, 4 * P)), "page 3 stays a hole");
        assertArrayEquals(pattern(8 * P, 2), fx.read(b));
        assertEquals(0, fx.dma.misdirectedWrites());
        assertEquals(P, c.bytes());
        fx.fs.release(b);
      }
      m.close();
      fx.fs.release(a);
    }
  }

  @Test
  void aLeasedRangeGivesEtxtbsyAndAllowsTheHoldersLongTermPins() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      byte[] a0 = pattern(8 * P, 1);
      FileHandle a = fx.file("/a", a0);
      CpuMapping m = fx.map(a);
      try (LayoutLease lease = fx.fs.acquireLease(ROOT, a, 2 * P, 4 * P, fx.nic);
          DmaRegistration reg = fx.nic.register(m, 2 * P, 4 * P, true)) {
        assertTrue(reg.pin().longTerm());
        assertErrno(Errno.ETXTBSY, () -> fx.fs.setattr(ROOT, a.ino(),
            SetAttr.create().size(3 * P).handle(a)), "truncate into the lease");
        assertErrno(Errno.ETXTBSY, () -> fx.fs.fallocate(ROOT, a,
            DmaFixture.PUNCH_HOLE | DmaFixture.KEEP_SIZE, 5 * P, P), "punch in the lease");
        assertErrno(Errno.ETXTBSY, () -> fx.fs.fallocate(ROOT, a,
            DmaFixture.ZERO_RANGE, 3 * P, 100), "zero in the lease");
        assertErrno(Errno.ETXTBSY, () -> fx.fs.fallocate(ROOT, a,
            DmaFixture.COLLAPSE_RANGE, 0, P), "collapse before the lease (moves its pages)");
        assertErrno(Errno.ETXTBSY, () -> fx.fs.fallocate(ROOT, a,
            DmaFixture.INSERT_RANGE, P, P), "insert before the lease (moves its pages)");
        assertEquals(5, fx.fs.stats().leaseRefusals.sum());
        assertEquals(0, fx.fs.stats().layoutWaits.sum(), "refused at once, nothing waited");
        assertEquals(8 * P, fx.fs.getattr(a.ino()).size());
        assertArrayEquals(a0, fx.read(a), "nothing changed");

        // Outside the lease, the layout changes as usual.
        fx.fs.fallocate(ROOT, a, DmaFixture.PUNCH_HOLE | DmaFixture.KEEP_SIZE, 7 * P, P);
        DmaCompletion c = await(reg.writeTagged(0, 64), "a write through the registration");
        byte[] want = withTags(a0, fx.nic, c.sequence(), 2 * P, 64);
        Arrays.fill(want, 7 * P, 8 * P, (byte) 0);
        assertArrayEquals(want, fx.read(a));
        assertEquals(lease.holder(), fx.nic);
      }
      m.close();
      fx.fs.release(a);
      fx.assertNoPinsLeft();
    }
  }

  @Test
  void aPlainLongTermPinIsEopnotsupp() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      FileHandle a = fx.file("/a", pattern(8 * P, 1));
      CpuMapping m = fx.map(a);
      assertErrno(Errno.EOPNOTSUPP, () -> fx.nic.register(m, 0, 4 * P, true),
          "a registration without a lease");
      assertErrno(Errno.EOPNOTSUPP, () -> fx.gup.pinUserPages(fx.gup.owner("rdma").newPinVector(), m, 0, 2,
          Gup.FOLL_LONGTERM | Gup.FOLL_WRITE), "FOLL_LONGTERM without a lease");
      try (LayoutLease other = fx.fs.acquireLease(ROOT, a, 0, 8 * P, "someone-else")) {
        assertErrno(Errno.EOPNOTSUPP, () -> fx.nic.register(m, 0, 4 * P, true),
            "another holder's lease does not count");
      }
      try (LayoutLease part = fx.fs.acquireLease(ROOT, a, 0, 2 * P, fx.nic)) {
        assertErrno(Errno.EOPNOTSUPP, () -> fx.nic.register(m, 0, 4 * P, true),
            "a lease must cover the whole registration");
      }
      // Short-term pins are never refused.
      await(fx.nic.writeTagged(m, 0, 64), "a short-term transfer");
      m.close();
      fx.fs.release(a);
      fx.assertNoPinsLeft();
    }
  }

  /**
   * A lease and the registration it allows belong to one holder and end together; afterwards
   * the range may change again and the same registration is refused. The fs and gup APIs leave
   * tying the two lifetimes to the holder (the daemon's session or registration object).
   */
  @Test
  void theLeaseEndsWithItsHolder() {
    try (DmaFixture fx = DmaFixture.create(false)) {
      FileHandle a = fx.file("/a", pattern(8 * P, 1));
      CpuMapping m = fx.map(a);
      Object session = "control-session-1";
      try (LayoutLease lease = fx.fs.acquireLease(ROOT, a, 0, 8 * P, session);
          DmaRegistration reg = fx.nic.register(m, 0, 8 * P, true, session)) {
        assertTrue(reg.isOpen());
        assertErrno(Errno.ETXTBSY, () -> fx.fs.setattr(ROOT, a.ino(),
            SetAttr.create().size(P).handle(a)), "truncate while the session lives");
      }
      fx.assertNoPinsLeft();
      fx.fs.setattr(ROOT, a.ino(), SetAttr.create().size(P).handle(a));
      assertEquals(P, fx.fs.getattr(a.ino()).size(), "the range changes once the holder is gone");
      assertErrno(Errno.EOPNOTSUPP, () -> fx.nic.register(m, 0, P, true, session),
          "the holder's long-term pins end with its lease");
      m.close();
      fx.fs.release(a);
    }
  }

  /**
   * A long-term pin whose lease is gone cannot be waited out: a bounded break fails with
   * ETIMEDOUT and changes nothing.
   */
  @Test
  void aLongTermPinWithoutItsLeaseMakesABoundedBreakTimeOut() {
    MountOptions bounded = MountOptions.defaults().layoutWaitTimeout(Duration.ofMillis(200));
    try (DmaFixture fx = DmaFixture.create(false, bounded)) {
      byte[] a0 = pattern(8 * P, 1);
      FileHandle a = fx.file("/a", a0);
      CpuMapping m = fx.map(a);
      LayoutLease lease = fx.fs.acquireLease(ROOT, a, 0, 8 * P, fx.nic);
      try (DmaRegistration reg = fx.nic.register(m, 0, 8 * P, true)) {
        lease.close();
        assertErrno(Errno.ETIMEDOUT, () -> fx.fs.setattr(ROOT, a.ino(),
            SetAttr.create().size(P).handle(a)), "truncate under a leaseless long-term pin");
        assertEquals(8 * P, fx.fs.getattr(a.ino()).size());
        assertEquals(1, fx.fs.stats().layoutWaitsTimedOut.sum());
        assertEquals(0, fx.fs.stats().layoutWaitsInProgress.get());
        assertTrue(reg.isOpen(), "the registration still holds its pins");
      }
      fx.fs.setattr(ROOT, a.ino(), SetAttr.create().size(P).handle(a));
      assertArrayEquals(Arrays.copyOf(a0, P), fx.read(a));
      m.close();
      fx.fs.release(a);
    }
  }
}
