package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.HeapRegion;
import org.junit.jupiter.api.Test;

class MountStatusTest {

  @Test
  void theFirstMountOfAFreshFilesystemIsNoRecovery() {
    HeapRegion r = new HeapRegion(16 << 20);
    DaxFs.mkfs(r, MkfsOptions.defaults());
    DaxFs fs = DaxFs.mount(r, MountOptions.defaults());
    String first = MountStatus.describe(fs.mountReport());
    assertTrue(first.startsWith("first mount of a freshly formatted filesystem"), first);
    assertFalse(first.contains("unclean") || first.contains("recovered"), first);
    DaxFs crashed = DaxFs.mount(HeapRegion.copyOf(r), MountOptions.defaults());
    String after = MountStatus.describe(crashed.mountReport());
    assertTrue(after.startsWith("recovered in") && after.contains("after an unclean shutdown"),
        after);
    fs.unmount();
    String clean = MountStatus.describe(DaxFs.mount(r, MountOptions.defaults()).mountReport());
    assertTrue(clean.startsWith("mounted after a clean unmount"), clean);
  }
}
