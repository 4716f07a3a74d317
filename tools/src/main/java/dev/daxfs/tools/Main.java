package dev.daxfs.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import dev.daxfs.tools.bench.BenchCommand;
import picocli.CommandLine.Command;

/**
 * The {@code daxfs} command. Every subcommand reports failures as one sentence on stderr and a
 * non-zero exit status; a stack trace reaches the terminal only with {@code DAXFS_DEBUG=1}.
 */
@Command(
    name = "daxfs",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A log-structured persistent-memory filesystem with DMA-safe truncate and hole punch.",
    subcommands = {
      CommandLine.HelpCommand.class,
      dev.daxfs.tools.race.DmaRaceCommand.class,
      MkfsCommand.class,
      InspectCommand.class,
      MountCommand.class,
      UmountCommand.class,
      StatCommand.class,
      DmaCommand.class,
      LeaseCommand.class,
      FsckCommand.class,
      ScrubCommand.class,
      dev.daxfs.tools.crash.CrashTestCommand.class,
      BenchCommand.class
    })
public final class Main implements Runnable {

  /** Exit status for a usage error, as picocli and most Unix tools use. */
  static final int EXIT_USAGE = 2;

  /** Exit status for an operation that failed at run time. */
  static final int EXIT_FAILURE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit status; used by tests to run in process. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cmd = commandLine();
    cmd.setOut(out);
    cmd.setErr(err);
    return cmd.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setExecutionExceptionHandler(new Failures());
    cmd.setParameterExceptionHandler(Main::badUsage);
    return cmd;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A command line that does not parse: one sentence and where to find the usage. */
  static int badUsage(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    err.println(name + ": " + Messages.sentence(e) + " Try '" + name + " --help'.");
    err.flush();
    return EXIT_USAGE;
  }

  /** Turns any exception that escapes a subcommand into one sentence on stderr. */
  static final class Failures implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
      PrintWriter err = cmd.getErr();
      err.println(cmd.getCommandSpec().qualifiedName() + ": " + Messages.sentence(e));
      if ("1".equals(System.getenv("DAXFS_DEBUG"))) {
        e.printStackTrace(err);
      }
      err.flush();
      if (e instanceof CommandLine.ParameterException) {
        return EXIT_USAGE;
      }
      return cmd.getCommandSpec().userObject() instanceof FailureCode f
          ? f.failureExitCode() : EXIT_FAILURE;
    }
  }

  /** A command whose failures to run at all have their own exit status (fsck: 8). */
  interface FailureCode {
    int failureExitCode();
  }

  /** Reads the version that the build filtered into version.properties. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new String[] {
        "daxfs " + p.getProperty("version", "unknown"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
      };
    }
  }
}
