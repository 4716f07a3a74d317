package dev.daxfs.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs programs for the end-to-end suites: the daxfs launcher and shell scripts. */
final class Run {
  private Run() {}

  /** The launcher, from the tests module directory Surefire runs in. */
  static final Path LAUNCHER =
      Path.of(System.getProperty("daxfs.launcher", "../tools/daxfs")).toAbsolutePath().normalize();

  /** A finished program: exit status, standard output and standard error. */
  record Result(int exit, String out, String err) {
    /** Output and error together, for failure messages. */
    String all() {
      return out + (err.isEmpty() ? "" : "\n[stderr] " + err);
    }
  }

  /**
   * Runs {@code daxfs ARGS} through the launcher, without building (Maven built it), with the
   * mounts' runtime files in {@code runtimeDir}.
   */
  static Result daxfs(Path runtimeDir, long seconds, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(LAUNCHER.toString());
    cmd.addAll(List.of(args));
    return run(cmd, Map.of("DAXFS_NO_BUILD", "1", "DAXFS_QUIET_BUILD", "1",
        "DAXFS_RUNTIME_DIR", runtimeDir.toString()), null, seconds);
  }

  /** Runs a bash script in {@code dir}. */
  static Result sh(Path dir, String script, long seconds) throws Exception {
    return run(List.of("bash", "-c", script), Map.of(), dir, seconds);
  }

  /** Runs {@code cmd}; fails the test if it does not end within {@code seconds}. */
  static Result run(List<String> cmd, Map<String, String> env, Path dir, long seconds)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Path out = Files.createTempFile("daxfs-test-out", ".txt");
    Path err = Files.createTempFile("daxfs-test-err", ".txt");
    try {
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " did not finish in " + seconds
            + " s; output so far: " + Files.readString(out, StandardCharsets.UTF_8)
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** True when this process runs as root. */
  static boolean root() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).trim().split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }
}
