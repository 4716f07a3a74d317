package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.fs.MountOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountSettingsTest {

  @Test
  void daxfsOptionsAreTakenOutAndTheRestGoToLibfuse() {
    MountSettings s = MountSettings.parse(List.of("noatime,ro", "pinned_fsync=proceed,max_read=65536",
        "threads=4,debug"));
    assertEquals(MountOptions.Atime.NOATIME, s.fsOptions().atime());
    assertEquals(MountOptions.PinnedFsync.PROCEED, s.fsOptions().pinnedFsync());
    assertEquals(List.of("ro", "max_read=65536"), s.libfuseOptions());
    assertEquals(List.of("noatime", "pinned_fsync=proceed", "threads=4", "debug"),
        s.ownOptions());
    assertEquals(4, s.threads);
    assertTrue(s.debug);
  }

  @Test
  void badValuesAreRefusedInOneSentence() {
    assertEquals("pinned_fsync takes wait or proceed, not \"maybe\"", assertThrows(
        IllegalArgumentException.class,
        () -> MountSettings.parse(List.of("pinned_fsync=maybe"))).getMessage());
    assertThrows(IllegalArgumentException.class, () -> MountSettings.parse(List.of("threads=1")));
    assertThrows(IllegalArgumentException.class, () -> MountSettings.parse(List.of("noatime=1")));
    assertThrows(IllegalArgumentException.class,
        () -> MountSettings.parse(List.of("layout_wait_timeout=soon")));
  }

  @Test
  void durations() {
    assertEquals(Duration.ofSeconds(30), MountSettings.duration("t", "30"));
    assertEquals(Duration.ofSeconds(30), MountSettings.duration("t", "30s"));
    assertEquals(Duration.ofMillis(500), MountSettings.duration("t", "500ms"));
    assertEquals(Duration.ofMinutes(2), MountSettings.duration("t", "2m"));
  }
}
