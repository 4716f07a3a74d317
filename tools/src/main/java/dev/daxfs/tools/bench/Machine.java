package dev.daxfs.tools.bench;

import dev.daxfs.pmem.Sizes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The machine a benchmark ran on, as a reader of its figures needs it: cores, memory, kernel,
 * JDK and CPU model, read from /proc where the JDK does not say.
 */
record Machine(int cores, long memoryBytes, String kernel, String jdk, String cpuModel) {

  /** What a field reads when its source is missing. */
  static final String UNKNOWN = "unknown";

  /** This machine, now. */
  static Machine probe() {
    return new Machine(
        Runtime.getRuntime().availableProcessors(),
        memTotal(lines(Path.of("/proc/meminfo"))),
        kernelRelease(),
        System.getProperty("java.vm.name") + " " + Runtime.version(),
        cpuModel(lines(Path.of("/proc/cpuinfo"))));
  }

  /** The fields as the combined report's {@code machine} object holds them. */
  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", cores);
    m.put("memory_bytes", memoryBytes);
    m.put("kernel", kernel);
    m.put("jdk", jdk);
    m.put("cpu_model", cpuModel);
    return m;
  }

  /** One line: "2 cores (MODEL), 23.4 GiB, Linux 6.1.0, OpenJDK 64-Bit Server VM 17.0.15". */
  String describe() {
    String memory = memoryBytes > 0
        ? String.format(Locale.ROOT, "%.1f GiB", memoryBytes / (double) Sizes.GiB)
        : "memory " + UNKNOWN;
    return cores + (cores == 1 ? " core (" : " cores (") + cpuModel + "), " + memory + ", Linux "
        + kernel + ", " + jdk;
  }

  /** The first "model name" of /proc/cpuinfo (x86), else its "Model" or "CPU part" (ARM). */
  static String cpuModel(List<String> cpuinfo) {
    for (String key : List.of("model name", "Model", "cpu model", "CPU part")) {
      for (String line : cpuinfo) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).strip().equals(key)) {
          String value = line.substring(colon + 1).strip().replaceAll("\\s+", " ");
          if (!value.isEmpty()) {
            return value;
          }
        }
      }
    }
    return UNKNOWN;
  }

  /** MemTotal of /proc/meminfo in bytes, or 0 when it is not there. */
  static long memTotal(List<String> meminfo) {
    for (String line : meminfo) {
      String[] f = line.strip().split("\\s+");
      if (f.length >= 2 && f[0].equals("MemTotal:")) {
        try {
          long n = Long.parseLong(f[1]);
          return f.length >= 3 && f[2].equalsIgnoreCase("kB") ? n * 1024 : n;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  private static String kernelRelease() {
    List<String> release = lines(Path.of("/proc/sys/kernel/osrelease"));
    if (!release.isEmpty() && !release.get(0).isBlank()) {
      return release.get(0).strip();
    }
    return System.getProperty("os.version", UNKNOWN);
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
