package dev.daxfs.tools;

import dev.daxfs.fs.Fsck;
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

/** {@code daxfs fsck REGION}: checks an unmounted filesystem, and repairs it when asked. */
@Command(
    name = "fsck",
    mixinStandardHelpOptions = true,
    description =
      "Check every invariant of an unmounted daxfs region. Exit status as e2fsck: 0 clean, 1 "
      + "errors corrected, 4 errors left, 8 the check could not run.")
final class FsckCommand implements Callable<Integer>, Main.FailureCode {

  @Parameters(index = "0", paramLabel = "REGION",
      description = "Region file, or a bare name for a file in /dev/shm.")
  String region;

  @Option(names = "--repair",
      description = "Fix what can be fixed without guessing (orphans, link counts, dangling "
          + "entries, the allocator checkpoint, an unfinished journal) and say what was done.")
  boolean repair;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public int failureExitCode() {
    return 8;
  }

  @Override
  public Integer call() throws Exception {
    Path file = Regions.resolve(region);
    RegionOptions options = RegionOptions.existing().withExclusiveLock();
    if (!repair) {
      options = options.withReadOnly();
    }
    Fsck.Report report;
    try (PmemRegion r = Regions.open(file, options);
        ProgressBar bar = ProgressBar.onTerminal()) {
      report = repair ? Fsck.repair(r, bar::update) : Fsck.check(r, bar::update);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = report.toMap();
      m.put("region", file.toString());
      out.println(Json.write(m));
    } else {
      for (Fsck.Problem p : report.fixed) {
        out.println("fixed: " + p.where() + ": " + p.message());
      }
      for (Fsck.Problem p : report.problems) {
        out.println((p.fixable() ? "error (repairable): " : "error: ") + p.where() + ": "
            + p.message());
      }
      out.println(file + ": " + switch (report.exitCode()) {
        case 0 -> "clean";
        case 1 -> report.fixed.size() + " error(s) corrected";
        default -> report.problems.size() + " error(s) left";
      } + "; " + report.counts);
    }
    return report.exitCode();
  }
}
