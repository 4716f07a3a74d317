package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * stress-ng's filesystem stressors (Debian's package, a standard third-party exerciser) on a
 * daxfs mount, one at a time and then several together, each with its own verification on
 * ({@code --verify}): random sequences of
 * creates, renames, links, reads and writes checked against what was written, holes punched
 * and filled, extended attributes, locks, mmap through the mount, deep and wide directories,
 * names made of every byte a name may hold. A stressor must run (not skip itself for want of
 * a feature) and pass; after them all the mount unmounts cleanly and fsck finds the region
 * consistent.
 *
 * <p>Budget: {@code -Ddaxfs.stressng.seconds} per stressor (default 2).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MountStressNgTest {
  @TempDir static Path tmp;

  private static final long SECONDS = Long.getLong("daxfs.stressng.seconds", 2);

  /**
   * The stressors that size their files from a default of 1 GiB or from the free space, and the
   * option that sizes them to fit the region many times over.
   */
  private static final Map<String, String> SIZE_OPTIONS = Map.of(
      "hdd", "--hdd-bytes=64M", "iomix", "--iomix-bytes=64M",
      "readahead", "--readahead-bytes=64M", "seek", "--seek-size=64M",
      "fallocate", "--fallocate-bytes=64M", "copy-file", "--copy-file-bytes=128M",
      "sync-file", "--sync-file-bytes=64M", "mmap", "--mmap-bytes=64M");

  private static DaxfsMount mount;

  @BeforeAll
  static void mountIt() throws Exception {
    assumeTrue(Run.run(List.of("sh", "-c", "command -v stress-ng"), Map.of(), tmp, 30).exit() == 0,
        "stress-ng is not installed (tools/setup installs it)");
    Path runtime = Files.createDirectory(tmp.resolve("run"));
    mount = DaxfsMount.at(tmp.resolve("mnt"), DaxfsMount.freshRegion("stressng"), runtime);
    mount.mount("--size", "1G");
  }

  @AfterAll
  static void unmountIt() throws Exception {
    if (mount != null) {
      mount.close();
    }
  }

  @Order(1)
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      // data: writes, reads and verification, holes, copies, syncs, mmap through the mount,
      // asynchronous I/O, sendfile, file size limits
      "hdd", "seek", "readahead", "revio", "io", "iomix", "fallocate", "fpunch", "copy-file",
      "sync-file", "mmap", "aio", "aiol", "sendfile", "fsize",
      // names and the tree
      "dir", "dirdeep", "dirmany", "dentry", "getdent", "filename", "link", "symlink", "rename",
      "open", "mknod", "chdir", "handle",
      // attributes, ownership, times, xattrs, permissions
      "chmod", "chown", "utime", "touch", "fstat", "access", "xattr", "chattr", "inode-flags",
      "file-ioctl",
      // locks, leases and change notification
      "flock", "fcntl", "lockf", "locka", "lockofd", "lease", "inotify", "dnotify"})
  void stressorRunsAndPasses(String stressor) throws Exception {
    Path dir = Files.createDirectory(mount.mountpoint.resolve(stressor));
    List<String> cmd = new ArrayList<>(List.of("stress-ng", "--" + stressor, "1",
        "--timeout", SECONDS + "s", "--verify", "--temp-path", dir.toString()));
    String sizeOption = SIZE_OPTIONS.get(stressor);
    if (sizeOption != null) {
      cmd.add(sizeOption);
    }
    Run.Result r = Run.run(cmd, Map.of(), tmp, SECONDS + 120);
    assertEquals(0, r.exit(), "stress-ng --" + stressor + " failed on daxfs: " + r.all());
    assertFalse(r.all().contains("skipping"), "stress-ng skipped --" + stressor + ": " + r.all());
    assertTrue(r.all().contains("successful run completed"), r.all());
  }

  @Order(2)
  @Test
  void stressorsRunningTogetherPass() throws Exception {
    Path dir = Files.createDirectory(mount.mountpoint.resolve("together"));
    List<String> cmd = new ArrayList<>(List.of("stress-ng", "--timeout", 3 * SECONDS + "s",
        "--verify", "--temp-path", dir.toString()));
    for (String s : List.of("hdd", "iomix", "fallocate", "fpunch", "dir", "dentry", "rename",
        "link", "xattr")) {
      cmd.addAll(List.of("--" + s, "2"));
      String sizeOption = SIZE_OPTIONS.get(s);
      if (sizeOption != null) {
        cmd.add(sizeOption);
      }
    }
    Run.Result r = Run.run(cmd, Map.of(), tmp, 3 * SECONDS + 180);
    assertEquals(0, r.exit(), "stress-ng's stressors together failed on daxfs: " + r.all());
    assertTrue(r.all().contains("successful run completed"), r.all());
  }

  @Order(3)
  @Test
  void afterwardsTheMountUnmountsCleanlyAndFsckFindsNothing() throws Exception {
    Run.Result u = mount.umount();
    assertEquals(0, u.exit(), "umount: " + u.all());
    assertTrue(u.out().contains("cleanly"), u.all());
    Run.Result fsck = Run.daxfs(mount.runtime, 300, "fsck", mount.region.toString());
    assertEquals(0, fsck.exit(), "fsck after the stressors: " + fsck.all());
    assertTrue(fsck.out().contains(": clean;"), fsck.all());
  }
}
