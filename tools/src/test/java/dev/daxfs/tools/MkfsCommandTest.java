package dev.daxfs.tools;

import static dev.daxfs.tools.Cli.daxfs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.pmem.Sizes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code daxfs mkfs} in process: sizes, sparse regions, refusals, and the features it sets. */
class MkfsCommandTest {

  @TempDir Path tmp;

  @Test
  void formatsSixteenMibAndTheResultMounts() {
    Path region = tmp.resolve("r16");
    Cli.Run r = daxfs("mkfs", region.toString(), "--size", "16M").succeeds();
    assertTrue(r.out().startsWith("formatted " + region + ": 16 MiB, 4096 blocks of 4 KiB"),
        r.out());
    assertEquals(16 * Sizes.MiB, region.toFile().length());
    JsonNode sb = daxfs("inspect", region.toString(), "--json").succeeds().json()
        .get("superblock");
    assertEquals(4096, sb.get("blocks").asLong());
    assertEquals("clean", sb.get("state").asText());
    assertFalse(sb.get("data_checksums").asBoolean());
    Cli.mounted(region, fs -> assertEquals(2, fs.readdir(Cred.root(), fs.rootIno(), 0, 10)
        .size(), "an empty root: . and .."));
  }

  @Test
  void formatsATwoTibSparseRegionWritingOnlyItsFixedBlocks() throws Exception {
    Path region = tmp.resolve("r2t");
    JsonNode j = daxfs("mkfs", region.toString(), "--size", "2T", "--json").succeeds().json();
    assertEquals(2 * Sizes.TiB, j.get("bytes").asLong());
    assertEquals(2 * Sizes.TiB / 4096, j.get("blocks").asLong());
    assertEquals(2 * Sizes.TiB, Files.size(region));
    // mkfs touches the superblocks, the journal, the first inode-table chunk and the root's
    // log page: twelve blocks. Anything proportional to the size would be gigabytes here.
    long allocated = allocatedBytes(region);
    assertTrue(allocated <= 1 * Sizes.MiB, "a 2 TiB region after mkfs occupies " + allocated
        + " bytes on disk");
    JsonNode in = daxfs("inspect", region.toString(), "--json").succeeds().json();
    assertEquals(2 * Sizes.TiB / 4096, in.get("superblock").get("blocks").asLong());
    assertEquals(2 * Sizes.TiB / 4096 - 12, in.get("free_space").get("free_blocks").asLong(),
        "every block but the twelve fixed ones is free");
  }

  @Test
  void refusesRegionsTooSmallInOneSentence() throws IOException {
    Path region = tmp.resolve("tiny");
    daxfs("mkfs", region.toString(), "--size", "8M")
        .failsInOneSentence("needs at least 16 MiB", "8M");
    assertFalse(Files.exists(region), "nothing is created for a refused size");
    Path small = tmp.resolve("small");
    try (var f = new java.io.RandomAccessFile(small.toFile(), "rw")) {
      f.setLength(4 * Sizes.MiB);
    }
    daxfs("mkfs", small.toString()).failsInOneSentence("at least 16 MiB", "4194304 bytes");
    assertArrayEquals(new byte[8192], Cli.readRegion(small, 0, 8192),
        "a refused region is left as it was");
  }

  @Test
  void refusesABadSizeStringInOneSentence() {
    Path region = tmp.resolve("bad");
    daxfs("mkfs", region.toString(), "--size", "12Q").failsInOneSentence("'12Q' is not a size");
    daxfs("mkfs", region.toString(), "--size", "20000001")
        .failsInOneSentence("multiple of 4 KiB");
    assertFalse(Files.exists(region));
  }

  @Test
  void refusesAnExistingFilesystemWithoutForceAndKeepsItsFiles() {
    Path region = tmp.resolve("keep");
    daxfs("mkfs", region.toString(), "--size", "16M").succeeds();
    byte[] data = "still here".getBytes(StandardCharsets.UTF_8);
    Cli.mounted(region, fs -> {
      FileHandle h = fs.open(Cred.root(), "/f", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
      fs.write(Cred.root(), h, 0, ByteBuffer.wrap(data));
      fs.release(h);
    });
    daxfs("mkfs", region.toString()).failsInOneSentence("already holds a daxfs filesystem",
        "--force");
    Cli.mounted(region, fs -> assertEquals(data.length,
        fs.resolve(Cred.root(), "/f", true).size(), "the refused mkfs changed nothing"));

    daxfs("mkfs", region.toString(), "--force").succeeds();
    Cli.mounted(region, fs -> assertEquals(2, fs.readdir(Cred.root(), fs.rootIno(), 0, 10)
        .size(), "--force formats it: an empty root"));
  }

  @Test
  void dataChecksumsAreAFeatureOfTheFilesystem() {
    Path on = tmp.resolve("on");
    Cli.Run r = daxfs("mkfs", on.toString(), "--size", "16M", "--data-checksums").succeeds();
    assertTrue(r.out().contains("data checksums on"), r.out());
    assertTrue(daxfs("inspect", on.toString(), "--json").succeeds().json().get("superblock")
        .get("data_checksums").asBoolean());
    Cli.mounted(on, fs -> assertTrue(fs.dataChecksums()));

    Path off = tmp.resolve("off");
    daxfs("mkfs", off.toString(), "--size", "16M").succeeds();
    Cli.mounted(off, fs -> assertFalse(fs.dataChecksums()));
  }

  /** Bytes the file occupies on its filesystem, as stat(1) counts them. */
  private static long allocatedBytes(Path file) throws Exception {
    Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), out);
    String[] f = out.split(" ");
    return Long.parseLong(f[0]) * Long.parseLong(f[1]);
  }
}
