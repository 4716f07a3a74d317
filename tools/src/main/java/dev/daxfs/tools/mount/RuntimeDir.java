package dev.daxfs.tools.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * Where a mount keeps its control socket, its record and its log: one directory per user, owner
 * only (0700). Root uses /run/daxfs; other users $XDG_RUNTIME_DIR/daxfs, or /tmp/daxfs-UID when
 * that is unset; DAXFS_RUNTIME_DIR overrides both (tests use it).
 *
 * <p>A mount's files are named after its mount point, so every command finds them from the
 * MOUNTPOINT argument alone: the path's readable part (slashes as dashes, cut to fit a socket
 * path) and a hash of the whole path, which keeps two mount points apart however alike.
 */
public final class RuntimeDir {

  /** Longest Unix socket path the kernel accepts (sun_path less its terminating NUL). */
  static final int MAX_SOCKET_PATH = 107;

  /** Longest readable part of a name. */
  private static final int MAX_READABLE = 48;

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  /** The directory. */
  private final Path dir;

  private RuntimeDir(Path dir) {
    this.dir = dir;
  }

  /** This user's runtime directory (not created). */
  public static RuntimeDir forCurrentUser() {
    String override = System.getenv("DAXFS_RUNTIME_DIR");
    if (override != null && !override.isEmpty()) {
      return new RuntimeDir(Path.of(override).toAbsolutePath());
    }
    long uid = uid();
    if (uid == 0) {
      return new RuntimeDir(Path.of("/run/daxfs"));
    }
    String xdg = System.getenv("XDG_RUNTIME_DIR");
    if (xdg != null && !xdg.isEmpty()) {
      return new RuntimeDir(Path.of(xdg, "daxfs"));
    }
    return new RuntimeDir(Path.of("/tmp", "daxfs-" + uid));
  }

  /** A runtime directory at {@code dir} (tests). */
  static RuntimeDir at(Path dir) {
    return new RuntimeDir(dir.toAbsolutePath());
  }

  public Path path() {
    return dir;
  }

  /**
   * Creates the directory if needed and checks that only this user can enter it.
   *
   * @throws IOException with one sentence when it cannot be made private
   */
  public void prepare() throws IOException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException("cannot create the runtime directory " + dir + ": "
          + FileErrors.reason(e, dir), e);
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("runtime directory " + dir + " is not a directory");
    }
    Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (((Number) owner).longValue() != uid()) {
      throw new IOException("runtime directory " + dir + " belongs to uid " + owner
          + ", not to this user");
    }
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
  }

  /** The files of the mount on {@code mountpoint} (an absolute, real path). */
  public MountFiles files(Path mountpoint) {
    String name = name(mountpoint, MAX_SOCKET_PATH - dir.toString().length() - 1 - 5);
    return new MountFiles(dir.resolve(name + ".sock"), dir.resolve(name + ".json"),
        dir.resolve(name + ".log"));
  }

  /**
   * The control socket, record and log of one mount.
   *
   * @param socket the control socket
   * @param record the mount's record (JSON: mount point, pid, region, log)
   * @param log the detached process's output
   */
  public record MountFiles(Path socket, Path record, Path log) {}

  /** The file name stem for {@code mountpoint}, at most {@code budget} characters. */
  static String name(Path mountpoint, int budget) {
    String full = mountpoint.toString();
    String hash = sha256(full).substring(0, 12);
    StringBuilder readable = new StringBuilder();
    for (char c : full.toCharArray()) {
      readable.append(Character.isLetterOrDigit(c) || c == '.' || c == '_' ? c : '-');
    }
    String r = readable.toString().replaceAll("-+", "-").replaceAll("^-|-$", "");
    if (r.startsWith(".")) {
      r = "_" + r.substring(1);
    }
    int room = Math.min(MAX_READABLE, budget - hash.length() - 1);
    if (room < 1) {
      throw new IllegalStateException("the runtime directory's path is too long for a control "
          + "socket (the kernel allows " + MAX_SOCKET_PATH + " bytes): set DAXFS_RUNTIME_DIR "
          + "to a shorter directory");
    }
    if (r.length() > room) {
      r = r.substring(r.length() - room);
    }
    return (r.isEmpty() ? "root" : r) + "-" + hash;
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** This process's effective uid, read from /proc (the JDK does not expose it). */
  public static long uid() {
    long id = statusId("Uid:");
    if (id >= 0) {
      return id;
    }
    return "root".equals(System.getProperty("user.name")) ? 0 : -1;
  }

  /** This process's effective gid, read from /proc; -1 if unknown. */
  public static long gid() {
    return statusId("Gid:");
  }

  private static long statusId(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Unknown.
    }
    return -1;
  }
}
