package dev.daxfs.tools.fuse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures 1 MiB sequential write and read through the binding to {@link MemoryFilesystem}
 * with dd, next to the same dd on /dev/shm. Not a test (no timing is asserted anywhere): run it
 * by hand from the tools module after {@code mvn test-compile}:
 *
 * <pre>
 * java -cp "$(cat target/classpath.txt):target/classes:target/test-classes" \
 *     dev.daxfs.tools.fuse.FuseThroughputProbe [MiB] [threads...]
 * </pre>
 */
final class FuseThroughputProbe {
  private FuseThroughputProbe() {}

  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int[] threads = args.length > 1
        ? java.util.Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray()
        : new int[] {2, 4, 8};
    Path shm = Files.createTempDirectory(Paths.get("/dev/shm"), "fuse-probe");
    try {
      report("/dev/shm", shm, mib);
    } finally {
      NativeTools.run(List.of("rm", "-rf", shm.toString()), 60);
    }
    for (boolean store : new boolean[] {true, false}) {
      for (int t : threads) {
        Path mnt = Files.createTempDirectory("fuse-probe");
        MemoryFilesystem fs = new MemoryFilesystem(store);
        FuseMount m = FuseMount.mount(mnt, fs, MountOptions.defaults().withThreads(t));
        try {
          FuseConnection c = fs.connection;
          System.out.printf("libfuse %s, threads %d, max_write %d, max_readahead %d, %s%n",
              m.libfuseRelease(), t, c.maxWrite(), c.maxReadahead(),
              store ? "data stored in the heap" : "data discarded (binding alone)");
          report("fuse threads=" + t, mnt, mib);
        } finally {
          m.unmount();
          FuseMountTest.forceUnmount(mnt);
          Files.deleteIfExists(mnt);
        }
      }
    }
  }

  private static void report(String label, Path dir, int mib) throws Exception {
    String f = dir.resolve("seq").toString();
    double write = dd("if=/dev/zero of=" + f + " bs=1M count=" + mib + " conv=fsync");
    double readDirect = dd("if=" + f + " of=/dev/null bs=1M iflag=direct");
    NativeTools.run(List.of("bash", "-c", "sync; echo 1 > /proc/sys/vm/drop_caches"), 60);
    double readCold = dd("if=" + f + " of=/dev/null bs=1M");
    System.out.printf("%-16s write %7.0f MB/s   read O_DIRECT %7.0f MB/s   read cold cache "
        + "%7.0f MB/s%n", label, write, readDirect, readCold);
  }

  /** Runs dd and returns its rate in MB/s (10^6 bytes per second, as dd reports). */
  private static double dd(String operands) throws Exception {
    NativeTools.Result r = NativeTools.run(List.of("bash", "-c", "dd " + operands + " 2>&1"), 300);
    if (r.exit() != 0) {
      throw new IllegalStateException("dd " + operands + " failed: " + r.output());
    }
    Matcher m = Pattern.compile("(\\d+) bytes .* copied, ([\\d.]+) s").matcher(r.output());
    if (!m.find()) {
      throw new IllegalStateException("cannot read dd's output: " + r.output());
    }
    return Long.parseLong(m.group(1)) / Double.parseDouble(m.group(2)) / 1e6;
  }
}
