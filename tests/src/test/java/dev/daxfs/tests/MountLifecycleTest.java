package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounting and unmounting as a user meets them: the clean remount, recovery after kill -9, a
 * foreground mount ended by a signal, and every refusal with its one sentence and non-zero exit.
 * Each test cleans up its mounts and regions whatever happens.
 */
class MountLifecycleTest {
  @TempDir Path tmp;

  private Path runtime;

  /** Mounts made by the test; all removed afterwards. */
  private final List<DaxfsMount> mounts = new ArrayList<>();

  @BeforeEach
  void runtimeDir() throws Exception {
    runtime = Files.createDirectory(tmp.resolve("run"));
  }

  @AfterEach
  void cleanUp() throws Exception {
    Exception first = null;
    for (DaxfsMount m : mounts) {
      try {
        m.close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private DaxfsMount newMount(String name) {
    DaxfsMount m = DaxfsMount.at(tmp.resolve(name), DaxfsMount.freshRegion(name), runtime);
    mounts.add(m);
    return m;
  }

  /** A mount whose region is a file in the test's temporary directory. */
  private DaxfsMount newMountInTmp(String name) {
    DaxfsMount m = DaxfsMount.at(tmp.resolve(name), tmp.resolve(name + ".region"), runtime);
    mounts.add(m);
    return m;
  }

  /**
   * Kills the mount's process with SIGKILL, as a crash would end it, after making the kernel
   * cache the mount point's attributes: it then answers stat from its cache (for the attribute
   * timeout, an hour) although every request it forwards fails.
   */
  private static void killNine(DaxfsMount m) throws Exception {
    // Last before the kill: nothing may touch the root directory after this stat (a readdir
    // would mark its atime stale, and a full stat would then go to the dead server).
    sh(m.mountpoint, "stat . >/dev/null");
    ProcessHandle p = ProcessHandle.of(m.pid()).orElseThrow();
    assertTrue(p.destroyForcibly());
    p.onExit().get(30, TimeUnit.SECONDS);
    Run.Result dead = Run.sh(m.mountpoint, "ls", 30);
    assertTrue(dead.err().contains("Transport endpoint is not connected"), dead.all());
    Run.Result cached = Run.sh(m.mountpoint.getParent(),
        "stat -c %i:%X:%Y:%Z " + m.mountpoint.getFileName(), 30);
    assertTrue(cached.out().startsWith("1:"), "stat of the dead mount point is answered from the "
        + "kernel's cache, the case a dead mount must be recognised in: " + cached.all());
  }

  /** The record files of this test's mounts. */
  private List<Path> records() throws Exception {
    try (var ds = Files.newDirectoryStream(runtime, "*.json")) {
      List<Path> l = new ArrayList<>();
      ds.forEach(l::add);
      return l;
    }
  }

  private static String sh(Path dir, String script) throws Exception {
    Run.Result r = Run.sh(dir, "set -e; " + script, 60);
    assertEquals(0, r.exit(), script + ": " + r.all());
    return r.out().strip();
  }

  /** A refusal: non-zero exit, one line on stderr naming the problem, nothing on stdout. */
  private static void refused(Run.Result r, String expected) {
    assertNotEquals(0, r.exit(), "should be refused: " + r.all());
    assertTrue(r.err().contains(expected), "expected \"" + expected + "\" in: " + r.all());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.all());
    assertTrue(r.err().startsWith("daxfs "), r.all());
  }

  @Test
  void firstMountFormatsAndCleanRemountIsTheFastPath() throws Exception {
    DaxfsMount m = newMount("clean").mount();
    assertTrue(m.mounted.out().contains("formatted new region " + m.region), m.mounted.all());
    assertTrue(m.mounted.out().contains("does not survive a reboot"), m.mounted.all());
    assertTrue(m.mounted.out().contains("created mount point"), m.mounted.all());
    assertEquals("formatted", m.stat().path("mount").path("how").asText());
    sh(m.mountpoint, "mkdir d && echo kept > d/f && ln d/f g && head -c 100000 /dev/urandom > r"
        + " && md5sum r > " + tmp.resolve("sum"));

    // While it is mounted: the mount point and the region are taken.
    refused(m.tryMount(), "is already mounted by daxfs (pid " + m.pid() + ")");
    DaxfsMount other = newMount("other");
    Run.Result busy = Run.daxfs(runtime, 120, "mount", other.mountpoint.toString(),
        "--pmem", m.region.toString());
    refused(busy, "region " + m.region + " is in use by another daxfs process (mounted on "
        + m.mountpoint.toRealPath());
    assertFalse(other.isMounted());
    assertEquals(m.pid(), m.stat().path("pid").asLong(), "the first mount still serves");

    Run.Result u = m.umount();
    assertEquals(0, u.exit(), u.all());
    assertTrue(u.out().contains("unmounted " + m.mountpoint.toRealPath() + " cleanly"), u.all());
    assertFalse(m.isMounted());

    m.mount();
    assertTrue(m.mounted.out().contains("mounted after a clean unmount"), m.mounted.all());
    assertEquals("clean", m.stat().path("mount").path("how").asText());
    assertEquals("kept 2", sh(m.mountpoint, "echo $(cat g) $(stat -c %h d/f)"));
    sh(m.mountpoint, "md5sum -c " + tmp.resolve("sum"));
  }

  @Test
  void killNineThenTheNextMountRecovers() throws Exception {
    DaxfsMount m = newMountInTmp("crash").mount();
    sh(m.mountpoint, "echo survived > f && mkdir -p a/b && mv f a/b/f && sync");
    assertEquals("survived", sh(m.mountpoint, "cat a/b/f"));
    assertTrue(m.pid() > 0);
    killNine(m);

    m.mount();
    assertTrue(m.mounted.out().contains("removed the stale mount"), m.mounted.all());
    assertTrue(m.mounted.out().contains("recovered in"), m.mounted.all());
    assertEquals("recovered", m.stat().path("mount").path("how").asText());
    assertEquals("survived", sh(m.mountpoint, "cat a/b/f"));

    // Killed again: this time daxfs umount removes what it left.
    killNine(m);
    Run.Result u = m.umount();
    assertEquals(0, u.exit(), u.all());
    assertTrue(u.out().contains("had ended without unmounting"), u.all());
    assertTrue(u.out().contains("recovers it"), u.all());
    assertFalse(m.isMounted());
    assertEquals(List.of(), records(), "no record is left");
  }

  @Test
  void aDeadMountWhoseRecordIsLostIsStillRemovedByUmountAndByTheNextMount() throws Exception {
    DaxfsMount m = newMountInTmp("lost").mount();
    sh(m.mountpoint, "echo kept > f && sync");
    // The runtime directory is emptied (as a reboot empties /run): only the mount table is left
    // to tell that the dead mount was this user's daxfs.
    killNine(m);
    for (Path r : records()) {
      Files.delete(r);
    }
    Run.Result u = m.umount();
    assertEquals(0, u.exit(), u.all());
    assertTrue(u.out().contains("left by a daxfs process of this user"), u.all());
    assertFalse(m.isMounted());

    m.mount();
    assertTrue(m.mounted.out().contains("recovered in"), m.mounted.all());
    assertEquals("kept", sh(m.mountpoint, "cat f"));
    killNine(m);
    for (Path r : records()) {
      Files.delete(r);
    }
    m.mount();
    assertTrue(m.mounted.out().contains("removed the stale mount on "
        + m.mountpoint.toRealPath() + " left by a daxfs process of this user"), m.mounted.all());
    assertEquals("kept", sh(m.mountpoint, "cat f"));
  }

  @Test
  void mkfsFsckAndInspectRefuseARegionAMountHolds() throws Exception {
    DaxfsMount m = newMountInTmp("held").mount();
    sh(m.mountpoint, "echo untouched > f && sync");
    String region = m.region.toString();
    for (List<String> cmd : List.of(List.of("mkfs", region), List.of("mkfs", "--force", region),
        List.of("fsck", region), List.of("fsck", "--repair", region),
        List.of("inspect", region))) {
      Run.Result r = Run.daxfs(runtime, 60, cmd.toArray(String[]::new));
      refused(r, "daxfs " + cmd.get(0) + ": region " + region
          + " is in use by another daxfs process");
      assertEquals(1, r.err().strip().lines().count(), "one sentence: " + r.all());
    }
    assertEquals(m.pid(), m.stat().path("pid").asLong(), "the mount still serves");
    assertEquals("untouched", sh(m.mountpoint, "cat f"));
    Run.Result u = m.umount();
    assertTrue(u.out().contains("cleanly"), u.all());
    Run.Result fsck = Run.daxfs(runtime, 60, "fsck", region);
    assertEquals(0, fsck.exit(), "the region is clean once unmounted: " + fsck.all());
  }

  @Test
  void foregroundMountUnmountsCleanlyOnSigterm() throws Exception {
    DaxfsMount m = newMount("fg");
    List<String> cmd = List.of(Run.LAUNCHER.toString(), "mount", m.mountpoint.toString(),
        "--pmem", m.region.toString(), "--size", "256M", "--foreground");
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("fg.log").toFile());
    pb.environment().putAll(Map.of("DAXFS_NO_BUILD", "1", "DAXFS_RUNTIME_DIR",
        runtime.toString()));
    Process proc = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.readString(tmp.resolve("fg.log")).contains("daxfs: mounted ")
          || !m.isMounted()) {
        assertTrue(proc.isAlive(), "foreground mount ended: " + Files.readString(tmp.resolve("fg.log")));
        assertTrue(System.nanoTime() < deadline, "foreground mount did not come up");
        Thread.sleep(50);
      }
      sh(m.mountpoint, "echo fg > f");
      proc.destroy();
      assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "SIGTERM ends the foreground mount");
      String log = Files.readString(tmp.resolve("fg.log"));
      assertTrue(log.contains("cleanly"), log);
      assertFalse(m.isMounted());
    } finally {
      proc.destroyForcibly();
    }
    m.mount();
    assertTrue(m.mounted.out().contains("mounted after a clean unmount"), m.mounted.all());
    assertEquals("fg", sh(m.mountpoint, "cat f"));
  }

  @Test
  void refusesAMountPointThatCannotBeCreatedAndSaysWhy() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    DaxfsMount m = newMountInTmp("unused");
    Run.Result r = Run.daxfs(runtime, 60, "mount", file.resolve("mnt").toString(),
        "--pmem", m.region.toString(), "--size", "64M");
    refused(r, "cannot create mount point " + file.resolve("mnt") + ": " + file
        + " is not a directory");

    // /proc makes no directories: the JDK's exception names only the path, never the reason.
    Path proc = Path.of("/proc", "daxfs-test-" + ProcessHandle.current().pid());
    r = Run.daxfs(runtime, 60, "mount", proc.resolve("mnt").toString(),
        "--pmem", m.region.toString(), "--size", "64M");
    refused(r, "cannot create mount point " + proc.resolve("mnt")
        + ": no such file or directory: " + proc);
    assertFalse(Files.exists(m.region), "a refused mount creates no region");
  }

  @Test
  void aRefusedMountCreatesNoRegion() throws Exception {
    assumeTrue(Run.root(), "a tmpfs mount point needs root");
    DaxfsMount m = newMountInTmp("busy");
    Files.createDirectory(m.mountpoint);
    Run.Result tmpfs = Run.run(List.of("mount", "-t", "tmpfs", "daxfs-test", m.mountpoint.toString()),
        Map.of(), null, 30);
    assertEquals(0, tmpfs.exit(), tmpfs.all());
    try {
      refused(m.tryMount("--size", "64M"), "is already mounted (tmpfs from daxfs-test)");
      assertFalse(Files.exists(m.region), "the mount point was refused before the region was "
          + "created: " + m.region);
    } finally {
      Run.run(List.of("umount", m.mountpoint.toString()), Map.of(), null, 30);
    }
    refused(m.tryMount("--size", "64M", "-o", "no_such_option"), "no_such_option");
    assertFalse(Files.exists(m.region), "options libfuse refuses leave no region behind");
    assertFalse(m.isMounted());
  }

  @Test
  void refusesARegionThatHoldsNoDaxfsAndLeavesItAlone() throws Exception {
    DaxfsMount m = newMount("notdaxfs");
    try (RandomAccessFile f = new RandomAccessFile(m.region.toFile(), "rw")) {
      f.setLength(32L << 20);
      f.write("not a filesystem".getBytes());
    }
    Run.Result r = Run.daxfs(runtime, 120, "mount", m.mountpoint.toString(),
        "--pmem", m.region.toString());
    refused(r, "region " + m.region + " exists but holds no daxfs filesystem");
    assertTrue(r.err().contains("daxfs mkfs"), r.all());
    assertEquals("not a filesystem", new String(Files.readAllBytes(m.region), 0, 16));
    assertEquals(32L << 20, Files.size(m.region));
  }

  @Test
  void refusesBadOptionsInOneSentence() throws Exception {
    DaxfsMount m = newMount("opts");
    refused(m.tryMount("-o", "pinned_fsync=maybe"), "pinned_fsync takes wait or proceed");
    refused(m.tryMount("--size", "1M"), "needs at least 16 MiB");
    refused(m.tryMount("-o", "no_such_option"), "no_such_option");
    assertFalse(m.isMounted());
  }

  @Test
  void umountAndStatOfSomethingNotMounted() throws Exception {
    Path plain = Files.createDirectory(tmp.resolve("plain"));
    refused(Run.daxfs(runtime, 60, "umount", plain.toString()), "is not mounted");
    refused(Run.daxfs(runtime, 60, "stat", plain.toString()), "no daxfs is mounted on");
  }

  @Test
  void refusesWhenLibfuseIsMissingAndSaysWhatToInstall() throws Exception {
    assumeTrue(Run.root(), "hiding libfuse3 in a private mount namespace needs root");
    String lib = Run.sh(tmp, "ldconfig -p | awk '/libfuse3.so.3 / {print $NF; exit}'", 30)
        .out().strip();
    assertTrue(lib.startsWith("/"), "ldconfig knows libfuse3: " + lib);
    DaxfsMount m = newMountInTmp("nolib");
    Run.Result r = Run.run(List.of("unshare", "-m", "bash", "-c",
        "mount --make-rprivate / && touch " + tmp.resolve("empty") + " && mount --bind "
            + tmp.resolve("empty") + " " + lib + " && exec " + Run.LAUNCHER + " mount "
            + m.mountpoint + " --pmem " + m.region + " --size 64M"),
        Map.of("DAXFS_NO_BUILD", "1", "DAXFS_RUNTIME_DIR", runtime.toString()), null, 120);
    refused(r, "libfuse3 is not installed");
    assertTrue(r.err().contains("install the Debian packages fuse3 and libfuse3-3"), r.all());
    assertFalse(m.isMounted());
    assertFalse(Files.exists(m.region), "a refused mount creates no region");
  }

  @Test
  void refusesWhenDevFuseIsMissing() throws Exception {
    assumeTrue(Run.root(), "hiding /dev/fuse in a private mount namespace needs root");
    DaxfsMount m = newMountInTmp("nodev");
    Path old = Files.createDirectory(tmp.resolve("olddev"));
    // A /dev with what the JVM and the region need, and no fuse device.
    String script = "mount --make-rprivate / && mount --rbind /dev " + old
        + " && mount -t tmpfs none /dev && for n in null zero random urandom; do"
        + " touch /dev/$n && mount --bind " + old + "/$n /dev/$n; done"
        + " && mkdir /dev/shm && mount --bind " + old + "/shm /dev/shm"
        + " && ln -s /proc/self/fd /dev/fd"
        + " && exec " + Run.LAUNCHER + " mount " + m.mountpoint + " --pmem " + m.region
        + " --size 64M";
    Run.Result r = Run.run(List.of("unshare", "-m", "bash", "-c", script),
        Map.of("DAXFS_NO_BUILD", "1", "DAXFS_RUNTIME_DIR", runtime.toString()), null, 120);
    refused(r, "/dev/fuse is missing");
    assertTrue(r.err().contains("fuse3"), r.all());
    assertFalse(m.isMounted());
    assertFalse(Files.exists(m.region), "a refused mount creates no region");
  }
}
