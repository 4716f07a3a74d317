package dev.daxfs.gup;

import static dev.daxfs.gup.GupFile.PAGE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.MemoryBlockMap;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DmaDeviceTest {

  private final GupFile f = new GupFile(8);
  private final Gup gup = new Gup();
  private final DmaEmulator emulator = new DmaEmulator(gup);

  @AfterEach
  void close() {
    emulator.close();
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(1, TimeUnit.MINUTES);
  }

  private static Errno failure(CompletableFuture<?> future) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(1, TimeUnit.MINUTES));
    return ((ErrnoException) e.getCause()).errno();
  }

  private byte[] fileBytes(CpuMapping m, long addr, int len) throws ErrnoException {
    byte[] out = new byte[len];
    m.load(addr, out, 0, len);
    return out;
  }

  // ---- devices ----------------------------------------------------------------------------------

  @Test
  void devicesAreNamedOnce() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0"));
    assertEquals(Errno.EEXIST, assertThrows(ErrnoException.class, () -> emulator.createDevice(DeviceSpec.named("nic0"))).errno());
    assertThrows(IllegalArgumentException.class, () -> DeviceSpec.named("bad name"));
    assertThrows(IllegalArgumentException.class, () -> DeviceSpec.named("x").withBandwidth(-1));
    assertEquals(nic, emulator.device("nic0").orElseThrow());
    CpuMapping m = f.mapRw(8);
    emulator.removeDevice("nic0");
    assertEquals(Errno.ENXIO, assertThrows(ErrnoException.class, () -> nic.write(m, 0, new byte[8])).errno());
    assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> emulator.removeDevice("nic0")).errno());
  }

  // ---- short-term transfers by a pinning device -------------------------------------------------

  @Test
  void aWriteLandsThenUnpinsDirty() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0"));
    CpuMapping m = f.mapRw(8);
    byte[] data = new byte[2 * PAGE + 100];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i % 251);
    }
    DmaCompletion done = await(nic.write(m, PAGE - 50, data));
    assertEquals(4, done.pages(), "bytes [4046, 12338) touch pages 0 to 3");
    assertEquals(data.length, done.bytes());
    assertEquals(0, done.misdirectedWrites());
    assertArrayEquals(data, fileBytes(m, PAGE - 50, data.length));
    for (int i = 0; i < 4; i++) {
      assertEquals(0, f.pages.pinCount(f.blocks.blockOf(i)));
      assertTrue(f.space.entry(i).dirty(), "unpinned dirty: the next fsync writes it back");
    }
    DeviceStats s = nic.stats();
    assertEquals(1, s.transfersCompleted());
    assertEquals(data.length, s.bytesWritten());
    assertEquals(0, s.outstandingPins());
    assertEquals(gup.stats().pinsAcquired(), gup.stats().pinsReleased());
    List<DmaWrite> writes = nic.recentWrites();
    assertEquals(4, writes.size());
    assertEquals(0, writes.get(0).index());
    assertEquals(PAGE - 50, writes.get(0).offsetInPage());
    assertEquals(50, writes.get(0).length());
    assertEquals(50, writes.get(3).length());
    assertEquals(done.sequence(), writes.get(3).sequence());
  }

  @Test
  void pagesStayPinnedForTheHoldAndATruncateWaitsForThem() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0").withTiming(WriteTiming.SPREAD));
    CpuMapping m = f.mapRw(8);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> transfer = nic.writeTagged(m, 4L * PAGE, 2 * PAGE, gate);
    long p4 = f.blocks.blockOf(4);
    assertEquals(1, f.pages.pinCount(p4));
    assertEquals(2, nic.stats().outstandingPins());
    assertFalse(f.blocks.truncate(f.space, 2L * PAGE, Duration.ofMillis(30)), "the break waits for DMA");
    assertEquals(p4, f.blocks.blockOf(4), "nothing freed while pinned");
    gate.complete(null);
    DmaCompletion done = await(transfer);
    assertEquals(0, done.misdirectedWrites());
    DmaTag tag = DmaTag.decode(fileBytes(m, 5L * PAGE, 64), 0).orElseThrow();
    assertEquals(new DmaTag(nic.id(), done.sequence(), 1), tag);
    assertTrue(f.blocks.truncate(f.space, 2L * PAGE, Duration.ofMinutes(1)));
    assertEquals(0, emulator.misdirectedWrites());
  }

  /**
   * A broken filesystem frees a block while a device has it pinned, and another file gets it:
   * the device's write corrupts the other file, and the emulator counts it as misdirected.
   */
  @Test
  void aWriteIntoAFreedAndReusedBlockIsCountedMisdirected() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0"));
    CpuMapping m = f.mapRw(8);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> transfer = nic.writeTagged(m, 3L * PAGE, PAGE, gate);
    long pfn = f.blocks.blockOf(3);

    // No layout break: the block goes back to the allocator with the pin still on it.
    assertEquals(pfn, f.blocks.removeBlock(3));
    MemoryBlockMap otherBlocks = f.anotherFile(8, 4);
    DaxAddressSpace other = new DaxAddressSpace(f.pages, 8, otherBlocks);
    CpuMapping victim = other.mmap(0, 4L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    victim.storeLong(0, 0x5AFE);
    assertEquals(pfn, otherBlocks.blockOf(0), "the freed block was reused by the other file");

    gate.complete(null);
    DmaCompletion done = await(transfer);
    assertEquals(1, done.misdirectedWrites());
    assertEquals(1, nic.misdirectedWrites());
    assertEquals(1, emulator.misdirectedWrites());
    DmaWrite w = nic.recentWrites().get(0);
    assertTrue(w.misdirected());
    assertEquals(7, w.inode());
    assertEquals(3, w.index());
    assertEquals(8, w.ownerInode());
    assertEquals(0, w.ownerIndex());
    DmaTag landed = DmaTag.decode(fileBytes(victim, 0, 32), 0).orElseThrow();
    assertEquals(done.sequence(), landed.sequence(), "the other file now holds the device's data");
  }

  @Test
  void readsSeeFileDataAndZeroesForHoles() throws Exception {
    DmaDevice disk = emulator.createDevice(DeviceSpec.named("disk0").withBandwidth(1L << 30));
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 0x0102030405060708L);
    byte[] read = await(disk.read(m, 0, 2 * PAGE));
    assertEquals(8, read[0]);
    assertEquals(0, read[PAGE + 5], "a hole reads as zero");
    assertEquals(-1, f.blocks.blockOf(1), "a read does not allocate");
    assertEquals(2L * PAGE, disk.stats().bytesRead());
    assertEquals(0, gup.stats().outstanding());
  }

  @Test
  void aReadOfAPoisonedLineFailsWithEio() throws Exception {
    DmaDevice disk = emulator.createDevice(DeviceSpec.named("disk0"));
    CpuMapping m = f.mapRw(8);
    m.storeLong(0, 1);
    f.region.poison(f.blocks.blockOf(0) * PAGE + 128, 64);
    // The pin refuses the poisoned page, so the transfer never starts.
    assertEquals(Errno.EIO,
        assertThrows(ErrnoException.class, () -> disk.read(m, 0, 256)).errno());
    assertEquals(0, disk.stats().bytesRead());
    assertEquals(0, gup.stats().outstanding(), "no pin stays behind");
  }

  @Test
  void badTransfersAreRefusedAtOnce() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0"));
    CpuMapping m = f.mapRw(8);
    assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> nic.write(m, 0, new byte[0])).errno());
    assertEquals(Errno.EFAULT, assertThrows(ErrnoException.class, () -> nic.write(m, 8L * PAGE - 4, new byte[8])).errno());
    CpuMapping beyond = f.space.mmap(0, 16L * PAGE, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
    assertEquals(Errno.EFAULT, assertThrows(ErrnoException.class, () -> nic.write(beyond, 7L * PAGE, new byte[2 * PAGE])).errno());
    assertEquals(0, gup.stats().outstanding(), "the partial pin was undone");
  }

  // ---- ODP --------------------------------------------------------------------------------------

  @Test
  void anOdpDeviceHoldsNoPinsAndRetriesAfterAnInvalidation() throws Exception {
    DmaDevice gpu = emulator.createDevice(DeviceSpec.named("gpu0").withOdp(true));
    CpuMapping m = f.mapRw(8);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> transfer = gpu.writeTagged(m, 2L * PAGE, PAGE, gate);
    long old = f.blocks.blockOf(2);
    assertTrue(old > 0, "resolving faulted the page in for write");
    assertEquals(0, f.pages.pinCount(old), "ODP holds no pins");

    // Punch page 2: the break does not wait for ODP, it invalidates it.
    assertTrue(f.blocks.truncate(f.space, 2L * PAGE, Duration.ZERO));
    f.blocks.setSize(8L * PAGE);
    gate.complete(null);
    DmaCompletion done = await(transfer);
    assertEquals(1, done.odpRetries());
    assertEquals(0, done.misdirectedWrites());
    long fresh = f.blocks.blockOf(2);
    assertTrue(fresh > 0);
    DmaWrite w = gpu.recentWrites().get(0);
    assertEquals(fresh, w.pfn(), "the retry wrote the page's new block");
    assertEquals(done.sequence(), DmaTag.decode(fileBytes(m, 2L * PAGE, 32), 0).orElseThrow().sequence());
    assertTrue(f.space.notifiers().isEmpty(), "a short-term transfer unregisters its notifier");
  }

  @Test
  void anOdpWriteBeyondANewEndOfFileFailsWithEfault() throws Exception {
    DmaDevice gpu = emulator.createDevice(DeviceSpec.named("gpu0").withOdp(true));
    CpuMapping m = f.mapRw(8);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CompletableFuture<DmaCompletion> transfer = gpu.write(m, 6L * PAGE, new byte[] {1, 2, 3}, gate);
    long old = f.blocks.blockOf(6);
    assertTrue(f.blocks.truncate(f.space, PAGE, Duration.ZERO));
    gate.complete(null);
    assertEquals(Errno.EFAULT, failure(transfer));
    assertEquals(0, f.region.loadByte(old * PAGE), "the freed block was not written");
    assertEquals(0, gpu.misdirectedWrites());
  }

  // ---- long-term registrations ------------------------------------------------------------------

  @Test
  void aPinningRegistrationNeedsThePolicyAndHoldsUntilClosed() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0"));
    CpuMapping m = f.mapRw(8);
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(ErrnoException.class, () -> nic.register(m, 0, 4L * PAGE, true)).errno());
    Object lease = new Object();
    f.space.setLongTermPinPolicy(
        r -> {
          if (r.holder() != lease) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "no layout lease");
          }
        });
    DmaRegistration reg = nic.register(m, 0, 4L * PAGE, true, lease);
    assertTrue(reg.pin().longTerm());
    assertEquals(4, nic.stats().outstandingPins());
    DmaCompletion first = await(reg.writeTagged(PAGE, 64));
    DmaCompletion second = await(reg.write(3L * PAGE + 8, new byte[] {9}));
    assertTrue(second.sequence() > first.sequence());
    assertEquals(first.sequence(), DmaTag.decode(fileBytes(m, PAGE, 32), 0).orElseThrow().sequence());
    assertEquals(9, m.loadByte(3L * PAGE + 8));
    assertEquals(Errno.EFAULT, assertThrows(ErrnoException.class, () -> reg.write(4L * PAGE - 1, new byte[2])).errno());
    assertFalse(f.blocks.truncate(f.space, 0, Duration.ofMillis(20)), "long-term pins block the break");

    f.space.writeback(0, 8);
    await(reg.write(0, new byte[] {1}));
    assertTrue(f.space.entry(0).dirty(), "a registered write dirties its page for the next fsync");

    reg.close();
    reg.close();
    assertFalse(reg.isOpen());
    assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> reg.write(0, new byte[1])).errno());
    assertEquals(0, nic.stats().outstandingPins());
    assertTrue(f.blocks.truncate(f.space, 0, Duration.ofMinutes(1)));
  }

  @Test
  void aReadOnlyRegistrationRefusesWrites() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0"));
    f.space.setLongTermPinPolicy(r -> {});
    CpuMapping m = f.mapRw(8);
    DmaRegistration reg = nic.register(m, 0, PAGE, false);
    assertEquals(Errno.EACCES, assertThrows(ErrnoException.class, () -> reg.write(0, new byte[1])).errno());
    assertEquals(PAGE, await(reg.read(0, PAGE)).length);
    reg.close();
  }

  @Test
  void anOdpRegistrationFollowsTheLayout() throws Exception {
    DmaDevice gpu = emulator.createDevice(DeviceSpec.named("gpu0").withOdp(true));
    CpuMapping m = f.mapRw(8);
    DmaRegistration reg = gpu.register(m, 0, 8L * PAGE, true);
    assertEquals(0, gup.stats().pinsAcquired(), "no pins");
    await(reg.writeTagged(0, PAGE));
    long before = f.blocks.blockOf(0);
    assertTrue(f.blocks.truncate(f.space, 0, Duration.ZERO), "ODP never makes a break wait");
    f.blocks.setSize(8L * PAGE);
    DmaCompletion again = await(reg.writeTagged(0, PAGE));
    assertEquals(0, again.misdirectedWrites());
    assertEquals(again.sequence(), DmaTag.decode(fileBytes(m, 0, 32), 0).orElseThrow().sequence());
    assertTrue(f.blocks.blockOf(0) > 0);
    assertTrue(before > 0);
    reg.close();
    assertTrue(f.space.notifiers().isEmpty());
  }

  @Test
  void closingTheEmulatorClosesRegistrationsAndFinishesTransfers() throws Exception {
    DmaDevice nic = emulator.createDevice(DeviceSpec.named("nic0").withHold(Duration.ofMillis(5)));
    f.space.setLongTermPinPolicy(r -> {});
    CpuMapping m = f.mapRw(8);
    DmaRegistration reg = nic.register(m, 0, PAGE, true);
    CompletableFuture<DmaCompletion> pending = nic.write(m, 2L * PAGE, new byte[] {7});
    emulator.close();
    assertTrue(pending.isDone());
    assertFalse(reg.isOpen());
    assertEquals(0, gup.stats().outstanding());
    assertEquals(Errno.ENXIO, assertThrows(ErrnoException.class, () -> emulator.createDevice(DeviceSpec.named("x"))).errno());
  }
}
