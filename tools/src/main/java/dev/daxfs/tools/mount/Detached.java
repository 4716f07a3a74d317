package dev.daxfs.tools.mount;

import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a mount as a detached process (its own session, stdin from /dev/null, output appended
 * to the mount's log) and waits until it is live: its control socket answers with its pid.
 */
public final class Detached {
  private Detached() {}

  /** How long to wait for the mount to go live unless DAXFS_MOUNT_TIMEOUT (seconds) says. */
  static final long DEFAULT_TIMEOUT_SECONDS = 120;

  /** Lines of the log quoted when the mount fails without saying why in one sentence. */
  private static final int TAIL_LINES = 15;

  /**
   * Starts {@code daxfs mount MOUNTPOINT --foreground ARGS} detached and returns once it is live,
   * after copying what it printed to {@code out}.
   *
   * @param mountArgs the arguments after the mount point (options for the foreground mount)
   * @throws MountDaemon.MountException with one sentence (and the log's last lines when the
   *     process ended without one) when it failed or did not come up in time
   */
  public static void start(Path mountpoint, List<String> mountArgs, PrintWriter out)
      throws MountDaemon.MountException {
    RuntimeDir rt = RuntimeDir.forCurrentUser();
    Path mp;
    RuntimeDir.MountFiles files;
    try {
      rt.prepare();
      mp = MountPoints.canonical(mountpoint);
      files = rt.files(mp);
    } catch (IOException | IllegalStateException e) {
      throw new MountDaemon.MountException(e.getMessage());
    }
    java.util.Optional<MountRecord> rec = MountRecord.read(files.record());
    if (rec.isPresent() && rec.get().alive()) {
      throw new MountDaemon.MountException(mp + " is already mounted by daxfs (pid "
          + rec.get().pid() + "): run daxfs umount " + mp + " first");
    }

    Path log = files.log();
    long from;
    try {
      from = Files.exists(log) ? Files.size(log) : 0;
    } catch (IOException e) {
      from = 0;
    }
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.addAll(selfCommand());
    cmd.add("mount");
    cmd.add(mp.toString());
    cmd.add("--foreground");
    cmd.add("--log=" + log);
    cmd.addAll(mountArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectInput(new File("/dev/null"))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true);
    // The launcher that started this process has just built what the child runs.
    pb.environment().put("DAXFS_NO_BUILD", "1");
    Process proc;
    try {
      proc = pb.start();
    } catch (IOException e) {
      throw new MountDaemon.MountException("cannot start the mount process: " + e.getMessage());
    }

    long timeout = timeoutSeconds();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
    while (true) {
      if (!proc.isAlive()) {
        throw new MountDaemon.MountException(failure(log, from));
      }
      if (liveAs(files.socket(), proc.pid())) {
        for (String line : lines(log, from)) {
          if (!line.startsWith("----")) {
            out.println(line);
          }
        }
        out.println("daxfs: log: " + log);
        out.flush();
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new MountDaemon.MountException("the mount of " + mp + " did not come up within "
            + timeout + " seconds; its process (pid " + proc.pid() + ") is still running, "
            + "see " + log + ":\n" + tail(log, from));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MountDaemon.MountException("interrupted while waiting for the mount of " + mp
            + " (pid " + proc.pid() + ", log " + log + ")");
      }
    }
  }

  private static long timeoutSeconds() {
    String v = System.getenv("DAXFS_MOUNT_TIMEOUT");
    if (v != null) {
      try {
        return Math.max(1, Long.parseLong(v.strip()));
      } catch (NumberFormatException e) {
        // The default below.
      }
    }
    return DEFAULT_TIMEOUT_SECONDS;
  }

  /** Whether the control socket answers with {@code pid}'s greeting. */
  private static boolean liveAs(Path socket, long pid) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (ControlClient c = ControlClient.connect(socket)) {
      return c.greeting().path("pid").asLong() == pid
          && c.request("ping", Map.of()).path("pid").asLong() == pid;
    } catch (IOException | ControlException e) {
      return false;
    }
  }

  /**
   * The command that runs this program: the launcher when it started us (DAXFS_LAUNCHER), else
   * this JVM with its flags and class path.
   */
  static List<String> selfCommand() {
    String launcher = System.getenv("DAXFS_LAUNCHER");
    if (launcher != null && Files.isExecutable(Path.of(launcher))) {
      return List.of(launcher);
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // Debug agents and the like belong to this process only.
      if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
        cmd.add(arg);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.daxfs.tools.Main");
    return cmd;
  }

  /** The mount process's own sentence, or the log's last lines. */
  private static String failure(Path log, long from) {
    List<String> lines = lines(log, from);
    for (int i = lines.size() - 1; i >= 0; i--) {
      String l = lines.get(i);
      if (l.startsWith("daxfs mount: ")) {
        String m = l.substring("daxfs mount: ".length()).strip();
        return (m.endsWith(".") ? m.substring(0, m.length() - 1) : m) + "; see " + log;
      }
    }
    return "the mount process ended before the mount was live; the last lines of " + log
        + ":\n" + tail(log, from);
  }

  private static String tail(Path log, long from) {
    List<String> lines = lines(log, from);
    List<String> last = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
    return last.isEmpty() ? "  (the log is empty)" : "  " + String.join("\n  ", last);
  }

  /** The log's lines written since byte {@code from}. */
  static List<String> lines(Path log, long from) {
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      long len = f.length();
      if (from > len) {
        from = 0;
      }
      byte[] b = new byte[(int) Math.min(len - from, 1 << 20)];
      f.seek(Math.max(from, len - b.length));
      f.readFully(b);
      String s = new String(b, StandardCharsets.UTF_8);
      List<String> out = new ArrayList<>();
      for (String l : s.split("\n")) {
        if (!l.isBlank()) {
          out.add(l);
        }
      }
      return out;
    } catch (IOException e) {
      return List.of();
    }
  }
}
