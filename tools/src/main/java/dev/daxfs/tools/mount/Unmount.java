package dev.daxfs.tools.mount;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Unmounting a daxfs mount of this user: asks its process to unmount cleanly over the control
 * socket and waits until it has exited; removes the mount a killed process left behind.
 */
public final class Unmount {
  private Unmount() {}

  /** How long to wait for the process to exit after it has put the filesystem away. */
  static final long EXIT_SECONDS = 30;

  /**
   * How it went.
   *
   * @param clean the filesystem was unmounted cleanly (the next mount is the fast one)
   * @param stale the process had died and only its dead mount was removed
   * @param message one sentence for the user
   */
  public record Result(boolean clean, boolean stale, String message) {}

  /**
   * Unmounts the daxfs on {@code mountpoint}.
   *
   * @throws IllegalStateException with one sentence when nothing of this user's is mounted there
   *     or the process does not exit
   */
  public static Result unmount(Path mountpoint) throws IOException, InterruptedException {
    RuntimeDir rt = RuntimeDir.forCurrentUser();
    Path mp = MountPoints.canonical(mountpoint);
    RuntimeDir.MountFiles files = rt.files(mp);
    Optional<MountRecord> rec = MountRecord.read(files.record());
    if (rec.isEmpty()) {
      if (MountPoints.isOwnDeadDaxfsMount(mp)) {
        // Its record is lost (another runtime directory, or removed), but the mount table
        // says whose it was.
        MountPoints.detach(mp);
        return new Result(false, true, "removed the mount on " + mp + " left by a daxfs "
            + "process of this user that had ended without unmounting: the next mount of its "
            + "region recovers it");
      }
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
      return new Result(false, true, "the process serving " + mp + " (pid " + r.pid() + ") had "
          + "ended without unmounting; removed its mount: the next mount of " + r.region()
          + " recovers it");
    }
    Result result;
    try (ControlClient c = ControlClient.connect(Path.of(r.socket()))) {
      JsonNode res = c.request("unmount");
      result = new Result(res.path("clean").asBoolean(), false, res.path("message").asText());
    } catch (IOException | ControlException e) {
      // Alive but not answering: SIGTERM makes it unmount as cleanly as it can.
      ProcessHandle.of(r.pid()).ifPresent(ProcessHandle::destroy);
      result = null;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(r.pid());
    if (p.isPresent()) {
      try {
        p.get().onExit().get(EXIT_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException("the process serving " + mp + " (pid " + r.pid()
            + ") did not exit within " + EXIT_SECONDS + " seconds");
      } catch (ExecutionException e) {
        throw new IllegalStateException("waiting for pid " + r.pid() + " failed: " + e);
      }
    }
    if (result != null) {
      return result;
    }
    // Its own last word on how the unmount went, from its log.
    boolean clean = false;
    String said = "unmounting " + mp + " by SIGTERM left no word in its log";
    if (r.log() != null) {
      for (String line : Files.readAllLines(Path.of(r.log()))) {
        if (line.startsWith("daxfs: unmounted") || line.contains("left for the next mount")) {
          clean = line.contains("cleanly");
          said = line.substring("daxfs: ".length());
        }
      }
    }
    return new Result(clean, false, "the control socket of " + mp + " did not answer, so pid "
        + r.pid() + " was sent SIGTERM: " + said);
  }
}
