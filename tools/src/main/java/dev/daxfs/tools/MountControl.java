package dev.daxfs.tools;

import dev.daxfs.pmem.Sizes;
import dev.daxfs.tools.control.ControlClient;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.mount.MountPoints;
import dev.daxfs.tools.mount.RuntimeDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * How the commands that act on a mounted daxfs ({@code stat}, {@code dma}, {@code lease}) reach
 * it: its control socket, found from the mount point, and the files they name, translated into
 * paths from the mount's root.
 */
final class MountControl {
  private MountControl() {}

  /**
   * Connects to the control socket of the daxfs mounted on {@code mountpoint}.
   *
   * @throws IllegalStateException with one sentence when nothing answers there
   */
  static ControlClient connect(Path mountpoint) throws IOException {
    Path mp = MountPoints.canonical(mountpoint);
    Path socket = RuntimeDir.forCurrentUser().files(mp).socket();
    try {
      return ControlClient.connect(socket);
    } catch (IOException e) {
      throw new IllegalStateException("no daxfs is mounted on " + mp + " (nothing answers on "
          + socket + ")");
    } catch (ControlException e) {
      throw new IllegalStateException(e.getMessage());
    }
  }

  /**
   * A file of the mount as the mount process names it.
   *
   * @param path from the mount's root, starting with '/'
   * @param ino the inode number the kernel shows for it (daxfs's own)
   */
  record MountFile(String path, long ino) {}

  /**
   * The file {@code file} (relative to the working directory, symlinks followed) as a path from
   * the root of the daxfs mounted on {@code mountpoint}.
   *
   * @throws IllegalArgumentException with one sentence when it does not exist or lies elsewhere
   */
  static MountFile inside(Path mountpoint, Path file) throws IOException {
    Path mp = MountPoints.canonical(mountpoint);
    Path real;
    try {
      real = file.toRealPath();
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot reach " + file + ": " + e.getMessage());
    }
    if (!real.startsWith(mp)) {
      throw new IllegalArgumentException(file + " is not inside the daxfs mounted on " + mp);
    }
    String rel = mp.relativize(real).toString();
    long ino = ((Number) Files.getAttribute(real, "unix:ino")).longValue();
    return new MountFile("/" + rel, ino);
  }

  /** A control request failed: its sentence, as the command prints it. */
  static IllegalStateException failed(ControlException e) {
    return new IllegalStateException(e.getMessage());
  }

  /** Reads byte counts such as 4096, 64K or 1M (powers of 1024). */
  static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Sizes.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
