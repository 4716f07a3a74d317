package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmulatedRegionTest extends RegionContract {

  private final ShmDir dir = new ShmDir();

  private int files;

  @AfterEach
  void removeFiles() {
    closeRegions();
    dir.close();
  }

  @Override
  protected PmemRegion create(long size) throws Exception {
    return Regions.open(
        dir.resolve("r" + files++),
        RegionOptions.create(size).withBackend(RegionOptions.Backend.EMULATED));
  }

  @Override
  protected long[] seams() {
    return new long[] {PmemRegion.PAGE_SIZE, 64 * 1024, 512 * 1024};
  }

  private PmemRegion open(Path path, RegionOptions options) throws Exception {
    PmemRegion r = Regions.open(path, options.withBackend(RegionOptions.Backend.EMULATED));
    assertInstanceOf(EmulatedRegion.class, r);
    return r;
  }

  /** Bytes the file really occupies (st_blocks * 512), as du reports them. */
  private static long allocatedBytes(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("du", "--block-size=1", file.toString()).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertEquals(0, p.waitFor(), "du failed: " + out);
    return Long.parseLong(out.split("\\s+")[0]);
  }

  @Test
  void storesReachTheFileAndSurviveReopening() throws Exception {
    Path file = dir.resolve("persist");
    byte[] data = random(10_000, 11);
    try (PmemRegion r = open(file, RegionOptions.create(2 * MiB))) {
      r.store(4_000, data, 0, data.length);
      r.storeLong(2 * MiB - 8, 0x1234_5678_9ABC_DEF0L);
      r.persist(0, r.size());
    }
    // The file itself holds the bytes (a shared mapping, not a private copy).
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, 2 * MiB - 8);
      assertEquals(0x1234_5678_9ABC_DEF0L, b.flip().getLong());
    }
    try (PmemRegion r = open(file, RegionOptions.existing())) {
      assertEquals(2 * MiB, r.size());
      assertArrayEquals(data, read(r, 4_000, data.length));
    }
  }

  @Test
  void aRegionBeyondFourGibIsSparseAndWorksAtBothEnds() throws Exception {
    long size = 5L << 30;
    Path file = dir.resolve("big");
    byte[] data = random(8_192, 12);
    try (PmemRegion r = open(file, RegionOptions.create(size))) {
      assertEquals(size, r.size());
      assertEquals(size, Files.size(file));
      long fourGib = 4L << 30;
      // Offsets past 2^32 must not wrap: write just below, across and past 4 GiB and at the end.
      r.store(fourGib - 4_096, data, 0, data.length);
      r.storeLong(fourGib - 3, 0x0102030405060708L);
      r.storeLong(size - 8, -2);
      assertTrue(r.compareAndSwapLong(size - 8, -2, 77));
      r.fill(fourGib + 65_536, 100, (byte) 3);
      assertEquals(0, r.loadLong(0), "offset 0 was not aliased by a wrapped offset");
      assertEquals(0x0102030405060708L, r.loadLong(fourGib - 3));
      assertEquals(77, r.loadLong(size - 8));
      assertEquals(3, r.loadByte(fourGib + 65_635));
      CRC32CCheck.same(r, fourGib - 4_096, 8_192);
      r.persist(0, size);
      assertTrue(allocatedBytes(file) < 4 * MiB,
          "a 5 GiB region with a few pages written occupies " + allocatedBytes(file) + " bytes");
    }
    try (PmemRegion r = open(file, RegionOptions.existing().withReadOnly())) {
      assertEquals(77, r.loadLong(size - 8));
    }
  }

  @Test
  void flushModelIsFreeByDefaultAndDelayedOnRequest() throws Exception {
    try (PmemRegion r = open(dir.resolve("free"), RegionOptions.create(MiB))) {
      assertEquals(FlushModel.FREE, r.flushModel());
      assertTrue(r.describe().startsWith("emulated pmem " + dir.resolve("free")), r.describe());
    }
    try (PmemRegion r = open(dir.resolve("slow"),
        RegionOptions.create(MiB).withFlushModel(FlushModel.emulated(150)))) {
      assertEquals(new FlushModel(FlushModel.Kind.DELAYED, 150), r.flushModel());
      r.storeLong(0, 1);
      r.persist(0, 4_096); // spins 64 * 150 ns; must simply work
      assertEquals(1, r.loadLong(0));
    }
  }

  @Test
  void aReadOnlyRegionRefusesEveryStoreBeforeItReachesTheMapping() throws Exception {
    Path file = dir.resolve("ro");
    try (PmemRegion r = open(file, RegionOptions.create(MiB))) {
      r.storeLong(0, 5);
    }
    try (PmemRegion r = open(file, RegionOptions.existing().withReadOnly())) {
      assertTrue(r.readOnly());
      assertEquals(5, r.loadLong(0));
      assertThrows(IllegalStateException.class, () -> r.storeLong(0, 6));
      assertThrows(IllegalStateException.class, () -> r.storeByte(0, (byte) 6));
      assertThrows(IllegalStateException.class, () -> r.store(0, new byte[4], 0, 4));
      assertThrows(IllegalStateException.class, () -> r.store(0, ByteBuffer.allocate(4)));
      assertThrows(IllegalStateException.class, () -> r.fill(0, 4, (byte) 1));
      assertThrows(IllegalStateException.class, () -> r.copy(0, 8, 8));
      assertThrows(IllegalStateException.class, () -> r.compareAndSwapLong(0, 5, 6));
      r.persist(0, 64); // flushing a read-only region is harmless
      assertEquals(5, r.loadLong(0));
      assertTrue(r.describe().contains("read-only"), r.describe());
    }
  }

  /** CRC of a range read through the region equals the JDK's over the same bytes. */
  static final class CRC32CCheck {
    static void same(PmemRegion r, long off, int len) {
      java.util.zip.CRC32C c = new java.util.zip.CRC32C();
      c.update(read(r, off, len));
      assertEquals((int) c.getValue(), r.crc32c(off, len));
    }
  }
}
