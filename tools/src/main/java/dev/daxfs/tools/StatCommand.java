package dev.daxfs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.mount.MountPoints;
import dev.daxfs.tools.mount.RuntimeDir;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code daxfs stat MOUNTPOINT}: a mounted filesystem's space, inodes, mount and counters. */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = {
      "Show a mounted daxfs's space, inodes and counters.",
      "",
      "Free and used space, inodes, how the mount went (recovery time and reason), layout"
          + " breaks and waits, and the other counters, read from the mount's control socket.",
      ""
    })
final class StatCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "The mount point.")
  Path mountpoint;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Members printed by the text layout; any others are printed after them as they come. */
  private static final Set<String> SHOWN = Set.of("mountpoint", "region", "backend",
      "data_checksums", "pid", "mounted_at", "space", "inodes", "mount", "layout_breaks",
      "layout_waits", "layout_wait_ms", "layout_wait_max_ms", "etxtbsy_refusals",
      "in_place_writes", "in_place_writes_for_space", "checksum_errors", "media_errors",
      "orphans_reaped", "fuse");

  @Override
  public Integer call() throws Exception {
    Path mp = MountPoints.canonical(mountpoint);
    Path socket = RuntimeDir.forCurrentUser().files(mp).socket();
    JsonNode s;
    try (ControlClient c = ControlClient.connect(socket)) {
      s = c.request("stat");
    } catch (IOException e) {
      throw new IllegalStateException("no daxfs is mounted on " + mp + " (nothing answers on "
          + socket + ")");
    } catch (ControlException e) {
      throw new IllegalStateException(e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(s));
      return 0;
    }
    JsonNode sp = s.path("space");
    JsonNode in = s.path("inodes");
    JsonNode m = s.path("mount");
    JsonNode f = s.path("fuse");
    out.printf("%s: daxfs on %s, pid %d, mounted %s%n", s.path("mountpoint").asText(),
        s.path("region").asText(), s.path("pid").asLong(), s.path("mounted_at").asText());
    out.printf("  region: %s%s%n", s.path("backend").asText(),
        s.path("data_checksums").asBoolean() ? ", data checksums on" : "");
    out.printf("  space: %s used, %s free (%s available) of %s%n",
        human(sp.path("used_bytes").asLong()), human(sp.path("free_bytes").asLong()),
        human(sp.path("available_bytes").asLong()),
        human(sp.path("total_bytes").asLong()));
    out.printf("  inodes: %d used, %d free%n", in.path("used").asLong(),
        in.path("free").asLong());
    out.printf("  mount: %s in %.1f ms: %s%n", m.path("how").asText(), m.path("ms").asDouble(),
        m.path("reason").asText());
    if (!"formatted".equals(m.path("how").asText())) {
      out.printf("    replayed %d inode logs, rolled back %d operations, freed %d orphans, "
          + "%d damaged inodes%s%n", m.path("inodes_scanned").asLong(),
          m.path("journal_rollbacks").asLong(), m.path("orphans_freed").asLong(),
          m.path("damaged_inodes").asLong(),
          m.path("used_backup_superblock").asBoolean() ? ", backup superblock used" : "");
    }
    out.printf("  layout breaks: %d, waits: %d (%.1f ms in all, longest %.1f ms), "
        + "ETXTBSY refusals: %d%n", s.path("layout_breaks").asLong(),
        s.path("layout_waits").asLong(), s.path("layout_wait_ms").asDouble(),
        s.path("layout_wait_max_ms").asDouble(), s.path("etxtbsy_refusals").asLong());
    out.printf("  writes in place: %d (for lack of space: %d), checksum errors: %d, "
        + "media errors: %d, orphans reaped: %d%n", s.path("in_place_writes").asLong(),
        s.path("in_place_writes_for_space").asLong(), s.path("checksum_errors").asLong(),
        s.path("media_errors").asLong(), s.path("orphans_reaped").asLong());
    for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!SHOWN.contains(e.getKey())) {
        out.printf("  %s: %s%n", e.getKey().replace('_', ' '), e.getValue());
      }
    }
    out.printf("  fuse: libfuse %s, %d open files, %d inodes held by the kernel%n",
        f.path("libfuse").asText(), f.path("open_files").asLong(),
        f.path("kernel_inodes").asLong());
    out.printf("    options: %s%s%n", f.path("options").asText(),
        f.path("daxfs_options").isEmpty() ? "" : "; daxfs: " + String.join(",",
            Json.mapper().convertValue(f.path("daxfs_options"), String[].class)));
    return 0;
  }

  /** Bytes rounded to one decimal in the largest binary unit that fits. */
  static String human(long bytes) {
    String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " bytes" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
