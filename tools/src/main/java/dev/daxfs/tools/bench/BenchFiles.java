package dev.daxfs.tools.bench;

import dev.daxfs.pmem.Regions;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Names of the scratch files and directories benchmarks create in /dev/shm: prefixed with the
 * process id, so that concurrent runs never mistake each other's leftovers for their own; and
 * closing what holds them.
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

  /** Closes every one of {@code scratch}, then throws the first failure, if any. */
  static void closeAll(List<? extends Closeable> scratch) throws IOException {
    IOException first = null;
    for (Closeable c : scratch) {
      try {
        c.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** A new empty directory in /dev/shm. */
  static Path newDirectory() throws IOException {
    return Files.createTempDirectory(Regions.DEFAULT_DIRECTORY, prefix());
  }
}
