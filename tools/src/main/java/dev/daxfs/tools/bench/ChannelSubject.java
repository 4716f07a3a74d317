package dev.daxfs.tools.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.io.InputStream;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.daxfs.pmem.Regions;
import java.nio.file.FileSystem;

/**
 * A filesystem reached through NIO: positional reads and writes on one FileChannel, creates
 * through {@code FileChannel.open(CREATE_NEW, WRITE)}, close and {@code Files.delete}. Jimfs
 * (Google's in-memory filesystem, in this JVM's heap) and the kernel's tmpfs (/dev/shm,
 * through system calls) are both measured this way.
 */
final class ChannelSubject implements FsSubject {

  /** The JSON name. */
  private final String name;

  /** What backs it, for the table. */
  private final String description;

  /** The file of the 4 KiB random operations, open read-write. */
  private final FileChannel randomFile;

  /** The file of the 1 MiB sequential operations, open read-write. */
  private final FileChannel sequentialFile;

  /** Where creates happen. */
  private final Path dir;

  /** The paths creates use, built once. */
  private final Path[] names = new Path[FsWorkload.NAMES];

  /** Removes what the subject made (a directory tree, or a whole in-memory filesystem). */
  private final Cleanup cleanup;

  /** Positions in the workload. */
  private final FsWorkload.Cursor cursor;

  /** Sources and destinations of the transfers. */
  private final ByteBuffer src4k;

  private final ByteBuffer src1m;
  private final ByteBuffer dst4k;
  private final ByteBuffer dst1m;

  /** Folded read bytes. */
  private long sink;

  /** What closing the subject must undo besides its channel. */
  interface Cleanup {
    void run() throws IOException;
  }

  /**
   * Creates {@code root/random} and {@code root/sequential}, writes them in full, and prepares
   * {@code root/bench} for creates.
   *
   * @param direct whether transfers use direct buffers (what a system call wants: a heap
   *     buffer would be copied through a temporary direct one first)
   */
  ChannelSubject(String name, String description, Path root, boolean direct, FsWorkload w,
      Cleanup cleanup) throws IOException {
    this.name = name;
    this.description = description;
    this.cleanup = cleanup;
    this.cursor = new FsWorkload.Cursor(w);
    this.dir = Files.createDirectory(root.resolve("bench"));
    for (int i = 0; i < names.length; i++) {
      names[i] = dir.resolve(FsWorkload.name(i));
    }
    src4k = buffer(direct, FsWorkload.PAGE).put(w.pattern, 0, FsWorkload.PAGE);
    src1m = buffer(direct, FsWorkload.CHUNK).put(w.pattern);
    dst4k = buffer(direct, FsWorkload.PAGE);
    dst1m = buffer(direct, FsWorkload.CHUNK);
    randomFile = createFilled(root.resolve("random"), w);
    FileChannel seq;
    try {
      seq = createFilled(root.resolve("sequential"), w);
    } catch (IOException | RuntimeException e) {
      randomFile.close();
      throw e;
    }
    sequentialFile = seq;
  }

  private FileChannel createFilled(Path path, FsWorkload w) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      for (long off = 0; off < w.fileBytes; off += FsWorkload.CHUNK) {
        write(ch, off, src1m);
      }
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Jimfs with its Unix configuration, heap buffers (it copies into its own byte arrays). */
  static ChannelSubject jimfs(FsWorkload w) throws IOException {
    FileSystem fs = Jimfs.newFileSystem(Configuration.unix());
    try {
      return new ChannelSubject("jimfs", "jimfs " + jimfsVersion() + " (in-memory NIO "
          + "filesystem, Unix configuration)", fs.getPath("/"), false, w, fs::close);
    } catch (IOException | RuntimeException | Error e) {
      fs.close();
      throw e;
    }
  }

  /** The jimfs release on the class path, from its Maven metadata. */
  static String jimfsVersion() {
    try (InputStream in = Jimfs.class.getResourceAsStream(
        "/META-INF/maven/com.google.jimfs/jimfs/pom.properties")) {
      if (in == null) {
        return "(unknown version)";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "(unknown version)");
    } catch (IOException e) {
      return "(unknown version)";
    }
  }

  /** A fresh directory in /dev/shm, direct buffers. */
  static ChannelSubject tmpfs(FsWorkload w) throws IOException {
    Path root = Files.createTempDirectory(Regions.DEFAULT_DIRECTORY, "daxfs-bench-");
    try {
      return new ChannelSubject("tmpfs", "tmpfs: FileChannel over " + root
          + " (system calls)", root, true, w, () -> deleteTree(root));
    } catch (IOException | RuntimeException | Error e) {
      deleteTree(root);
      throw e;
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static ByteBuffer buffer(boolean direct, int bytes) {
    return direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public boolean supports(FsOp op) {
    return true;
  }

  @Override
  public void run(FsOp op, int n) throws IOException {
    switch (op) {
      case RAND_WRITE_4K -> {
        for (int i = 0; i < n; i++) {
          write(randomFile, cursor.nextRandom(), src4k);
        }
      }
      case RAND_READ_4K -> {
        for (int i = 0; i < n; i++) {
          read(randomFile, cursor.nextRandom(), dst4k, i);
        }
      }
      case SEQ_WRITE_1M -> {
        for (int i = 0; i < n; i++) {
          write(sequentialFile, cursor.nextSequential(), src1m);
        }
      }
      case SEQ_READ_1M -> {
        for (int i = 0; i < n; i++) {
          read(sequentialFile, cursor.nextSequential(), dst1m, i);
        }
      }
      case SEQ_READ_1M_SCATTERED -> {
        for (int i = 0; i < n; i++) {
          read(randomFile, cursor.nextSequential(), dst1m, i);
        }
      }
      case CREATE -> {
        for (int i = 0; i < n; i++) {
          Path p = names[cursor.nextName()];
          FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
          Files.delete(p);
        }
      }
      default -> throw new IllegalArgumentException("no operation " + op);
    }
  }

  private static void write(FileChannel ch, long off, ByteBuffer src) throws IOException {
    src.clear();
    long pos = off;
    while (src.hasRemaining()) {
      pos += ch.write(src, pos);
    }
  }

  private void read(FileChannel ch, long off, ByteBuffer dst, int i) throws IOException {
    dst.clear();
    long pos = off;
    while (dst.hasRemaining()) {
      int got = ch.read(dst, pos);
      if (got < 0) {
        throw new IOException(name + " reached end of file at " + pos + " while reading at "
            + off);
      }
      pos += got;
    }
    sink += dst.get(i & (FsWorkload.PAGE - 1));
  }

  @Override
  public long sink() {
    return sink;
  }

  @Override
  public void close() throws IOException {
    try {
      randomFile.close();
    } finally {
      try {
        sequentialFile.close();
      } finally {
        cleanup.run();
      }
    }
  }
}
