package dev.daxfs.tools;

import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import dev.daxfs.tools.mount.Detached;
import dev.daxfs.tools.mount.MountDaemon;
import dev.daxfs.tools.mount.MountSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code daxfs mount MOUNTPOINT}: mounts daxfs through FUSE, by default on an emulated region in
 * /dev/shm that is formatted on first use and recovered afterwards.
 */
@Command(
    name = "mount",
    mixinStandardHelpOptions = true,
    description = {
      "Mount daxfs through FUSE.",
      "",
      "MOUNTPOINT is created if missing. The region is created and formatted on first use, and"
          + " mounted (recovered after a crash) afterwards. Without --foreground the filesystem"
          + " is served by a detached process and this command returns once the mount is live;"
          + " 'daxfs umount MOUNTPOINT' unmounts it cleanly.",
      "",
      "daxfs's own -o options: noatime, relatime (default), strictatime,"
          + " pinned_fsync=wait|proceed, layout_wait_timeout=DURATION, threads=N, debug. Other -o"
          + " options go to libfuse. Mounted as root, the mount is open to every user, with"
          + " permissions checked by the kernel (allow_other, default_permissions).",
      ""
    })
final class MountCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where to mount.")
  Path mountpoint;

  @Option(names = "--pmem", paramLabel = "PATH", defaultValue = "daxfs",
      description = "Region file, or a bare name for a file in /dev/shm (default: "
          + "/dev/shm/daxfs, which does not survive a reboot).")
  String pmem;

  @Option(names = "--size", paramLabel = "SIZE",
      description = "Size of a new region (default 1G); for an existing one, the size it must "
          + "have.")
  String size;

  @Option(names = "--data-checksums",
      description = "Format with a CRC32C per data block (applies when the region is new).")
  boolean dataChecksums;

  @Option(names = {"-f", "--foreground"},
      description = "Serve in this process until unmounted (Ctrl-C unmounts cleanly).")
  boolean foreground;

  @Option(names = "-o", paramLabel = "OPTIONS", description = "Mount options, comma-separated.")
  List<String> options = new ArrayList<>();

  /** Where a detached mount's output goes; set by the parent that detached it. */
  @Option(names = "--log", hidden = true)
  Path log;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    MountSettings settings = MountSettings.parse(options);
    Long bytes = null;
    if (size != null) {
      bytes = Sizes.parse(size);
      if (bytes < 16 * Sizes.MiB) {
        throw new IllegalArgumentException("a daxfs region needs at least 16 MiB, not " + size);
      }
    }
    Path region = Regions.resolve(pmem).toAbsolutePath();
    try {
      if (!foreground) {
        List<String> args = new ArrayList<>(List.of("--pmem", region.toString()));
        if (size != null) {
          args.addAll(List.of("--size", size));
        }
        if (dataChecksums) {
          args.add("--data-checksums");
        }
        for (String o : options) {
          args.addAll(List.of("-o", o));
        }
        Detached.start(mountpoint, args, out);
        return 0;
      }
      MountDaemon d = MountDaemon.start(new MountDaemon.Request(mountpoint, region, bytes,
          dataChecksums, settings, log), out);
      return d.serveUntilUnmounted();
    } catch (MountDaemon.MountException e) {
      spec.commandLine().getErr().println("daxfs mount: " + Messages.sentence(e));
      spec.commandLine().getErr().flush();
      return Main.EXIT_FAILURE;
    }
  }
}
