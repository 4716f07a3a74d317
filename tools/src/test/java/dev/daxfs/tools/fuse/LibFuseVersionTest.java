package dev.daxfs.tools.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LibFuseVersionTest {
  @Test
  void parsesReleaseStrings() {
    assertArrayEquals(new int[] {3, 14}, LibFuseVersion.parse("3.14.0"));
    assertArrayEquals(new int[] {3, 2}, LibFuseVersion.parse("3.2"));
    assertArrayEquals(new int[] {3, 10}, LibFuseVersion.parse(" 3.10.5-rc1\n"));
    assertNull(LibFuseVersion.parse("three"));
    assertNull(LibFuseVersion.parse(null));
  }

  @Test
  void acceptsTheKnownReleasesOnly() {
    assertDoesNotThrow(() -> LibFuseVersion.checkSupported(3, 2, "3.2.0"));
    assertDoesNotThrow(() -> LibFuseVersion.checkSupported(3, 14, "3.14.0"));
    assertDoesNotThrow(() -> LibFuseVersion.checkSupported(3, 16, "3.16.2"));
    for (int[] v : new int[][] {{3, 1}, {3, 17}, {2, 9}, {4, 0}}) {
      String release = v[0] + "." + v[1] + ".0";
      FuseMountException e = assertThrows(FuseMountException.class,
          () -> LibFuseVersion.checkSupported(v[0], v[1], release));
      assertEquals("libfuse " + release + " is not supported: daxfs needs libfuse 3.2 to 3.16 "
          + "(Debian package libfuse3-3).", e.getMessage());
    }
  }

  @Test
  void theInstalledLibraryLoads() throws Exception {
    LibFuseVersion v = FuseLibrary.load();
    assertEquals(3, v.major);
    assertEquals(v.minor >= 8, v.hasLseek());
  }
}
