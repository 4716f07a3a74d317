package dev.daxfs.tools;

import dev.daxfs.fs.Scrub;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code daxfs scrub REGION}: verifies every data block that has a trustworthy checksum.
 * Exit status 0 when every verified block matches, 4 when some do not.
 */
@Command(
    name = "scrub",
    mixinStandardHelpOptions = true,
    description = {
      "Verify the data checksums of every block that is not stale (a block a writable",
      "mapping or a device may be changing is counted, never verified). Needs a filesystem",
      "made with mkfs --data-checksums. Exit status: 0 clean, 4 mismatches found."
    })
final class ScrubCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "REGION|MOUNTPOINT",
      description = "An unmounted region (file, or bare name in /dev/shm), or a mount point.")
  String target;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path file = Regions.resolve(target);
    Scrub.Report report;
    try (PmemRegion r = Regions.open(file, RegionOptions.existing().withReadOnly()
        .withExclusiveLock())) {
      report = Scrub.run(r);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = report.toMap();
      m.put("region", file.toString());
      out.println(Json.write(m));
    } else if (!report.checksums) {
      out.println(file + ": no data checksums (made without mkfs --data-checksums); "
          + "nothing to verify");
    } else {
      for (Scrub.Mismatch x : report.mismatches) {
        out.println("bad: inode " + x.ino() + " page " + x.page() + " (block " + x.block()
            + "): " + x.problem());
      }
      out.printf("%s: %d blocks verified, %d mismatches, %d stale blocks not verified%n",
          file, report.blocksVerified, report.mismatches.size(), report.staleBlocks);
    }
    return report.mismatches.isEmpty() ? 0 : 4;
  }
}
