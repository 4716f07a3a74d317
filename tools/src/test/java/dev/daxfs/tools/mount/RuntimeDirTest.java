package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeDirTest {
  @TempDir Path tmp;

  @Test
  void namesAreReadableDistinctAndFitASocketPath() {
    assertTrue(RuntimeDir.name(Path.of("/mnt/daxfs"), 100).startsWith("mnt-daxfs-"));
    assertNotEquals(RuntimeDir.name(Path.of("/mnt/a-b"), 100),
        RuntimeDir.name(Path.of("/mnt/a/b"), 100), "alike paths stay apart");
    Path deep = Path.of("/" + "very-long-directory-name/".repeat(20) + "mnt");
    RuntimeDir rt = RuntimeDir.at(tmp);
    String socket = rt.files(deep).socket().toString();
    assertTrue(socket.length() <= RuntimeDir.MAX_SOCKET_PATH, socket);
    assertTrue(socket.endsWith(".sock"));
    assertThrows(IllegalStateException.class, () -> RuntimeDir.name(deep, 10));
  }

  @Test
  void prepareMakesTheDirectoryOwnerOnly() throws Exception {
    RuntimeDir rt = RuntimeDir.at(tmp.resolve("a/b"));
    rt.prepare();
    assertEquals("rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(rt.path())));
  }
}
