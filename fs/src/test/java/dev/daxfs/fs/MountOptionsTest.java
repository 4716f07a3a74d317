package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Test switches reach only crash-recording regions and test harnesses' own regions. */
class MountOptionsTest {

  private static final long SIZE = 16 << 20;

  private static MountOptions withSwitch() {
    TestSwitches bug = TestSwitches.none();
    bug.skipJournal = true;
    return MountOptions.defaults().testSwitches(bug);
  }

  private static PmemRegion formatted(PmemRegion r) {
    DaxFs.mkfs(r, MkfsOptions.defaults());
    return r;
  }

  private static void refused(PmemRegion region) {
    ErrnoException e = assertThrows(ErrnoException.class,
        () -> DaxFs.mount(region, withSwitch()));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().startsWith("test switches are refused on "), e.getMessage());
    assertTrue(e.getMessage().contains("crash-recording"), e.getMessage());
  }

  @Test
  void aSwitchOnAnOrdinaryRegionIsRefusedAndTheRegionIsLeftAlone(@TempDir Path dir)
      throws Exception {
    try (PmemRegion file = Regions.open(dir.resolve("r"), RegionOptions.create(SIZE))) {
      formatted(file);
      byte[] before = new byte[4096];
      file.load(0, before, 0, before.length);
      refused(file);
      byte[] after = new byte[4096];
      file.load(0, after, 0, after.length);
      assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(after),
          "the refused mount wrote nothing");
      DaxFs.mount(file, MountOptions.defaults()).unmount();
    }
    refused(formatted(new HeapRegion(SIZE)));
  }

  @Test
  void setSwitchesThatAreAllOffAreNoSwitches() {
    DaxFs.mount(formatted(new HeapRegion(SIZE)),
        MountOptions.defaults().testSwitches(TestSwitches.none())).unmount();
  }

  @Test
  void aCrashRecordingRegionAndItsCrashImagesTakeSwitches() {
    CrashRecordingRegion region = new CrashRecordingRegion(formatted(new HeapRegion(SIZE)));
    DaxFs fs = DaxFs.mount(region, withSwitch());
    fs.mkdir(Cred.root(), "/d", 0755);
    CrashImage image = region.crashPoint().image(0);
    fs.unmount();
    DaxFs.mount(image, withSwitch()).unmount();
  }

  @Test
  void aTestHarnessDeclaresItsOwnRegion() {
    DaxFs.mount(formatted(new HeapRegion(SIZE)), withSwitch().testHarnessRegion()).unmount();
  }
}
