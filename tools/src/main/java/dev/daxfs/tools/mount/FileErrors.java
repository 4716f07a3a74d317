package dev.daxfs.tools.mount;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The reason a file operation failed, in words. The JDK's exceptions for ENOENT, EACCES and
 * EEXIST carry only a path as their message ("/proc/foo"), and its other ones the path and
 * strerror's text: a sentence built from either would name a path where it should say why.
 */
final class FileErrors {
  private FileErrors() {}

  /**
   * Why {@code e} happened, as a phrase to follow "cannot ... {@code subject}: ": strerror's
   * words in lower case, followed by the path they concern when that is not {@code subject}
   * itself ("no such file or directory: /proc/foo", "permission denied", "read-only file
   * system"). For "not a directory" it names the path component that is a file instead.
   */
  static String reason(IOException e, Path subject) {
    String words;
    if (e instanceof NoSuchFileException) {
      words = "no such file or directory";
    } else if (e instanceof AccessDeniedException) {
      words = "permission denied";
    } else if (e instanceof FileAlreadyExistsException) {
      words = "file exists";
    } else if (e instanceof FileSystemException f && f.getReason() != null) {
      words = lowerFirst(f.getReason());
      if (words.equals("not a directory") && f.getFile() != null) {
        Path file = fileNotDirectory(Path.of(f.getFile()));
        if (file != null) {
          return file + " is not a directory";
        }
      }
    } else {
      String m = e.getMessage();
      return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
    String file = e instanceof FileSystemException f ? f.getFile() : null;
    if (file == null || subject != null && Path.of(file).equals(subject)) {
      return words;
    }
    return words + ": " + file;
  }

  /** The nearest existing ancestor of {@code path} (or itself) when it is not a directory. */
  private static Path fileNotDirectory(Path path) {
    for (Path p = path.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        return Files.isDirectory(p) ? null : p;
      }
    }
    return null;
  }

  /** "Read-only file system" as "read-only file system"; "ENOTCONN" stays as it is. */
  private static String lowerFirst(String s) {
    if (s.length() > 1 && Character.isUpperCase(s.charAt(0))
        && Character.isLowerCase(s.charAt(1))) {
      return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }
    return s;
  }
}
