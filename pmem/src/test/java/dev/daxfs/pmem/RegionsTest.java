package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class RegionsTest {

  private static final long MiB = Sizes.MiB;

  private final ShmDir dir = new ShmDir();

  @AfterEach
  void removeFiles() {
    dir.close();
  }

  private static String failure(Path path, RegionOptions options) {
    RegionException e = assertThrows(RegionException.class, () -> Regions.open(path, options).close());
    String m = e.getMessage();
    assertFalse(m.contains("\n"), "one sentence: " + m);
    assertFalse(m.endsWith("."), "no full stop, the command line adds it: " + m);
    return m;
  }

  private Path fileOf(String name, long size) throws IOException {
    Path p = dir.resolve(name);
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(size);
    }
    return p;
  }

  @Test
  void createsOnDemandThenOpensWithTheFileSize() throws Exception {
    Path p = dir.resolve("r");
    try (PmemRegion r = Regions.open(p, RegionOptions.create(3 * MiB))) {
      assertEquals(3 * MiB, r.size());
      r.storeLong(0, 99);
    }
    assertEquals(3 * MiB, Files.size(p));
    try (var names = Files.list(dir.path)) {
      assertEquals(List.of(p), names.toList(), "no temporary file is left behind");
    }
    try (PmemRegion r = Regions.open(p, RegionOptions.existing())) {
      assertEquals(3 * MiB, r.size());
      assertEquals(99, r.loadLong(0));
    }
    // Creating again with the same size opens what is there.
    try (PmemRegion r = Regions.open(p, RegionOptions.create(3 * MiB))) {
      assertEquals(99, r.loadLong(0));
    }
  }

  @Test
  void racingCreatorsEndUpSharingOneRegion() throws Exception {
    for (int round = 0; round < 10; round++) {
      Path p = dir.resolve("race" + round);
      java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures =
          new java.util.concurrent.ConcurrentLinkedQueue<>();
      Thread[] threads = new Thread[4];
      for (int t = 0; t < threads.length; t++) {
        long mark = t + 1;
        threads[t] = new Thread(() -> {
          try (PmemRegion r = Regions.open(p, RegionOptions.create(MiB))) {
            r.storeLong(mark * 8, mark);
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        threads[t].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      assertEquals(List.of(), List.copyOf(failures));
      try (PmemRegion r = Regions.open(p, RegionOptions.existing())) {
        for (long mark = 1; mark <= threads.length; mark++) {
          assertEquals(mark, r.loadLong(mark * 8), "every creator wrote into the same file");
        }
      }
    }
    try (var names = Files.list(dir.path)) {
      assertEquals(10, names.count(), "only the regions remain");
    }
  }

  @Test
  void onThisMachineAutoFallsBackToEmulatedAndSaysWhy() throws Exception {
    // /dev/shm is tmpfs, which refuses MAP_SYNC: the JDK's own mapper is tried and fails.
    try (PmemRegion r = Regions.open(dir.resolve("auto"), RegionOptions.create(MiB))) {
      assertInstanceOf(EmulatedRegion.class, r);
      assertTrue(r.describe().contains("not real pmem: a MAP_SYNC mapping was refused"), r.describe());
    }
    try (PmemRegion r = Regions.open(dir.resolve("emu"),
        RegionOptions.create(MiB).withBackend(RegionOptions.Backend.EMULATED))) {
      assertFalse(r.describe().contains("MAP_SYNC"), "emulated by request tries nothing: " + r.describe());
    }
  }

  @Test
  void selectionUsesTheMapperWhenItSucceedsAndExplainsWhenItFails() throws Exception {
    SyncMapper refusing = (ch, pos, size, ro) -> {
      throw new IOException("Operation not supported");
    };
    SyncMapper unsupported = (ch, pos, size, ro) -> {
      throw new UnsupportedOperationException("no cache-line write-back on this CPU");
    };
    SyncMapper plain = new SyncMappedRegionTest.PlainMapper();
    try (PmemRegion r = Regions.open(dir.resolve("a"),
        RegionOptions.create(MiB).withSyncMapper(plain, 1L << 30))) {
      assertInstanceOf(SyncMappedRegion.class, r);
    }
    try (PmemRegion r = Regions.open(dir.resolve("b"),
        RegionOptions.create(MiB).withSyncMapper(refusing, 1L << 30))) {
      assertInstanceOf(EmulatedRegion.class, r);
      assertTrue(r.describe().endsWith(
          "not real pmem: a MAP_SYNC mapping was refused (Operation not supported)"), r.describe());
    }
    try (PmemRegion r = Regions.open(dir.resolve("c"),
        RegionOptions.create(MiB).withSyncMapper(unsupported, 1L << 30))) {
      assertTrue(r.describe().contains("no cache-line write-back on this CPU"), r.describe());
    }
    // Asked for real pmem only: the reason becomes the error.
    String m = failure(dir.resolve("d"), RegionOptions.create(MiB)
        .withBackend(RegionOptions.Backend.REAL_PMEM).withSyncMapper(refusing, 1L << 30));
    assertEquals("region " + dir.resolve("d") + " cannot be used as real pmem: a MAP_SYNC "
        + "mapping was refused (Operation not supported)", m);
    // Emulated by request: the mapper is never asked.
    SyncMapper exploding = (ch, pos, size, ro) -> {
      throw new AssertionError("mapper called");
    };
    Regions.open(dir.resolve("e"), RegionOptions.create(MiB)
        .withBackend(RegionOptions.Backend.EMULATED).withSyncMapper(exploding, 1L << 30)).close();
  }

  @Test
  void aFailedSegmentLeavesNothingMappedAndFallsBack() throws Exception {
    int[] calls = {0};
    SyncMapper failsSecond = (ch, pos, size, ro) -> {
      if (calls[0]++ == 1) {
        throw new IOException("Operation not supported");
      }
      return ch.map(FileChannel.MapMode.READ_WRITE, pos, size);
    };
    try (PmemRegion r = Regions.open(dir.resolve("seg"),
        RegionOptions.create(MiB).withSyncMapper(failsSecond, 64 * 1024))) {
      assertInstanceOf(EmulatedRegion.class, r);
      assertEquals(2, calls[0]);
    }
  }

  @Test
  void badRegionsAreRefusedWithOneSentenceEach() throws Exception {
    Path missing = dir.resolve("missing");
    assertEquals("region " + missing + " does not exist", failure(missing, RegionOptions.existing()));

    assertEquals("region " + dir.path + " is a directory, not a region file",
        failure(dir.path, RegionOptions.existing()));
    assertEquals("region " + dir.path + " is a directory, not a region file",
        failure(dir.path, RegionOptions.create(MiB)));

    Path small = fileOf("small", 512 * 1024);
    assertEquals("region " + small + " is 512 KiB; a region is at least 1 MiB",
        failure(small, RegionOptions.existing()));

    Path odd = fileOf("odd", MiB + 100);
    assertEquals("region " + odd + " is 1048676 bytes, not a multiple of 4 KiB",
        failure(odd, RegionOptions.existing()));

    Path sized = fileOf("sized", 2 * MiB);
    assertEquals("region " + sized + " is 2 MiB, not the requested 4 MiB",
        failure(sized, RegionOptions.existing().withExpectedSize(4 * MiB)));
    assertEquals("region " + sized + " is 2 MiB, not the requested 1 MiB",
        failure(sized, RegionOptions.create(MiB)));

    assertEquals("a region must be at least 1 MiB, not 4 KiB",
        failure(dir.resolve("tiny"), RegionOptions.create(4096)));
    assertEquals("a region size must be a multiple of 4 KiB, not 1048577 bytes",
        failure(dir.resolve("x"), RegionOptions.create(MiB + 1)));
    assertFalse(Files.exists(dir.resolve("x")), "a refused request creates nothing");

    Path nowhere = dir.resolve("no/such/dir/r");
    assertEquals("cannot create region " + nowhere + ": directory " + dir.resolve("no/such/dir")
        + " does not exist", failure(nowhere, RegionOptions.create(MiB)));

    Path fifo = dir.resolve("fifo");
    Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0);
    assertEquals("region " + fifo + " is not a regular file", failure(fifo, RegionOptions.existing()));
  }

  @Test
  void aSparseRegionLargerThanTheFreeSpaceIsCreatedAndSaysSo() throws Exception {
    long free = Files.getFileStore(dir.path).getUsableSpace();
    long tooBig = (free / Sizes.GiB + 16) * Sizes.GiB;
    Path p = dir.resolve("huge");
    try (PmemRegion r = Regions.open(p, RegionOptions.create(tooBig)
        .withBackend(RegionOptions.Backend.EMULATED))) {
      assertEquals(tooBig, r.size());
      assertTrue(r.describe().contains("sparse beyond the"), r.describe());
      r.storeLong(tooBig - 8, 42);
      assertEquals(42, r.loadLong(tooBig - 8));
    }
    Process du = new ProcessBuilder("du", "-k", p.toString()).start();
    long kib = Long.parseLong(new String(du.getInputStream().readAllBytes()).split("\\s+")[0]);
    assertTrue(kib < 64 * 1024, "allocated " + kib + " KiB");
  }

  @Test
  void anUnreadableOrUnwritableFileIsRefusedWhenNotRoot() throws Exception {
    Path p = fileOf("locked", MiB);
    Files.setPosixFilePermissions(p, java.util.Set.of());
    Assumptions.assumeFalse(Files.isReadable(p),
        "running as root, which reads any file: permission errors cannot be provoked here");
    assertEquals("region " + p + " cannot be read: permission denied",
        failure(p, RegionOptions.existing()));
  }

  @Test
  void readOnlyCannotCreate() {
    assertThrows(IllegalArgumentException.class, () -> RegionOptions.create(MiB).withReadOnly());
  }

  @Test
  void anExclusiveLockKeepsASecondOpenOut() throws Exception {
    Path p = dir.resolve("locked");
    try (PmemRegion first = Regions.open(p, RegionOptions.create(MiB).withExclusiveLock())) {
      assertEquals("region " + p + " is in use by another daxfs process",
          failure(p, RegionOptions.existing().withExclusiveLock()));
      assertEquals("region " + p + " is in use by another daxfs process",
          failure(p, RegionOptions.existing().withReadOnly().withExclusiveLock()));
      // Without asking for the lock an open is not refused (inspect on a live region).
      Regions.open(p, RegionOptions.existing().withReadOnly()).close();
      first.storeLong(0, 1);
    }
    // Closing the holder releases the lock.
    Regions.open(p, RegionOptions.existing().withExclusiveLock()).close();
  }

  @Test
  void readersShareTheLockAndExcludeAWriter() throws Exception {
    Path p = fileOf("shared", MiB);
    RegionOptions reader = RegionOptions.existing().withReadOnly().withExclusiveLock();
    try (PmemRegion a = Regions.open(p, reader); PmemRegion b = Regions.open(p, reader)) {
      assertEquals("region " + p + " is in use by another daxfs process",
          failure(p, RegionOptions.existing().withExclusiveLock()));
    }
  }

  @Test
  void anotherProcessSeesTheLock() throws Exception {
    Path p = dir.resolve("process");
    Process probe;
    try (PmemRegion r = Regions.open(p, RegionOptions.create(MiB).withExclusiveLock())) {
      // flock(1) from util-linux: a separate process asking for the same lock without waiting.
      try {
        probe = new ProcessBuilder("flock", "--nonblock", "--conflict-exit-code", "9",
            p.toString(), "true").start();
      } catch (IOException e) {
        Assumptions.abort("flock(1) is not installed: " + e.getMessage());
        return;
      }
      assertTrue(probe.waitFor(30, TimeUnit.SECONDS));
      assertEquals(9, probe.exitValue(), "the other process got the lock");
    }
    probe = new ProcessBuilder("flock", "--nonblock", p.toString(), "true").start();
    assertTrue(probe.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, probe.exitValue(), "after close the lock is free");
  }

  @Test
  void aFailedOpenReleasesItsLock() throws Exception {
    Path small = fileOf("small", 512 * 1024);
    failure(small, RegionOptions.existing().withExclusiveLock());
    try (RegionLock lock = RegionLock.acquire(small, false)) {
      assertEquals(small, lock.path());
    }
  }

  @Test
  void resolvePutsBareNamesInTheDefaultDirectory() {
    assertEquals(Path.of("/dev/shm/daxfs"), Regions.resolve("daxfs"));
    assertEquals(Path.of("./daxfs"), Regions.resolve("./daxfs"));
    assertEquals(Path.of("/mnt/pmem/r"), Regions.resolve("/mnt/pmem/r"));
    assertThrows(IllegalArgumentException.class, () -> Regions.resolve(""));
  }
}
