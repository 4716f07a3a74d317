package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A daxfs mounted through {@code tools/daxfs mount} (detached, as a user would), on a region in
 * /dev/shm. {@link #close} unmounts with {@code daxfs umount}, and whatever happened before it
 * never leaves a mount, a process or a region behind.
 */
final class DaxfsMount implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The mount point. */
  final Path mountpoint;

  /** The region file. */
  final Path region;

  /** The runtime directory (control sockets, records, logs) of this suite's mounts. */
  final Path runtime;

  /** What the mount command printed. */
  Run.Result mounted;

  private DaxfsMount(Path mountpoint, Path region, Path runtime) {
    this.mountpoint = mountpoint;
    this.region = region;
    this.runtime = runtime;
  }

  /** A mount that is not made yet; {@link #mount} makes it. */
  static DaxfsMount at(Path mountpoint, Path region, Path runtime) {
    return new DaxfsMount(mountpoint, region, runtime);
  }

  /** A fresh region name in /dev/shm, unique to this run. */
  static Path freshRegion(String name) {
    return Path.of("/dev/shm", "daxfs-test-" + name + "-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());
  }

  /** Runs {@code daxfs mount} with {@code extra} options; returns its result. */
  Run.Result tryMount(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("mount", mountpoint.toString(),
        "--pmem", region.toString()));
    if (!List.of(extra).contains("--size")) {
      args.addAll(List.of("--size", "256M"));
    }
    args.addAll(List.of(extra));
    return Run.daxfs(runtime, 150, args.toArray(String[]::new));
  }

  /** Mounts; the test fails with the command's output if it does not succeed. */
  DaxfsMount mount(String... extra) throws Exception {
    mounted = tryMount(extra);
    assertEquals(0, mounted.exit(), "daxfs mount failed: " + mounted.all());
    return this;
  }

  Run.Result umount() throws Exception {
    return Run.daxfs(runtime, 90, "umount", mountpoint.toString());
  }

  /** {@code daxfs stat --json}. */
  JsonNode stat() throws Exception {
    Run.Result r = Run.daxfs(runtime, 60, "stat", mountpoint.toString(), "--json");
    assertEquals(0, r.exit(), "daxfs stat failed: " + r.all());
    return JSON.readTree(r.out());
  }

  /** The pid of the process serving the mount, from its record; -1 if none. */
  long pid() throws Exception {
    try (var ds = Files.newDirectoryStream(runtime, "*.json")) {
      for (Path p : ds) {
        JsonNode n = JSON.readTree(p.toFile());
        if (mountpoint.toRealPath().toString().equals(n.path("mountpoint").asText())
            || mountpoint.toAbsolutePath().toString().equals(n.path("mountpoint").asText())) {
          return n.path("pid").asLong();
        }
      }
    }
    return -1;
  }

  /** Unmounts; if that fails, kills the process and removes the mount. Deletes the region. */
  @Override
  public void close() throws Exception {
    try {
      forceUnmount();
    } finally {
      Files.deleteIfExists(region);
    }
  }

  /** Unmounts cleanly if possible, else by force; never throws for a mount that is gone. */
  void forceUnmount() throws Exception {
    long pid = -1;
    try {
      pid = pid();
    } catch (Exception e) {
      // No record: nothing of ours to kill.
    }
    if (isMounted() || pid > 0) {
      try {
        umount();
      } catch (Throwable t) {
        // Fall through to force.
      }
    }
    if (pid > 0) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    if (isMounted()) {
      Run.run(List.of("umount", "-l", mountpoint.toString()), Map.of(), null, 20);
    }
    if (isMounted()) {
      Run.run(List.of("fusermount3", "-u", "-z", mountpoint.toString()), Map.of(), null, 20);
    }
  }

  /** Whether /proc/self/mountinfo lists the mount point. */
  boolean isMounted() throws Exception {
    String mp = mountpoint.toAbsolutePath().normalize().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].replace("\\040", " ").equals(mp)) {
        return true;
      }
    }
    return false;
  }
}
