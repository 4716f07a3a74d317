package dev.daxfs.tools.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileErrorsTest {
  @TempDir Path tmp;

  private static String reasonForCreating(Path dir) {
    IOException e = assertThrows(IOException.class, () -> Files.createDirectories(dir));
    return FileErrors.reason(e, dir);
  }

  @Test
  void aDirectoryProcRefusesIsNamedWithItsReasonNotJustItsPath() {
    // The JDK's exception says only "/proc/daxfs-no-such-dir".
    assertEquals("no such file or directory: /proc/daxfs-no-such-dir",
        reasonForCreating(Path.of("/proc/daxfs-no-such-dir/mnt")));
  }

  @Test
  void aFileInThePathIsNamedAsTheComponentThatIsNotADirectory() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertEquals(file + " is not a directory", reasonForCreating(file.resolve("a/mnt")));
  }

  @Test
  void theJdksPathOnlyExceptionsGetStrerrorsWords() {
    Path p = Path.of("/x/y");
    assertEquals("permission denied", FileErrors.reason(new AccessDeniedException("/x/y"), p));
    assertEquals("permission denied: /x", FileErrors.reason(new AccessDeniedException("/x"), p));
    assertEquals("no such file or directory",
        FileErrors.reason(new NoSuchFileException("/x/y"), p));
    assertEquals("file exists", FileErrors.reason(new FileAlreadyExistsException("/x/y"), p));
  }

  @Test
  void otherErrorsKeepStrerrorsWordsInLowerCase() {
    Path p = Path.of("/ro/mnt");
    assertEquals("read-only file system",
        FileErrors.reason(new FileSystemException("/ro/mnt", null, "Read-only file system"), p));
    assertEquals("operation not permitted: /sys/foo",
        FileErrors.reason(new FileSystemException("/sys/foo", null, "Operation not permitted"),
            p));
    assertEquals("ENOTCONN", FileErrors.reason(new FileSystemException("/ro/mnt", null,
        "ENOTCONN"), p));
    assertEquals("disk on fire", FileErrors.reason(new IOException("disk on fire"), p));
    assertEquals("IOException", FileErrors.reason(new IOException(), p));
  }
}
