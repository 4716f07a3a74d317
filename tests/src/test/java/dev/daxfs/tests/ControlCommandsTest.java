package dev.daxfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.gup.DmaTag;
import dev.daxfs.tools.control.ControlClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that act on a mounted daxfs through its control socket, from a shell as a user
 * runs them: {@code daxfs dma} against {@code fallocate --punch-hole}, {@code daxfs lease hold}
 * against {@code truncate}, DMA-written data read back through the mount, and Ctrl-C on a punch
 * that waits for DMA. One mount serves the class; it is always removed, and its region must be
 * fsck-clean after the unmount (which itself must stop the streams still running).
 */
class ControlCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Long enough that nothing in a test ends by itself: a hold that ends is a stop or a bug. */
  private static final long LONG_HOLD_MS = 600_000;

  @TempDir static Path tmp;

  private static DaxfsMount mount;

  /** A directory on PATH holding {@code daxfs}, the launcher. */
  private static Path bin;

  /** This test's file in the mount (1 MiB of random bytes) and its name. */
  private Path file;
  private String name;

  @BeforeAll
  static void mountIt() throws Exception {
    Path runtime = Files.createDirectory(tmp.resolve("run"));
    bin = Files.createDirectory(tmp.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("daxfs"), Run.LAUNCHER);
    mount = DaxfsMount.at(tmp.resolve("mnt"), DaxfsMount.freshRegion("control"), runtime);
    // A wait for DMA that the test did not end ends only after this: never within a test.
    mount.mount("-o", "layout_wait_timeout=300s");
  }

  @AfterAll
  static void unmountIt() throws Exception {
    if (mount == null) {
      return;
    }
    try {
      // Streams still running when the mount ends, one holding a punch up, one pinning an
      // unlinked file: the unmount stops them first, so the punch succeeds, the unmount is
      // clean, and the orphan is freed with nothing pinning it.
      Path held = mount.mountpoint.resolve("left-running");
      Path orphan = mount.mountpoint.resolve("left-pinned");
      Files.write(held, new byte[1 << 16]);
      Files.write(orphan, new byte[1 << 16]);
      sh(mount.mountpoint, "daxfs dma " + mount.mountpoint + " start --device end0 --file "
          + held + " --offset 0 --length 16K --hold-ms " + LONG_HOLD_MS + " --count 1"
          + " && daxfs dma " + mount.mountpoint + " start --device end1 --file " + orphan
          + " --offset 0 --length 8K --longterm --lease && rm " + orphan);
      long breaks = stat().path("layout_breaks").asLong();
      try (Background punch = punchProbe(held, 0, 16 << 10)) {
        assertEquals("ready", punch.line());
        await("the punch waits", ControlCommandsTest::stat,
            n -> n.path("layout_breaks").asLong() > breaks);
        Run.Result r = mount.umount();
        assertEquals(0, r.exit(), "umount: " + r.all());
        assertTrue(r.out().contains("cleanly"), r.all() + "; the mount's log: " + log());
        assertEquals("ok", punch.line(), "the punch succeeded once the device stopped");
      }
      Run.Result fsck = Run.daxfs(mount.runtime, 120, "fsck", mount.region.toString());
      assertEquals(0, fsck.exit(), "fsck after the unmount: " + fsck.all());
      assertTrue(fsck.out().contains(": clean;"), fsck.all());
    } finally {
      mount.close();
    }
  }

  /** The mount process's log, for failure messages. */
  private static String log() throws Exception {
    try (var ds = Files.newDirectoryStream(mount.runtime, "*.log")) {
      StringBuilder sb = new StringBuilder();
      for (Path p : ds) {
        sb.append(Files.readString(p));
      }
      return sb.toString();
    }
  }

  @BeforeEach
  void ownFile(TestInfo info) throws Exception {
    name = info.getTestMethod().orElseThrow().getName();
    file = mount.mountpoint.resolve(name);
    sh(mount.mountpoint, "head -c 1M /dev/urandom > " + name);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static Map<String, String> env() {
    return Map.of("PATH", bin + ":" + System.getenv("PATH"), "DAXFS_NO_BUILD", "1",
        "DAXFS_QUIET_BUILD", "1", "DAXFS_RUNTIME_DIR", mount.runtime.toString());
  }

  /** Runs a bash script (with {@code daxfs} on PATH) in {@code dir}; returns its result. */
  private static Run.Result bash(Path dir, String script) throws Exception {
    return Run.run(List.of("bash", "-c", script), env(), dir, 120);
  }

  /** Runs a bash script that must succeed; returns its output, trimmed. */
  private static String sh(Path dir, String script) throws Exception {
    Run.Result r = bash(dir, "set -e; " + script);
    assertEquals(0, r.exit(), script + ": " + r.all());
    return r.out().strip();
  }

  private String mp() {
    return mount.mountpoint.toString();
  }

  /** A request straight to the control socket (fast: no JVM started per poll). */
  private static JsonNode control(String op, Map<String, ?> args) throws Exception {
    String socket = null;
    try (var ds = Files.newDirectoryStream(mount.runtime, "*.json")) {
      for (Path p : ds) {
        JsonNode n = JSON.readTree(p.toFile());
        if (n.path("mountpoint").asText().equals(mount.mountpoint.toRealPath().toString())) {
          socket = n.path("socket").asText();
        }
      }
    }
    assertTrue(socket != null, "no record of the mount in " + mount.runtime);
    try (ControlClient c = ControlClient.connect(Path.of(socket))) {
      return c.request(op, args);
    }
  }

  private static JsonNode stat() throws Exception {
    return control("stat", Map.of());
  }

  private static JsonNode stream(long id) throws Exception {
    for (JsonNode s : control("dma_list", Map.of()).path("streams")) {
      if (s.path("id").asLong() == id) {
        return s;
      }
    }
    throw new AssertionError("no DMA stream " + id);
  }

  /** Polls {@code what} until {@code done} holds; a minute at most (a hang guard only). */
  private static JsonNode await(String description, Check what, Predicate<JsonNode> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonNode n = what.get();
      if (done.test(n)) {
        return n;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + description + "; last: " + n);
      }
      Thread.sleep(20);
    }
  }

  @FunctionalInterface
  interface Check {
    JsonNode get() throws Exception;
  }

  /** A program started in the background, with its standard output read line by line. */
  private static final class Background implements AutoCloseable {
    final Process process;
    final BufferedReader out;

    Background(List<String> cmd, Path dir) throws Exception {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().putAll(env());
      process = pb.start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8));
    }

    /**
     * Started as a terminal would start it: SIGINT at its default action, even when this JVM
     * was itself started with SIGINT ignored (as background jobs of a shell are).
     */
    static Background withDefaultSigint(Path dir, String... cmd) throws Exception {
      List<String> all = new ArrayList<>(List.of("env", "--default-signal=INT"));
      all.addAll(Arrays.asList(cmd));
      return new Background(all, dir);
    }

    /** The next line of output; fails if none comes within a minute. */
    String line() throws Exception {
      CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (java.io.IOException e) {
          return null;
        }
      });
      String l;
      try {
        l = next.get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("the program printed nothing more within a minute");
      }
      assertTrue(l != null, "the program ended without the line expected");
      return l;
    }

    void signal(String sig) throws Exception {
      Run.Result r = Run.run(List.of("kill", "-" + sig, Long.toString(process.pid())),
          Map.of(), null, 20);
      assertEquals(0, r.exit(), r.all());
    }

    /** Whatever the program printed and nobody read yet. */
    String rest() throws Exception {
      StringBuilder sb = new StringBuilder();
      for (String l; (l = out.readLine()) != null; ) {
        sb.append(l).append('\n');
      }
      return sb.toString();
    }

    /** Waits for the exit (a minute at most) and returns its status. */
    int exit() throws Exception {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the program did not end");
      return process.exitValue();
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }

  /** Linux's EINTR, as the probe prints it. */
  private static final String EINTR = "errno 4";

  /** The probe's source: see {@link #punchProbe}. */
  private static final String PROBE_C = String.join("\n",
      "#define _GNU_SOURCE",
      "#include <errno.h>",
      "#include <fcntl.h>",
      "#include <signal.h>",
      "#include <stdio.h>",
      "#include <stdlib.h>",
      "static void caught(int sig) { (void) sig; }",
      "int main(int argc, char **argv) {",
      "  struct sigaction sa = {0};",
      "  sa.sa_handler = caught;", // no SA_RESTART: an interrupted call returns EINTR
      "  sigaction(SIGINT, &sa, NULL);",
      "  int fd = open(argv[1], O_RDWR);",
      "  if (fd < 0) { perror(argv[1]); return 2; }",
      "  printf(\"ready\\n\");",
      "  fflush(stdout);",
      "  int rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,",
      "      atoll(argv[2]), atoll(argv[3]));",
      "  if (rc == 0) printf(\"ok\\n\"); else printf(\"errno %d\\n\", errno);",
      "  fflush(stdout);",
      "  return 0;",
      "}",
      "");

  /**
   * A program that punches {@code [offset, +length)} of {@code f} with fallocate(2) and prints
   * "ready" before and its own result after ("ok" or "errno N"); it catches SIGINT, so an
   * interrupted punch shows as EINTR. Compiled on first use (gcc, as for the tools' layout
   * probe).
   */
  private static Background punchProbe(Path f, long offset, long length) throws Exception {
    Path exe = tmp.resolve("punch-probe");
    if (!Files.exists(exe)) {
      Path src = Files.writeString(tmp.resolve("punch-probe.c"), PROBE_C);
      Run.Result cc = Run.run(List.of("gcc", "-O1", "-o", exe.toString(), src.toString()),
          Map.of(), tmp, 120);
      assertEquals(0, cc.exit(), "compiling the punch probe: " + cc.all());
    }
    return new Background(List.of(exe.toString(), f.toString(), Long.toString(offset),
        Long.toString(length)), mount.mountpoint);
  }

  /** The member of stat's devices list named {@code name}; a missing node if it has none. */
  private static JsonNode device(JsonNode stat, String name) {
    for (JsonNode d : stat.path("devices")) {
      if (name.equals(d.path("name").asText())) {
        return d;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** Starts a DMA stream from the shell and returns its id. */
  private long dma(String options) throws Exception {
    return Long.parseLong(sh(mount.mountpoint, "daxfs dma " + mp() + " start --file " + name
        + " " + options));
  }

  private void stop(long id) throws Exception {
    sh(mount.mountpoint, "daxfs dma " + mp() + " stop " + id);
  }

  private static void refusedInWords(Run.Result r, String... words) {
    assertNotEquals(0, r.exit(), "should be refused: " + r.all());
    assertTrue(r.out().isEmpty(), "nothing on stdout: " + r.all());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.all());
    for (String w : words) {
      assertTrue(r.err().contains(w), "expected \"" + w + "\" in: " + r.all());
    }
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  void aPunchOverADmaHoldReturnsAfterTheDeviceReleasesThePagesAndStatShowsTheWait()
      throws Exception {
    JsonNode before = stat();
    // From a plain shell: the punch starts while the 2 s hold pins the range.
    String out = sh(mount.mountpoint, "id=$(daxfs dma " + mp() + " start --device nic0 --file "
        + name + " --offset 0 --length 64K --hold-ms 2000 --count 1)"
        + " && fallocate --punch-hole --offset 0 --length 64K " + name
        + " && daxfs stat " + mp() + " && echo \"id=$id\"");
    assertTrue(out.contains("layout breaks: "), out);
    JsonNode after = stat();
    assertEquals(before.path("layout_waits").asLong() + 1, after.path("layout_waits").asLong(),
        "the punch waited for the device: " + after);
    assertTrue(after.path("layout_wait_max_ms").asDouble() > 0, after.toString());
    assertEquals(before.path("pins_acquired").asLong() + 16, after.path("pins_acquired").asLong());
    assertEquals(0, after.path("pins_outstanding").asLong(), "every pin released");
    assertEquals(0, after.path("misdirected_writes").asLong(), "no DMA into a freed block");
    // The same figures for the device alone, in --json and in the text stat printed above.
    JsonNode nic = device(after, "nic0");
    assertEquals(device(before, "nic0").path("pins_acquired").asLong() + 16,
        nic.path("pins_acquired").asLong(), after.toString());
    assertEquals(nic.path("pins_acquired").asLong(), nic.path("pins_released").asLong(),
        after.toString());
    assertEquals(0, nic.path("pins_outstanding").asLong(), after.toString());
    assertTrue(out.contains("device nic0: pins " + nic.path("pins_acquired").asLong()
        + " acquired, " + nic.path("pins_released").asLong() + " released, 0 outstanding"), out);
    long id = Long.parseLong(out.substring(out.lastIndexOf("id=") + 3).strip());
    JsonNode s = stream(id);
    assertEquals("done", s.path("state").asText());
    assertEquals(1, s.path("transfers_completed").asLong(), "the data landed before the free");
    byte[] head = Arrays.copyOf(Files.readAllBytes(file), 64 << 10);
    assertTrue(Arrays.equals(new byte[64 << 10], head), "the punched range reads zeroes");
    assertEquals(1 << 20, Files.size(file), "a punch keeps the size");
  }

  @Test
  void longTermPinsAreRefusedWithoutOdpOrLeaseAndALeasedOneGetsEtxtbsy() throws Exception {
    Run.Result plain = bash(mount.mountpoint, "daxfs dma " + mp() + " start --device rdma0"
        + " --file " + name + " --offset 0 --length 64K --longterm");
    refusedInWords(plain, "daxfs dma start: a long-term pin of /" + name,
        "refused (EOPNOTSUPP, Operation not supported)", "--odp", "--lease");
    assertEquals(0, stat().path("pins_outstanding").asLong(), "the refusal holds nothing");

    long leased = dma("--device rdma0 --offset 0 --length 64K --longterm --lease --count 1");
    JsonNode s = await("the registration's transfer is done", () -> stream(leased),
        n -> n.path("state").asText().equals("registered"));
    assertTrue(s.path("lease").asBoolean());
    assertEquals(16, stat().path("pins_outstanding").asLong(), "the registration pins its pages");
    Run.Result t = bash(mount.mountpoint, "truncate -s 4096 " + name);
    refusedInWords(t, "Text file busy");
    Run.Result p = bash(mount.mountpoint, "fallocate --punch-hole -o 8192 -l 4096 " + name);
    refusedInWords(p, "Text file busy");
    stop(leased);
    assertEquals(0, stat().path("pins_outstanding").asLong());
    sh(mount.mountpoint, "truncate -s 4096 " + name);

    Run.Result other = bash(mount.mountpoint, "daxfs dma " + mp() + " start --device rdma0"
        + " --odp --file " + name + " --offset 0 --length 4K");
    refusedInWords(other, "DMA device rdma0 already exists as a pinning device");
  }

  @Test
  void anOdpRegistrationIsInvalidatedByAPunchAndNeverWaitedFor() throws Exception {
    long id = dma("--device odp0 --odp --offset 0 --length 64K --longterm --interval-ms 50");
    await("transfers run", () -> stream(id), n -> n.path("transfers_completed").asLong() >= 1);
    JsonNode before = stat();
    sh(mount.mountpoint, "fallocate --punch-hole --offset 0 --length 64K " + name);
    JsonNode after = stat();
    assertEquals(before.path("layout_waits").asLong(), after.path("layout_waits").asLong(),
        "an ODP device pins nothing to wait for");
    assertTrue(after.path("odp_invalidations").asLong()
        > before.path("odp_invalidations").asLong(), "the punch invalidated it: " + after);
    stop(id);
    assertEquals(0, stat().path("misdirected_writes").asLong());
  }

  @Test
  void aLeaseHoldRefusesTruncateAndPunchAndEndsWithItsCommand() throws Exception {
    for (String ending : List.of("INT", "KILL")) {
      try (Background lease = Background.withDefaultSigint(mount.mountpoint, "daxfs", "lease",
          mp(), "hold", name, "--offset", "0", "--length", "64K")) {
        String held = lease.line();
        assertTrue(held.startsWith("daxfs lease: holding a layout lease on " + name
            + " bytes [0, 65536)"), held);
        assertEquals(1, stat().path("leases_held").asLong());
        long refusals = stat().path("etxtbsy_refusals").asLong();
        refusedInWords(bash(mount.mountpoint, "truncate -s 100 " + name), "Text file busy");
        refusedInWords(bash(mount.mountpoint, "fallocate --punch-hole -o 4096 -l 4096 " + name),
            "Text file busy");
        sh(mount.mountpoint, "truncate -s 512K " + name + " && fallocate -p -o 128K -l 4K "
            + name);
        assertEquals(refusals + 2, stat().path("etxtbsy_refusals").asLong());

        lease.signal(ending);
        int status = lease.exit();
        assertEquals(ending.equals("INT") ? 130 : 137, status, "ended by SIG" + ending);
        await("the lease is released", ControlCommandsTest::stat,
            n -> n.path("leases_held").asLong() == 0);
        sh(mount.mountpoint, "fallocate --punch-hole -o 4096 -l 4096 " + name);
      }
    }
    sh(mount.mountpoint, "truncate -s 100 " + name);
  }

  @Test
  void whatADeviceWritesReadsBackThroughTheMountOverCachedPages() throws Exception {
    sh(mount.mountpoint, "head -c 64K /dev/zero | tr '\\0' A > " + name + " && cat " + name
        + " > /dev/null && cat " + name + " > /dev/null");
    long id = dma("--device nic1 --offset 4096 --length 8192 --count 1");
    JsonNode s = await("the transfer completed", () -> stream(id),
        n -> n.path("transfers_completed").asLong() == 1);
    byte[] data = Files.readAllBytes(file);
    for (int off = 4096; off < 4096 + 8192; off += DmaTag.RECORD_BYTES) {
      DmaTag t = DmaTag.decode(data, off).orElseThrow(() -> new AssertionError(
          "no device data through the mount at the offset; the kernel served stale pages"));
      assertEquals(s.path("device_id").asInt(), t.deviceId());
      assertEquals(s.path("last_sequence").asLong(), t.sequence());
    }
    assertEquals('A', data[4095]);
    assertEquals('A', data[4096 + 8192]);
    assertTrue(stat().path("page_cache_invalidations").asLong() >= 1);
  }

  @Test
  void ctrlCOnAPunchWaitingForDmaGivesEintrAndChangesNothing() throws Exception {
    byte[] original = Arrays.copyOf(Files.readAllBytes(file), 16 << 10);
    long id = dma("--device nic2 --offset 0 --length 16K --hold-ms " + LONG_HOLD_MS
        + " --count 1");

    // A program that catches SIGINT sees its fallocate fail with EINTR.
    long breaks = stat().path("layout_breaks").asLong();
    try (Background p = punchProbe(file, 0, 16 << 10)) {
      assertEquals("ready", p.line());
      await("the punch breaks the layout", ControlCommandsTest::stat,
          n -> n.path("layout_breaks").asLong() > breaks);
      p.signal("INT");
      assertEquals(EINTR, p.line(), "fallocate's result after SIGINT");
      assertEquals(0, p.exit());
    }
    assertTrue(stream(id).path("in_flight").asBoolean(), "the DMA still holds the pages");

    // The fallocate tool, Ctrl-C'd as in a terminal, ends before the DMA does.
    long breaks2 = stat().path("layout_breaks").asLong();
    try (Background f = Background.withDefaultSigint(mount.mountpoint, "fallocate",
        "--punch-hole", "--offset", "0", "--length", "16K", name)) {
      await("the punch breaks the layout", ControlCommandsTest::stat,
          n -> n.path("layout_breaks").asLong() > breaks2);
      f.signal("INT");
      assertEquals(130, f.exit(), "killed by SIGINT");
    }
    JsonNode s = stream(id);
    assertTrue(s.path("in_flight").asBoolean(), "the DMA still holds the pages: " + s);
    assertEquals(0, s.path("transfers_completed").asLong());

    byte[] now = Arrays.copyOf(Files.readAllBytes(file), 16 << 10);
    assertTrue(Arrays.equals(original, now), "the interrupted punches changed nothing");
    stop(id);
    assertEquals(0, stat().path("pins_outstanding").asLong());
    sh(mount.mountpoint, "fallocate --punch-hole --offset 0 --length 16K " + name);
  }
}
