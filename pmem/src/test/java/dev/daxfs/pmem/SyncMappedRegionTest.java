package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The real-pmem backend, run over ordinary shared mappings of /dev/shm files (no DAX device
 * here) with 64 KiB segments so that accesses straddling two mappings are exercised; and, when
 * DAXFS_PMEM_DIR names a directory on a DAX filesystem, over a real MAP_SYNC mapping.
 */
class SyncMappedRegionTest extends RegionContract {

  static final long SEGMENT = 64 * 1024;

  /** A mapper that maps like MAP_SYNC would but accepts any file, recording what it mapped. */
  static final class PlainMapper implements SyncMapper {
    final List<Long> positions = new ArrayList<>();

    @Override
    public MappedByteBuffer map(FileChannel ch, long position, long size, boolean readOnly)
        throws java.io.IOException {
      positions.add(position);
      return ch.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE,
          position, size);
    }
  }

  private final ShmDir dir = new ShmDir();

  private int files;

  @AfterEach
  void removeFiles() {
    closeRegions();
    dir.close();
  }

  @Override
  protected PmemRegion create(long size) throws Exception {
    PmemRegion r = Regions.open(dir.resolve("s" + files++),
        RegionOptions.create(size).withSyncMapper(new PlainMapper(), SEGMENT));
    assertInstanceOf(SyncMappedRegion.class, r);
    return r;
  }

  @Override
  protected long[] seams() {
    return new long[] {SEGMENT, 3 * SEGMENT, 15 * SEGMENT};
  }

  @Test
  void mapsTheFileInSegmentsAndFlushesByWriteBack() throws Exception {
    PlainMapper mapper = new PlainMapper();
    Path file = dir.resolve("segments");
    byte[] data = random(200_000, 21);
    try (PmemRegion r = Regions.open(file,
        RegionOptions.create(MiB).withSyncMapper(mapper, SEGMENT))) {
      assertEquals(16, mapper.positions.size());
      assertEquals(15 * SEGMENT, mapper.positions.get(15));
      assertEquals(FlushModel.CACHE_LINE_WRITEBACK, r.flushModel());
      assertTrue(r.describe().startsWith("real pmem (experimental, MAP_SYNC) " + file), r.describe());
      r.store(3 * SEGMENT - 100_000, data, 0, data.length);
      r.persist(0, MiB);
    }
    try (PmemRegion r = Regions.open(file,
        RegionOptions.existing().withReadOnly().withSyncMapper(new PlainMapper(), SEGMENT))) {
      assertArrayEquals(data, read(r, 3 * SEGMENT - 100_000, data.length));
      assertThrows(IllegalStateException.class, () -> r.storeByte(0, (byte) 1));
      r.persist(0, 64);
    }
  }

  @Test
  void onARealDaxFilesystemTheJdkMapperGivesRealPmem() throws Exception {
    String pmemDir = System.getenv("DAXFS_PMEM_DIR");
    Assumptions.assumeTrue(pmemDir != null,
        "no persistent memory on this machine: set DAXFS_PMEM_DIR to a directory on a DAX "
            + "(fsdax) filesystem to run the real-pmem test");
    Path file = Files.createTempFile(Path.of(pmemDir), "daxfs-test-", ".region");
    Files.delete(file);
    try (PmemRegion r = Regions.open(file,
        RegionOptions.create(4 * MiB).withBackend(RegionOptions.Backend.REAL_PMEM))) {
      assertInstanceOf(SyncMappedRegion.class, r);
      byte[] data = random(4_096, 22);
      r.storePersist(8_192, data, 0, data.length);
      assertArrayEquals(data, read(r, 8_192, data.length));
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
