package dev.daxfs.tools.mount;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * What a running mount writes into its runtime directory so that later commands can find it:
 * which process serves it, which region it uses, where its socket and log are. Written once the
 * mount is live and removed when it ends; a record whose process is gone marks a mount that died
 * (kill -9) and left its FUSE mount behind.
 *
 * @param mountpoint the mount point (absolute, real)
 * @param pid the process serving it
 * @param region the region file
 * @param socket the control socket
 * @param log the log file of a detached mount, or null in the foreground
 * @param startedMillis when the mount went live, ms since the epoch
 */
public record MountRecord(
    String mountpoint, long pid, String region, String socket, String log, long startedMillis) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * True while the serving process runs. A pid reused by another program (the record outlived
   * its process, as after a reboot of a machine whose runtime directory is kept) does not count.
   */
  public boolean alive() {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return false;
    }
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
      return cmdline.contains("dev.daxfs.tools.Main");
    } catch (IOException e) {
      // Gone meanwhile, or not ours to read: what the process table says stands.
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
  }

  /** Writes the record atomically (a reader never sees half of it). */
  void write(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    JSON.writeValue(tmp.toFile(), this);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The record at {@code file}, or empty if there is none or it cannot be read. */
  public static Optional<MountRecord> read(Path file) {
    try {
      return Optional.of(JSON.readValue(file.toFile(), MountRecord.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
