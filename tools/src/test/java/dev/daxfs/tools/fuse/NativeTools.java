package dev.daxfs.tools.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds the small C programs under src/test/c with gcc. A missing compiler or missing libfuse3
 * headers fail the calling test with a sentence saying what to install: these checks must run
 * wherever the FUSE binding is tested, so they never skip.
 */
final class NativeTools {
  private NativeTools() {}

  /** Where the C sources live, relative to the module directory Surefire runs in. */
  private static final Path SOURCES = Paths.get("src", "test", "c");
  private static final Path OUT = Paths.get("target", "native-test-tools");
  private static final Path FUSE_HEADERS = Paths.get("/usr/include/fuse3/fuse_lowlevel.h");

  /** Compiles {@code name}.c (if newer than its binary) and returns the executable. */
  static synchronized Path build(String name, boolean needsFuseHeaders) throws Exception {
    Path source = SOURCES.resolve(name + ".c").toAbsolutePath();
    if (!Files.exists(source)) {
      throw new AssertionError("test source " + source + " is missing");
    }
    if (!onPath("gcc")) {
      throw new AssertionError("gcc is not installed: install the Debian packages gcc and "
          + "libfuse3-dev (apt-get install gcc libfuse3-dev) to run the FUSE binding tests.");
    }
    if (needsFuseHeaders && !Files.exists(FUSE_HEADERS)) {
      throw new AssertionError("the libfuse3 headers (" + FUSE_HEADERS + ") are not installed: "
          + "install the Debian package libfuse3-dev to run the FUSE binding tests.");
    }
    Files.createDirectories(OUT);
    Path exe = OUT.resolve(name).toAbsolutePath();
    if (Files.exists(exe)
        && Files.getLastModifiedTime(exe).compareTo(Files.getLastModifiedTime(source)) > 0) {
      return exe;
    }
    List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-Wall", "-Werror"));
    if (needsFuseHeaders) {
      cmd.add("-I" + FUSE_HEADERS.getParent());
    }
    cmd.addAll(List.of("-o", exe.toString(), source.toString()));
    Result r = run(cmd, 60);
    if (r.exit != 0) {
      throw new AssertionError("gcc failed to build " + source + ":\n" + r.output);
    }
    return exe;
  }

  /** A finished command: its exit status and combined output. */
  record Result(int exit, String output) {}

  /** Runs a command, failing the test if it does not end within {@code seconds}. */
  static Result run(List<String> cmd, long seconds) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[][] out = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        out[0] = p.getInputStream().readAllBytes();
      } catch (IOException e) {
        out[0] = new byte[0];
      }
    });
    reader.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not finish in " + seconds + " s");
    }
    reader.join();
    return new Result(p.exitValue(), new String(out[0], StandardCharsets.UTF_8));
  }

  static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (Files.isExecutable(Paths.get(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
