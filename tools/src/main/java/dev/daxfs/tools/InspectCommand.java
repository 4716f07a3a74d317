package dev.daxfs.tools;

import dev.daxfs.fs.Inspector;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code daxfs inspect REGION}: what is on an unmounted region, read without changing a byte.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description =
      "Print the superblock, journal, inode-table usage and free space of an unmounted region, "
      + "and with --inode or --path one inode's log and block map.")
final class InspectCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "REGION",
      description = "Region file, or a bare name for a file in /dev/shm.")
  String region;

  @Option(names = "--inode", paramLabel = "N", description = "Show inode N.")
  Long inode;

  @Option(names = "--path", paramLabel = "/a/b", description = "Show the inode at this path.")
  String path;

  @Option(names = "--json", description = "Print JSON (the block map is the key \"blocks\").")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path file = Regions.resolve(region);
    // A shared lock: refused while a daxfs process has the region mounted.
    try (PmemRegion r = Regions.open(file, RegionOptions.existing().withReadOnly()
        .withExclusiveLock())) {
      Inspector in = Inspector.open(r);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("region", file.toString());
      out.putAll(in.summary());
      if (inode != null || path != null) {
        long ino = inode != null ? inode : in.resolve(path);
        out.put("inode", in.inode(ino));
      }
      PrintWriter pw = spec.commandLine().getOut();
      if (json) {
        pw.println(Json.write(out));
      } else {
        printText(pw, out, "");
      }
    }
    return 0;
  }

  /** Prints the report as indented "key: value" lines, short lists on one line. */
  @SuppressWarnings("unchecked")
  static void printText(PrintWriter pw, Map<String, Object> map, String indent) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      Object v = e.getValue();
      String key = e.getKey().replace('_', ' ');
      if (v instanceof Map<?, ?> m) {
        pw.println(indent + key + ":");
        printText(pw, (Map<String, Object>) m, indent + "  ");
      } else if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map) {
        pw.println(indent + key + ":");
        for (Object o : l) {
          StringBuilder sb = new StringBuilder(indent + "  -");
          ((Map<String, Object>) o).forEach((k, x) -> sb.append(' ').append(k).append('=')
              .append(x));
          pw.println(sb);
        }
      } else if (v instanceof List<?> l) {
        String s = l.toString();
        pw.println(indent + key + ": " + (s.length() > 200 ? l.size() + " items: "
            + s.substring(0, 200) + " ..." : s));
      } else {
        pw.println(indent + key + ": " + v);
      }
    }
  }
}
