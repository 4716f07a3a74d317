package dev.daxfs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionException;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Runs {@code daxfs} commands in process, as a user would type them, and reads and damages
 * region files behind the filesystem's back for the command-line tests.
 */
final class Cli {
  private Cli() {}

  /** What one command printed and returned. */
  record Run(int exit, String out, String err) {
    JsonNode json() {
      try {
        return Json.mapper().readTree(out);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + out, e);
      }
    }

    /** The run failed with exactly one line on stderr, a sentence, and no stack trace. */
    Run failsInOneSentence(String... fragments) {
      assertNotEquals(0, exit, "should have failed; out: " + out);
      String e = err.strip();
      assertEquals(1, e.lines().count(), "one line on stderr:\n" + err);
      assertTrue(e.endsWith("."), "a sentence: " + e);
      assertFalse(e.contains("Exception") || e.contains("\tat "), "no stack trace: " + e);
      for (String f : fragments) {
        assertTrue(e.contains(f), "'" + f + "' in: " + e);
      }
      return this;
    }

    /** The run succeeded and printed nothing on stderr. */
    Run succeeds() {
      assertEquals(0, exit, "exit status; stderr: " + err + "\nstdout: " + out);
      return this;
    }
  }

  static Run daxfs(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(exit, out.toString(), err.toString());
  }

  /** Mounts the filesystem on {@code region}, runs {@code work}, and unmounts it cleanly. */
  static void mounted(Path region, Consumer<DaxFs> work) {
    try (PmemRegion r = Regions.open(region, RegionOptions.existing().withExclusiveLock())) {
      DaxFs fs = DaxFs.mount(r, MountOptions.defaults());
      try {
        work.accept(fs);
      } finally {
        fs.unmount();
      }
    } catch (RegionException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** {@code len} bytes of the region file at {@code offset}, read with plain file I/O. */
  static byte[] readRegion(Path region, long offset, int len) {
    try (FileChannel ch = FileChannel.open(region, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(len);
      while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
        // keep reading
      }
      return b.array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The little-endian 8-byte word of the region file at {@code offset}. */
  static long readLong(Path region, long offset) {
    return ByteBuffer.wrap(readRegion(region, offset, 8)).order(ByteOrder.LITTLE_ENDIAN)
        .getLong();
  }

  /** Overwrites bytes of the region file, as damage on the media would. */
  static void writeRegion(Path region, long offset, byte[] bytes) {
    try (FileChannel ch = FileChannel.open(region, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b, offset + b.position());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
