package dev.daxfs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code daxfs lease MOUNTPOINT hold PATH}: a layout lease held for as long as it runs. */
@Command(
    name = "lease",
    mixinStandardHelpOptions = true,
    description = {
      "Hold layout leases on files of a mounted daxfs.",
      "",
      "A layout lease keeps a range of a file where it is on pmem: while it is held, truncate,"
          + " fallocate --punch-hole and --zero-range over the range fail with ETXTBSY (\"Text"
          + " file busy\") instead of waiting for DMA, and a device may pin the range long-term."
          + " The lease belongs to the command's connection to the mount, so it ends with the"
          + " command: its exit, Ctrl-C or kill -9.",
      ""
    },
    subcommands = {LeaseCommand.Hold.class})
final class LeaseCommand implements Runnable {

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "The mount point.")
  Path mountpoint;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "say what to do with leases: hold.");
  }

  @Command(
      name = "hold",
      mixinStandardHelpOptions = true,
      description = {
        "Hold a layout lease on a range of PATH until this command ends.",
        "",
        "Prints one line once the lease is held, then waits. The range is rounded out to whole"
            + " pages. Ends with exit status 1 if the mount ends first.",
        ""
      })
  static final class Hold implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH", description = "A file in the mount.")
    Path file;

    @Option(names = "--offset", required = true, paramLabel = "N",
        converter = MountControl.SizeConverter.class,
        description = "First byte of the range (4096, 64K, 1M, ...).")
    long offset;

    @Option(names = "--length", required = true, paramLabel = "N",
        converter = MountControl.SizeConverter.class,
        description = "Bytes in the range.")
    long length;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      try (ControlClient c = MountControl.connect(parent.mountpoint)) {
        MountControl.MountFile f = MountControl.inside(parent.mountpoint, file);
        JsonNode r;
        try {
          r = c.request("lease_hold", Map.of("path", f.path(), "ino", f.ino(),
              "offset", offset, "length", length, "pid", ProcessHandle.current().pid()));
        } catch (ControlException e) {
          throw MountControl.failed(e);
        }
        long from = r.path("offset").asLong();
        long to = from + r.path("length").asLong();
        out.println("daxfs lease: holding a layout lease on " + file + " bytes [" + from + ", "
            + to + ") until this command ends; truncate and punch there fail with ETXTBSY");
        out.flush();
        c.awaitClose();
      }
      throw new IllegalStateException("the mount on " + parent.mountpoint
          + " ended, and the lease with it");
    }
  }
}
