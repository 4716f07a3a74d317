package dev.daxfs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code daxfs dma MOUNTPOINT start|list|stop}: DMA streams of emulated devices in a mount. */
@Command(
    name = "dma",
    mixinStandardHelpOptions = true,
    description = {
      "Drive emulated DMA devices inside a mounted daxfs.",
      "",
      "A stream has a device write tagged records into (or read) a range of a file in the"
          + " mount, again and again: short-term transfers pin the pages, hold them, move the"
          + " data at the end of the hold and unpin; long-term streams register the range once"
          + " and keep it until stopped. Streams live in the mount process until they are"
          + " stopped, finish their count, fail, or the mount ends. After each write the kernel's"
          + " cached pages of the range are dropped, so programs reading the file see the"
          + " device's data.",
      ""
    },
    subcommands = {DmaCommand.Start.class, DmaCommand.ListStreams.class, DmaCommand.Stop.class})
final class DmaCommand implements Runnable {

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "The mount point.")
  Path mountpoint;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "say what to do with DMA streams: start, list or stop.");
  }

  /** Sends one request to the mount and returns its result, or fails with its sentence. */
  JsonNode request(String op, Map<String, ?> args) throws Exception {
    try (ControlClient c = MountControl.connect(mountpoint)) {
      return c.request(op, args);
    } catch (ControlException e) {
      throw MountControl.failed(e);
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = {
        "Start a DMA stream on a range of a file and print its id.",
        "",
        "The device is created on first use with the properties given (--odp); naming it again"
            + " with other properties is refused. Returns once the first transfer holds its"
            + " pages. daxfs refuses long-term pins (EOPNOTSUPP) unless the device does ODP"
            + " (--odp) or the stream holds a layout lease on its range (--lease).",
        ""
      })
  static final class Start implements Callable<Integer> {
    @ParentCommand DmaCommand parent;

    @Spec CommandSpec spec;

    @Option(names = "--device", required = true, paramLabel = "NAME",
        description = "The device (letters, digits, '.', '_', '-').")
    String device;

    @Option(names = "--file", required = true, paramLabel = "PATH",
        description = "A file in the mount.")
    Path file;

    @Option(names = "--offset", required = true, paramLabel = "N",
        converter = MountControl.SizeConverter.class,
        description = "First byte of the range (4096, 64K, 1M, ...).")
    long offset;

    @Option(names = "--length", required = true, paramLabel = "N",
        converter = MountControl.SizeConverter.class,
        description = "Bytes each transfer moves (at most 64M).")
    long length;

    /** --write or --read; writing when neither is given. */
    @ArgGroup(exclusive = true)
    Direction direction;

    static final class Direction {
      @Option(names = "--write", description = "The device writes the range (the default).")
      boolean write;

      @Option(names = "--read", description = "The device reads the range.")
      boolean read;
    }

    @Option(names = "--hold-ms", paramLabel = "N", defaultValue = "0",
        description = "How long a short-term transfer holds its pages before the data moves "
            + "(default ${DEFAULT-VALUE}).")
    long holdMs;

    @Option(names = "--longterm",
        description = "Register the range once (FOLL_LONGTERM) and keep it until stopped; "
            + "transfers go through the registration every interval.")
    boolean longTerm;

    @Option(names = "--odp",
        description = "The device does On-Demand Paging: it pins nothing and follows "
            + "invalidations.")
    boolean odp;

    @Option(names = "--lease",
        description = "The stream holds a layout lease on its range while it runs.")
    boolean lease;

    @Option(names = "--interval-ms", paramLabel = "N", defaultValue = "100",
        description = "Pause between transfers (default ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
        description = "Transfers to make; 0 (the default) until stopped.")
    long count;

    @Option(names = "--json", description = "Print the stream as JSON instead of its id.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonNode s;
      try (ControlClient c = MountControl.connect(parent.mountpoint)) {
        s = c.request("dma_start", args(MountControl.inside(parent.mountpoint, file)));
      } catch (ControlException e) {
        throw MountControl.failed(e);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println(json ? Json.write(s) : s.path("id").asText());
      return 0;
    }

    /** The members of the {@code dma_start} request. */
    private Map<String, Object> args(MountControl.MountFile f) {
      Map<String, Object> args = new LinkedHashMap<>();
      args.put("device", device);
      args.put("odp", odp);
      args.put("path", f.path());
      args.put("ino", f.ino());
      args.put("offset", offset);
      args.put("length", length);
      args.put("write", direction == null || !direction.read);
      args.put("hold_ms", holdMs);
      args.put("longterm", longTerm);
      args.put("lease", lease);
      args.put("interval_ms", intervalMs);
      args.put("count", count);
      return args;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the mount's DMA streams, oldest first.")
  static final class ListStreams implements Callable<Integer> {
    @ParentCommand DmaCommand parent;

    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonNode r = parent.request("dma_list", Map.of());
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(r));
        return 0;
      }
      JsonNode streams = r.path("streams");
      if (streams.isEmpty()) {
        out.println("no DMA streams on " + parent.mountpoint);
        return 0;
      }
      String format = "%-4s %-12s %-4s %-10s %-6s %-24s %-10s %s%n";
      out.printf(format, "ID", "DEVICE", "ODP", "KIND", "DIR", "FILE [OFFSET, +LENGTH)",
          "STATE", "TRANSFERS");
      for (JsonNode s : streams) {
        String count = s.path("count").asLong() == 0 ? "until stopped"
            : "of " + s.path("count").asLong();
        String transfers = s.path("transfers_completed").asLong() + " done "
            + (s.path("transfers_failed").asLong() > 0
                ? s.path("transfers_failed").asLong() + " failed " : "")
            + count
            + (s.path("in_flight").asBoolean() ? ", one in flight" : "")
            + (s.path("lease").asBoolean() ? ", leased" : "");
        out.printf(format, s.path("id").asText(), s.path("device").asText(),
            s.path("odp").asBoolean() ? "yes" : "no", s.path("kind").asText(),
            s.path("direction").asText(),
            s.path("path").asText() + " [" + s.path("offset").asLong() + ", +"
                + s.path("length").asLong() + ")",
            s.path("state").asText(), transfers);
        if (s.has("error")) {
          out.println("     failed: " + s.path("error").asText());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = {
        "Stop a DMA stream and forget it.",
        "",
        "A hold in flight ends now (its data moves and its pages are unpinned); a long-term"
            + " registration and the stream's lease are released.",
        ""
      })
  static final class Stop implements Callable<Integer> {
    @ParentCommand DmaCommand parent;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The stream's id (dma list).")
    long id;

    @Option(names = "--json", description = "Print the stopped stream as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonNode s = parent.request("dma_stop", Map.of("stream", id));
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(s));
      } else {
        out.println("daxfs dma: stopped stream " + id + " (" + s.path("state").asText() + "): "
            + s.path("transfers_completed").asLong() + " transfers completed, "
            + s.path("transfers_failed").asLong() + " failed, " + s.path("bytes").asLong()
            + " bytes moved");
      }
      return 0;
    }
  }
}
