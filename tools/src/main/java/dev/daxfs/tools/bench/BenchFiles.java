package dev.daxfs.tools.bench;

import dev.daxfs.pmem.Regions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Names of the scratch files and directories benchmarks create in /dev/shm: prefixed with the
 * process id, so that concurrent runs never mistake each other's leftovers for their own.
 */
final class BenchFiles {

  private BenchFiles() {}

  /** The prefix of every scratch file this process's benchmarks create. */
  static String prefix() {
    return "daxfs-bench-" + ProcessHandle.current().pid() + "-";
  }

  /** A new empty file in /dev/shm ending in {@code suffix}. */
  static Path newFile(String suffix) throws IOException {
    return Files.createTempFile(Regions.DEFAULT_DIRECTORY, prefix(), suffix);
  }

  /** A new empty directory in /dev/shm. */
  static Path newDirectory() throws IOException {
    return Files.createTempDirectory(Regions.DEFAULT_DIRECTORY, prefix());
  }
}
