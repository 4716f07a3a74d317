package dev.daxfs.tools.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compares every native layout and constant of the binding with what gcc computes from the
 * installed headers (fuse_layout_probe.c): a reordered ops table, a moved field or a changed
 * flag fails here instead of calling the wrong function at run time.
 */
class LayoutProbeTest {
  /** struct name to its size, from the probe. */
  private static final Map<String, Long> sizes = new TreeMap<>();
  /** struct name to member to offset, from the probe. */
  private static final Map<String, Map<String, Long>> fields = new TreeMap<>();
  /** fuse_file_info bit field name to mask. */
  private static final Map<String, Long> bits = new TreeMap<>();
  /** constant name to value. */
  private static final Map<String, Long> consts = new TreeMap<>();
  private static int headerMajor;
  private static int headerMinor;

  @BeforeAll
  static void probe() throws Exception {
    NativeTools.Result r =
        NativeTools.run(List.of(NativeTools.build("fuse_layout_probe", true).toString()), 30);
    assertEquals(0, r.exit(), r.output());
    for (String line : r.output().split("\n")) {
      String[] f = line.trim().split(" ");
      switch (f[0]) {
        case "version":
          headerMajor = Integer.parseInt(f[1]);
          headerMinor = Integer.parseInt(f[2]);
          break;
        case "size":
          sizes.put(f[1], Long.parseLong(f[2]));
          break;
        case "field":
          fields.computeIfAbsent(f[1], k -> new LinkedHashMap<>()).put(f[2], Long.parseLong(f[3]));
          break;
        case "bit":
          bits.put(f[2], Long.parseLong(f[3]));
          break;
        case "const":
          consts.put(f[1], Long.parseLong(f[2]));
          break;
        default:
          throw new AssertionError("unexpected probe line: " + line);
      }
    }
  }

  @Test
  void everyStructMatchesTheHeaders() {
    List<String> mismatches = new ArrayList<>();
    for (StructLayout s : Layouts.ALL) {
      Long size = sizes.get(s.name);
      if (size == null) {
        mismatches.add("the probe does not print struct " + s.name);
        continue;
      }
      if (size != s.size) {
        mismatches.add("sizeof(struct " + s.name + ") is " + size + ", Java says " + s.size);
      }
      Map<String, Long> c = fields.getOrDefault(s.name, Map.of());
      if (!c.equals(s.offsets())) {
        mismatches.add("struct " + s.name + " offsets: headers " + c + ", Java " + s.offsets());
      }
    }
    for (String probed : sizes.keySet()) {
      if (Layouts.ALL.stream().noneMatch(s -> s.name.equals(probed))) {
        mismatches.add("struct " + probed + " is probed but has no Java layout");
      }
    }
    assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
  }

  @Test
  void opsTableHasOnePointerPerKnownOperationInHeaderOrder() {
    // A member added to the header changes sizeof without any offset here changing.
    assertEquals(LowLevelOp.values().length * 8L, sizes.get("fuse_lowlevel_ops"),
        "fuse_lowlevel_ops has members the binding does not know");
    Map<String, Long> c = fields.get("fuse_lowlevel_ops");
    for (LowLevelOp op : LowLevelOp.values()) {
      assertEquals(c.get(op.cName), op.offset(), "offset of " + op.cName);
    }
  }

  @Test
  void fileInfoBitsMatchTheHeaders() {
    Map<String, Long> java = Map.of(
        "writepage", (long) Layouts.FI_WRITEPAGE,
        "direct_io", (long) Layouts.FI_DIRECT_IO,
        "keep_cache", (long) Layouts.FI_KEEP_CACHE,
        "flush", (long) Layouts.FI_FLUSH,
        "nonseekable", (long) Layouts.FI_NONSEEKABLE,
        "flock_release", (long) Layouts.FI_FLOCK_RELEASE,
        "cache_readdir", (long) Layouts.FI_CACHE_READDIR,
        "noflush", (long) Layouts.FI_NOFLUSH);
    assertEquals(new TreeMap<>(java), bits);
  }

  @Test
  void everyConstantMatchesTheHeaders() throws IllegalAccessException {
    Map<String, Long> java = new TreeMap<>();
    for (Class<?> c : List.of(Errno.class, LinuxFlags.class, FuseConstants.class)) {
      for (Field f : c.getDeclaredFields()) {
        int m = f.getModifiers();
        if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class) {
          f.setAccessible(true);
          java.put(f.getName(), (long) f.getInt(null));
        }
      }
    }
    assertEquals(consts, java, "constants in the headers vs in Java");
  }

  @Test
  void headersAreASupportedReleaseAndMatchTheLibrary() throws Exception {
    LibFuseVersion.checkSupported(headerMajor, headerMinor, headerMajor + "." + headerMinor);
    LibFuseVersion lib = FuseLibrary.load();
    assertEquals(headerMajor + "." + headerMinor, lib.major + "." + lib.minor,
        "libfuse3-dev and libfuse3-3 are different releases");
  }
}
