package dev.daxfs.tools.mount;

import dev.daxfs.tools.fuse.FuseMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Mount-point paths: their one canonical spelling, and FUSE mounts whose server died. */
public final class MountPoints {
  private MountPoints() {}

  /**
   * The canonical spelling of {@code p}: absolute, with the directory part's symlinks resolved.
   * It does not touch {@code p} itself, so it works on a FUSE mount whose server is gone
   * (where stat fails) and on a path that does not exist yet.
   */
  public static Path canonical(Path p) throws IOException {
    Path abs = p.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null) {
      return abs;
    }
    Path dir = realOrSelf(parent);
    Path full = dir.resolve(abs.getFileName());
    if (Files.isSymbolicLink(full)) {
      return full.toRealPath();
    }
    return full;
  }

  private static Path realOrSelf(Path p) throws IOException {
    try {
      return p.toRealPath();
    } catch (NoSuchFileException e) {
      Path parent = p.getParent();
      return parent == null ? p : realOrSelf(parent).resolve(p.getFileName());
    }
  }

  /**
   * True when {@code p} is a FUSE mount whose server has gone ({@link
   * FuseMount#isDisconnected}): statfs fails with ENOTCONN ("Transport endpoint is not
   * connected"), even while the kernel still answers stat from its cache.
   */
  public static boolean isDeadFuseMount(Path p) {
    return FuseMount.isDisconnected(p);
  }

  /**
   * True when {@code p} is a daxfs mount made by this user whose process has gone: what a
   * killed mount leaves, recognisable even when its record is lost.
   */
  public static boolean isOwnDeadDaxfsMount(Path p) {
    long uid = RuntimeDir.uid();
    return uid >= 0 && isDeadFuseMount(p) && FuseMount.mountedBy(p, MountDaemon.FUSE_SUBTYPE) == uid;
  }

  /**
   * True when {@code p} is a mount point: its device differs from its parent's, or it is a dead
   * FUSE mount.
   */
  public static boolean isMountpoint(Path p) {
    if (isDeadFuseMount(p)) {
      return true;
    }
    try {
      Object dev = Files.getAttribute(p, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      Path parent = p.toAbsolutePath().getParent();
      if (parent == null) {
        return true;
      }
      Object parentDev = Files.getAttribute(parent, "unix:dev");
      return !dev.equals(parentDev);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Detaches the mount at {@code p} (lazily: programs still inside it keep what they have).
   * Used for the mount a killed daxfs process left behind.
   *
   * @throws IOException with one sentence when it could not be removed
   */
  public static void detach(Path p) throws IOException {
    List<String> cmd = RuntimeDir.uid() == 0
        ? List.of("umount", "-l", p.toString())
        : List.of("fusermount3", "-u", "-z", p.toString());
    String out;
    int rc;
    try {
      Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      if (!proc.waitFor(10, TimeUnit.SECONDS)) {
        proc.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not finish in 10 seconds");
      }
      out = new String(proc.getInputStream().readAllBytes()).strip();
      rc = proc.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while unmounting " + p);
    }
    if (rc != 0 && isMountpoint(p)) {
      throw new IOException("cannot remove the stale mount on " + p + ": "
          + String.join(" ", cmd) + " said: " + (out.isEmpty() ? "exit " + rc : out));
    }
  }
}
