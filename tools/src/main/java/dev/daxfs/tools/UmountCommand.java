package dev.daxfs.tools;

import dev.daxfs.tools.mount.Unmount;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code daxfs umount MOUNTPOINT}: a clean unmount, or the removal of a dead mount. */
@Command(
    name = "umount",
    mixinStandardHelpOptions = true,
    description = {
      "Unmount a daxfs cleanly.",
      "",
      "The next mount is then the fast one. Waits until the mount's process has exited. A mount"
          + " whose process was killed is removed, and the next mount recovers its region.",
      ""
    })
final class UmountCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "The mount point.")
  Path mountpoint;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Unmount.Result r = Unmount.unmount(mountpoint);
    spec.commandLine().getOut().println("daxfs: " + r.message());
    // A dead mount removed is done as asked; only an unclean unmount of a live one fails.
    return r.clean() || r.stale() ? 0 : Main.EXIT_FAILURE;
  }
}
