package dev.daxfs.pmem;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens region files: the one entry point for mkfs, mount, fsck and inspect.
 *
 * <p>A region file is at least {@link #MIN_SIZE} bytes and a multiple of {@link
 * PmemRegion#PAGE_SIZE}. It is created sparse on demand, so a large region costs memory only
 * where it is written. Every failure is a {@link RegionException} whose message is one sentence
 * naming the file.
 *
 * <p>Which memory backs the region ({@link RegionOptions.Backend}): by default real pmem when the
 * file accepts a MAP_SYNC mapping (a file on a DAX filesystem), else an emulated region whose
 * {@link PmemRegion#describe()} says why real pmem was not used.
 */
public final class Regions {

  /** Where emulated regions live unless a path says otherwise: memory-backed, not persistent. */
  public static final Path DEFAULT_DIRECTORY = Path.of("/dev/shm");

  /** The smallest region: room for superblocks, tables and a log, with a margin. */
  public static final long MIN_SIZE = Sizes.MiB;

  private Regions() {}

  /**
   * A region named on the command line: a bare name ({@code daxfs}) lives in {@link
   * #DEFAULT_DIRECTORY}; anything with a slash is a path.
   */
  public static Path resolve(String nameOrPath) {
    if (nameOrPath.isEmpty()) {
      throw new IllegalArgumentException("a region name must not be empty");
    }
    return nameOrPath.indexOf('/') < 0
        ? DEFAULT_DIRECTORY.resolve(nameOrPath)
        : Path.of(nameOrPath);
  }

  /** Opens (creating it first when the options say so) the region file at {@code path}. */
  public static PmemRegion open(Path path, RegionOptions options) throws RegionException {
    if (options.createSize().isPresent()) {
      checkRequestedSize(options.createSize().getAsLong());
    }
    if (options.expectedSize().isPresent()) {
      checkRequestedSize(options.expectedSize().getAsLong());
    }
    if (Files.isDirectory(path)) {
      throw new RegionException("region " + path + " is a directory, not a region file");
    }
    if (!Files.exists(path)) {
      if (options.createSize().isEmpty()) {
        throw new RegionException("region " + path + " does not exist");
      }
      create(path, options.createSize().getAsLong());
    }
    if (!Files.isRegularFile(path)) {
      throw new RegionException("region " + path + " is not a regular file");
    }
    if (!Files.isReadable(path)) {
      throw new RegionException("region " + path + " cannot be read: permission denied");
    }
    if (!options.readOnly() && !Files.isWritable(path)) {
      throw new RegionException(
          "region " + path + " is not writable: permission denied (open it read-only)");
    }
    RegionLock lock =
        options.exclusiveLock() ? RegionLock.acquire(path, options.readOnly()) : null;
    try {
      long size = fileSize(path);
      checkFileSize(path, size);
      if (options.expectedSize().isPresent() && options.expectedSize().getAsLong() != size) {
        throw new RegionException(
            "region " + path + " is " + Sizes.format(size) + ", not the requested "
                + Sizes.format(options.expectedSize().getAsLong()));
      }
      return map(path, size, options, lock);
    } catch (RegionException | RuntimeException | Error e) {
      if (lock != null) {
        lock.release();
      }
      throw e;
    }
  }

  /** Real pmem if the options allow it and the file maps with MAP_SYNC, else emulated. */
  private static PmemRegion map(Path path, long size, RegionOptions options, RegionLock lock)
      throws RegionException {
    String note = null;
    if (options.backend() != RegionOptions.Backend.EMULATED) {
      try {
        return SyncMappedRegion.map(
            path, size, options.readOnly(), options.syncMapper(), options.syncSegment(), lock);
      } catch (IOException | UnsupportedOperationException e) {
        String why = "a MAP_SYNC mapping was refused (" + reason(e) + ")";
        if (options.backend() == RegionOptions.Backend.REAL_PMEM) {
          throw new RegionException(
              "region " + path + " cannot be used as real pmem: " + why, e);
        }
        note = "not real pmem: " + why;
      }
    }
    String overcommit = overcommitNote(path, size);
    if (overcommit != null) {
      note = note == null ? overcommit : note + "; " + overcommit;
    }
    try {
      return EmulatedRegion.map(
          path, size, options.readOnly(), options.flushModel(), lock, note);
    } catch (IOException | RuntimeException e) {
      throw new RegionException("region " + path + " cannot be mapped: " + reason(e), e);
    }
  }

  /** A note when a sparse region is larger than what its filesystem has free, or null. */
  static String overcommitNote(Path path, long size) {
    try {
      long free = Files.getFileStore(path).getUsableSpace();
      if (size > free) {
        return "sparse beyond the " + Sizes.format(free) + " free on its filesystem: "
            + "stores fail once that fills";
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
    return null;
  }

  private static void checkRequestedSize(long size) throws RegionException {
    if (size < MIN_SIZE) {
      throw new RegionException(
          "a region must be at least " + Sizes.format(MIN_SIZE) + ", not " + Sizes.format(size));
    }
    if (size % PmemRegion.PAGE_SIZE != 0) {
      throw new RegionException(
          "a region size must be a multiple of 4 KiB, not " + Sizes.format(size));
    }
  }

  private static void checkFileSize(Path path, long size) throws RegionException {
    if (size < MIN_SIZE) {
      throw new RegionException(
          "region " + path + " is " + Sizes.format(size) + "; a region is at least "
              + Sizes.format(MIN_SIZE));
    }
    if (size % PmemRegion.PAGE_SIZE != 0) {
      throw new RegionException(
          "region " + path + " is " + Sizes.format(size) + ", not a multiple of 4 KiB");
    }
  }

  private static long fileSize(Path path) throws RegionException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return ch.size();
    } catch (AccessDeniedException e) {
      throw new RegionException("region " + path + " cannot be read: permission denied", e);
    } catch (IOException e) {
      throw new RegionException("region " + path + " cannot be read: " + reason(e), e);
    }
  }

  /**
   * Creates a sparse file of {@code size} bytes, unless another process created it first (then
   * the caller opens theirs). The file is made full-size under a temporary name and then linked
   * into place, so a crash never leaves a half-made region behind under the real name.
   *
   * <p>A region may be larger than the space its directory has free (a 1 TiB region that holds
   * little is the point of a sparse file); {@link #overcommitNote} then says so in {@code
   * describe()}, because a store to a page the filesystem cannot back fails.
   */
  private static void create(Path path, long size) throws RegionException {
    Path dir = path.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new RegionException(
          "cannot create region " + path + ": directory " + dir + " does not exist");
    }
    Path temp;
    try {
      temp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".creating");
    } catch (AccessDeniedException e) {
      throw new RegionException(
          "cannot create region " + path + ": permission denied in " + dir, e);
    } catch (IOException e) {
      throw new RegionException("cannot create region " + path + ": " + reason(e), e);
    }
    try {
      try (RandomAccessFile f = new RandomAccessFile(temp.toFile(), "rw")) {
        f.setLength(size);
      }
      publish(temp, path);
    } catch (FileAlreadyExistsException e) {
      // Another process created it meanwhile: open theirs.
    } catch (IOException e) {
      String why = reason(e);
      throw new RegionException(
          why.contains("No space left")
              ? "not enough space for a " + Sizes.format(size) + " region in " + dir
              : "cannot create region " + path + ": " + why,
          e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // A stray hidden temporary file; the outcome above is what matters.
      }
    }
  }

  /** Gives the finished file {@code temp} its real name, never replacing an existing file. */
  private static void publish(Path temp, Path path) throws IOException {
    try {
      Files.createLink(path, temp);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | FileSystemException e) {
      // No hard links here: a rename that refuses to replace is the next best thing.
      Files.move(temp, path);
    }
  }

  /** An exception's message without a trailing full stop, or its type if it has none. */
  static String reason(Throwable e) {
    String m = e.getMessage();
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName();
    }
    m = m.strip();
    return m.endsWith(".") ? m.substring(0, m.length() - 1) : m;
  }
}
