package dev.daxfs.tools.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
  @Test
  void parsesMountinfoLinesWithOptionalFieldsAndEscapes() {
    List<MountInfo.Entry> e = MountInfo.parse(List.of(
        "36 35 98:0 /mnt1 /mnt/a\\040b rw,noatime master:1 shared:2 - ext3 /dev/root rw",
        "40 35 0:57 / /tmp/x rw,nosuid,nodev,relatime - fuse.daxfs daxfs rw,user_id=0",
        "garbage line"));
    assertEquals(2, e.size());
    assertEquals(new MountInfo.Entry(98, 0, "/mnt/a b", "ext3", "/dev/root", "rw"), e.get(0));
    assertEquals(new MountInfo.Entry(0, 57, "/tmp/x", "fuse.daxfs", "daxfs", "rw,user_id=0"),
        e.get(1));
    assertEquals(-1, e.get(0).userId());
    assertEquals(0, e.get(1).userId());
  }

  @Test
  void unescapesOctalBytes() {
    assertEquals("a\tb\\c d", MountInfo.unescape("a\\011b\\134c\\040d"));
    assertEquals("plain\\x", MountInfo.unescape("plain\\x"));
  }
}
