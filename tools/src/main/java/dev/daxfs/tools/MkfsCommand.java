package dev.daxfs.tools;

import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code daxfs mkfs REGION}: formats a region, creating it (sparse) when it does not exist. */
@Command(
    name = "mkfs",
    mixinStandardHelpOptions = true,
    description =
      "Format a region as daxfs. A missing region file is created (sparse) with --size; an "
      + "existing one keeps its size. Takes the same time for any size.")
final class MkfsCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "REGION",
      description = "Region file, or a bare name for a file in /dev/shm.")
  String region;

  @Option(names = "--size", paramLabel = "SIZE",
      description = "Size when creating the region (16M to beyond 1T; default 1G).")
  String size;

  @Option(names = "--data-checksums",
      description = "Keep a CRC32C per data block and verify it on every read.")
  boolean dataChecksums;

  @Option(names = "--force", description = "Format even if the region holds a daxfs filesystem.")
  boolean force;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path path = Regions.resolve(region);
    if (size != null && Sizes.parse(size) < 16 * Sizes.MiB) {
      throw new IllegalArgumentException("a daxfs region needs at least 16 MiB, not " + size);
    }
    RegionOptions options;
    if (Files.exists(path)) {
      options = RegionOptions.existing().withExclusiveLock();
      if (size != null) {
        options = options.withExpectedSize(Sizes.parse(size));
      }
    } else {
      options = RegionOptions.create(size == null ? Sizes.GiB : Sizes.parse(size))
          .withExclusiveLock();
    }
    long t0 = System.nanoTime();
    try (PmemRegion r = Regions.open(path, options)) {
      if (!force && DaxFs.holdsFilesystem(r)) {
        throw new IllegalStateException("region " + path + " already holds a daxfs "
            + "filesystem; add --force to format it anyway");
      }
      DaxFs.mkfs(r, MkfsOptions.defaults().dataChecksums(dataChecksums));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("region", path.toString());
      out.put("backend", r.describe());
      out.put("bytes", r.size());
      out.put("blocks", r.size() / PmemRegion.PAGE_SIZE);
      out.put("data_checksums", dataChecksums);
      out.put("milliseconds", ms);
      if (json) {
        spec.commandLine().getOut().println(Json.write(out));
      } else {
        spec.commandLine().getOut().printf("formatted %s: %s, %d blocks of 4 KiB%s, in %d ms%n",
            path, Sizes.format(r.size()), r.size() / PmemRegion.PAGE_SIZE,
            dataChecksums ? ", data checksums on" : "", ms);
      }
    }
    return 0;
  }
}
