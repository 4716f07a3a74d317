package dev.daxfs.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
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
          + " breaks and waits, ETXTBSY refusals and leases, pins acquired, released and"
          + " outstanding (in all and per DMA device), misdirected DMA writes (always 0), ODP"
          + " invalidations, orphans and log cleaning, read from the mount's control socket."
          + " --json names them pins_acquired, pins_released, pins_outstanding, layout_breaks,"
          + " layout_waits, misdirected_writes, and so on.",
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
      "layout_waits", "layout_wait_ms", "layout_wait_max_ms", "layout_waits_in_progress",
      "layout_waits_interrupted", "layout_waits_timed_out", "etxtbsy_refusals",
      "in_place_writes", "in_place_writes_for_space", "checksum_errors", "media_errors",
      "orphans_reaped", "orphans_pending", "log_cleanings", "log_pages_freed", "pins_acquired",
      "pins_released", "pins_outstanding", "pin_misuse", "misdirected_writes",
      "odp_invalidations", "odp_retries", "dma_streams", "page_cache_invalidations", "devices",
      "leases_held", "leases", "fuse");

  @Override
  public Integer call() throws Exception {
    JsonNode s;
    try (ControlClient c = MountControl.connect(mountpoint)) {
      s = c.request("stat");
    } catch (ControlException e) {
      throw MountControl.failed(e);
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
    out.printf("  layout breaks: %d, waits: %d (%.1f ms in all, longest %.1f ms; %d waiting now, "
        + "%d interrupted, %d timed out), ETXTBSY refusals: %d%n", s.path("layout_breaks").asLong(),
        s.path("layout_waits").asLong(), s.path("layout_wait_ms").asDouble(),
        s.path("layout_wait_max_ms").asDouble(), s.path("layout_waits_in_progress").asLong(),
        s.path("layout_waits_interrupted").asLong(), s.path("layout_waits_timed_out").asLong(),
        s.path("etxtbsy_refusals").asLong());
    out.printf("  leases held: %d%n", s.path("leases_held").asLong());
    for (JsonNode l : s.path("leases")) {
      out.printf("    %s [%d, +%d) held by %s%n", l.path("path").asText(),
          l.path("offset").asLong(), l.path("length").asLong(), l.path("holder").asText());
    }
    out.printf("  pins: %d acquired, %d released, %d outstanding (pages); misdirected DMA "
        + "writes: %d%s%n", s.path("pins_acquired").asLong(), s.path("pins_released").asLong(),
        s.path("pins_outstanding").asLong(), s.path("misdirected_writes").asLong(),
        s.path("pin_misuse").asLong() > 0
            ? "; pin misuse refused: " + s.path("pin_misuse").asLong() : "");
    out.printf("  DMA: %d streams active, ODP invalidations: %d (transfers retried: %d), "
        + "cached page ranges dropped after DMA: %d%n", s.path("dma_streams").asLong(),
        s.path("odp_invalidations").asLong(), s.path("odp_retries").asLong(),
        s.path("page_cache_invalidations").asLong());
    for (JsonNode d : s.path("devices")) {
      out.printf("    device %s%s: pins %d acquired, %d released, %d outstanding (pages); "
          + "%d registrations, %d transfers (%d failed), %d bytes written, %d read, "
          + "%d misdirected%n", d.path("name").asText(),
          d.path("odp").asBoolean() ? " (ODP)" : "", d.path("pins_acquired").asLong(),
          d.path("pins_released").asLong(), d.path("pins_outstanding").asLong(),
          d.path("registrations").asLong(), d.path("transfers_completed").asLong(),
          d.path("transfers_failed").asLong(), d.path("bytes_written").asLong(),
          d.path("bytes_read").asLong(), d.path("misdirected_writes").asLong());
    }
    out.printf("  orphans: %d pending, %d reaped; log cleanings: %d (%d log pages freed)%n",
        s.path("orphans_pending").asLong(), s.path("orphans_reaped").asLong(),
        s.path("log_cleanings").asLong(), s.path("log_pages_freed").asLong());
    out.printf("  writes in place: %d (for lack of space: %d), checksum errors: %d, "
        + "media errors: %d%n", s.path("in_place_writes").asLong(),
        s.path("in_place_writes_for_space").asLong(), s.path("checksum_errors").asLong(),
        s.path("media_errors").asLong());
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
