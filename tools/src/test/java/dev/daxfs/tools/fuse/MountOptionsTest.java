package dev.daxfs.tools.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
  @Test
  void buildsTheLibfuseOptionString() {
    MountOptions o = MountOptions.defaults()
        .withFsname("/dev/shm/img")
        .withAllowOther(true)
        .withDefaultPermissions(true)
        .withOptions(List.of("ro", "max_read=131072"));
    assertEquals("fsname=/dev/shm/img,subtype=daxfs,allow_other,default_permissions,ro,"
        + "max_read=131072", o.optionString());
    assertEquals("fsname=daxfs,subtype=daxfs", MountOptions.defaults().optionString());
  }

  @Test
  void rejectsValuesThatWouldSplitTheOptionString() {
    assertThrows(IllegalArgumentException.class, () -> MountOptions.defaults().withFsname("a,b"));
    assertThrows(IllegalArgumentException.class,
        () -> MountOptions.defaults().withOptions(List.of("")));
  }

  @Test
  void needsTwoThreadsSoThatInterruptsCanBeRead() {
    assertThrows(IllegalArgumentException.class, () -> MountOptions.defaults().withThreads(1));
    assertEquals(2, MountOptions.defaults().withThreads(2).threads);
  }
}
