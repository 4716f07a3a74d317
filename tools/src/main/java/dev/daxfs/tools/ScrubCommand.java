package dev.daxfs.tools;

import dev.daxfs.fs.Scrub;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.mount.MountPoints;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code daxfs scrub REGION|MOUNTPOINT}: verifies every data block that has a trustworthy checksum.
 * Exit status 0 when every verified block matches, 4 when some do not.
 */
@Command(
    name = "scrub",
    mixinStandardHelpOptions = true,
    description =
      "Verify the data checksums of every block that is not stale (a block a writable mapping "
      + "or a device may be changing is counted, never verified). Needs a filesystem made with "
      + "mkfs --data-checksums. Exit status: 0 clean, 4 mismatches found.")
final class ScrubCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "REGION|MOUNTPOINT",
      description = "An unmounted region (file, or bare name in /dev/shm), or a mount point.")
  String target;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path asGiven = Path.of(target);
    Map<String, Object> m;
    String name;
    if (Files.isDirectory(asGiven)) {
      // A mount point: the mount process verifies its own live filesystem.
      name = MountPoints.canonical(asGiven).toString();
      try (ControlClient c = MountControl.connect(asGiven)) {
        @SuppressWarnings("unchecked")
        Map<String, Object> answer = Json.mapper().convertValue(c.request("scrub"), Map.class);
        m = answer;
      } catch (ControlException e) {
        throw MountControl.failed(e);
      }
      m.put("mountpoint", name);
    } else {
      Path file = Regions.resolve(target);
      try (PmemRegion r = Regions.open(file, RegionOptions.existing().withReadOnly()
          .withExclusiveLock())) {
        m = Scrub.run(r).toMap();
      }
      name = file.toString();
      m.put("region", name);
    }
    PrintWriter out = spec.commandLine().getOut();
    long mismatches = ((Number) m.get("mismatches")).longValue();
    if (json) {
      out.println(Json.write(m));
    } else if (!Boolean.TRUE.equals(m.get("data_checksums"))) {
      out.println(name + ": no data checksums (made without mkfs --data-checksums); "
          + "nothing to verify");
    } else {
      for (Object o : (List<?>) m.get("bad_blocks")) {
        Map<?, ?> x = (Map<?, ?>) o;
        out.println("bad: inode " + x.get("ino") + " page " + x.get("page") + " (block "
            + x.get("block") + "): " + x.get("problem"));
      }
      out.printf("%s: %d blocks verified, %d mismatches, %d stale blocks not verified%n",
          name, ((Number) m.get("blocks_verified")).longValue(), mismatches,
          ((Number) m.get("stale_blocks")).longValue());
    }
    return mismatches == 0 ? 0 : 4;
  }
}
