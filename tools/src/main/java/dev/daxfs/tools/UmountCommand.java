package dev.daxfs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.mount.MountPoints;
import dev.daxfs.tools.mount.MountRecord;
import dev.daxfs.tools.mount.RuntimeDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code daxfs umount MOUNTPOINT}: asks the mount's process to unmount cleanly and waits until
 * it has exited; removes the mount a killed process left behind.
 */
@Command(
    name = "umount",
    mixinStandardHelpOptions = true,
    description = {
      "Unmount the daxfs mounted on MOUNTPOINT cleanly (the next mount is the fast one) and",
      "wait for its process to exit. A mount whose process was killed is removed, and the",
      "next mount recovers its region."
    })
final class UmountCommand implements java.util.concurrent.Callable<Integer> {

  /** How long to wait for the process to exit after it has put the filesystem away. */
  private static final long EXIT_SECONDS = 30;

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "The mount point.")
  Path mountpoint;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    RuntimeDir rt = RuntimeDir.forCurrentUser();
    Path mp = MountPoints.canonical(mountpoint);
    RuntimeDir.MountFiles files = rt.files(mp);
    Optional<MountRecord> rec = MountRecord.read(files.record());
    if (rec.isEmpty()) {
      if (MountPoints.isMountpoint(mp)) {
        throw new IllegalStateException(mp + " is not a daxfs mount of this user (no record in "
            + rt.path() + "): use umount or fusermount3 -u for other filesystems");
      }
      throw new IllegalStateException(mp + " is not mounted");
    }
    MountRecord r = rec.get();
    if (!r.alive()) {
      if (MountPoints.isMountpoint(mp)) {
        MountPoints.detach(mp);
      }
      Files.deleteIfExists(files.record());
      out.println("daxfs: the process serving " + mp + " (pid " + r.pid() + ") had ended "
          + "without unmounting; removed its mount: the next mount of " + r.region()
          + " recovers it");
      return 0;
    }
    boolean clean;
    try (ControlClient c = ControlClient.connect(Path.of(r.socket()))) {
      JsonNode res = c.request("unmount");
      clean = res.path("clean").asBoolean();
      out.println("daxfs: " + res.path("message").asText());
    } catch (IOException | ControlException e) {
      // The process lives but its control socket does not answer: SIGTERM unmounts cleanly.
      out.println("daxfs: the control socket of " + mp + " does not answer (" + e.getMessage()
          + "); sending SIGTERM to pid " + r.pid());
      ProcessHandle.of(r.pid()).ifPresent(ProcessHandle::destroy);
      clean = true;
    }
    out.flush();
    Optional<ProcessHandle> p = ProcessHandle.of(r.pid());
    if (p.isPresent()) {
      try {
        p.get().onExit().get(EXIT_SECONDS, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("the process serving " + mp + " (pid " + r.pid()
            + ") did not exit within " + EXIT_SECONDS + " seconds");
      }
    }
    return clean ? 0 : Main.EXIT_FAILURE;
  }
}
