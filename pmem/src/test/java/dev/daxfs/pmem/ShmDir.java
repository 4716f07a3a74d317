package dev.daxfs.pmem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A scratch directory under /dev/shm, where emulated regions live, removed by {@link #close}. */
final class ShmDir implements AutoCloseable {

  /** The directory. */
  final Path path;

  ShmDir() {
    try {
      path = Files.createTempDirectory(Regions.DEFAULT_DIRECTORY, "daxfs-pmem-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path resolve(String name) {
    return path.resolve(name);
  }

  @Override
  public void close() {
    try (Stream<Path> all = Files.walk(path)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
