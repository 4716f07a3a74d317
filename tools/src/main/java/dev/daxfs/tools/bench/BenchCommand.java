package dev.daxfs.tools.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code daxfs bench SUITE}: each suite measures daxfs against a named baseline in the same run
 * and reports ratios, printing the flush model it ran with.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure daxfs against its baselines and report ratios.",
    subcommands = {
      PmemBench.class, GupBench.class, FuseBench.class, FsBench.class, FsyncBench.class,
      BenchAll.class
    })
public final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
