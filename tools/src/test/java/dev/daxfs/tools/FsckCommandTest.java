package dev.daxfs.tools;

import static dev.daxfs.tools.Cli.daxfs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.FileHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code daxfs fsck} in process: the e2fsck exit codes, what --repair says it fixed, and the
 * JSON report, on scratch regions damaged behind the filesystem's back (byte edits of the
 * region file at offsets from docs/FORMAT.md and from {@code daxfs inspect}).
 */
class FsckCommandTest {

  /** Superblock offset of the allocator checkpoint's first block (docs/FORMAT.md). */
  private static final long SB_CHECKPOINT_BLOCK = 128;

  /** Where a checkpoint's free extents start within its first block. */
  private static final long CHECKPOINT_EXTENTS = 64;

  @TempDir Path tmp;

  private Path region;

  @BeforeEach
  void buildAFilesystem() {
    region = tmp.resolve("region");
    daxfs("mkfs", region.toString(), "--size", "16M").succeeds();
    Cli.mounted(region, fs -> {
      Cred root = Cred.root();
      fs.mkdir(root, "/d", 0755);
      FileHandle h = fs.open(root, "/d/a", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
      fs.write(root, h, 0, ByteBuffer.wrap(new byte[9000]));
      fs.release(h);
      fs.release(fs.open(root, "/d/keep", FileHandle.O_CREAT | FileHandle.O_RDWR, 0644));
    });
  }

  @Test
  void aCleanFilesystemExitsZeroInTextAndJson() {
    Cli.Run text = daxfs("fsck", region.toString()).succeeds();
    assertTrue(text.out().strip().startsWith(region + ": clean; "), text.out());
    assertTrue(text.out().contains("regular_files=2"), text.out());
    JsonNode j = daxfs("fsck", region.toString(), "--json").succeeds().json();
    assertEquals(0, j.get("errors").asInt());
    assertTrue(j.get("problems").isArray());
    assertEquals(0, j.get("problems").size());
    assertEquals(0, j.get("exit_code").asInt());
    assertEquals(region.toString(), j.get("region").asText());
    assertFalse(j.has("fixed"), "no repair ran");
  }

  @Test
  void aDamagedCheckpointExitsFourThenRepairSaysFixedAndExitsOne() {
    long block = Cli.readLong(region, SB_CHECKPOINT_BLOCK);
    assertTrue(block >= 11, "a clean unmount left a checkpoint: " + block);
    long at = block * 4096 + CHECKPOINT_EXTENTS;
    byte[] b = Cli.readRegion(region, at, 1);
    b[0] ^= 0x10;
    Cli.writeRegion(region, at, b);

    Cli.Run check = daxfs("fsck", region.toString());
    assertEquals(4, check.exit(), check.out() + check.err());
    assertTrue(check.out().contains("error (repairable): allocator checkpoint: "), check.out());
    assertTrue(check.out().contains(": 1 error(s) left; "), check.out());

    JsonNode j = daxfs("fsck", region.toString(), "--json").json();
    assertEquals(1, j.get("errors").asInt(), j.toString());
    assertEquals(4, j.get("exit_code").asInt());
    JsonNode p = j.get("problems").get(0);
    assertEquals("allocator", p.get("kind").asText());
    assertEquals("allocator checkpoint", p.get("where").asText());
    assertTrue(p.get("fixable").asBoolean());
    assertFalse(p.get("message").asText().isEmpty());

    Cli.Run repair = daxfs("fsck", region.toString(), "--repair");
    assertEquals(1, repair.exit(), repair.out() + repair.err());
    assertTrue(repair.out().startsWith("fixed: allocator checkpoint: "), repair.out());
    assertTrue(repair.out().contains(": 1 error(s) corrected; "), repair.out());
    daxfs("fsck", region.toString()).succeeds();
  }

  @Test
  void aDanglingEntryIsRepairedAndTheJsonListsWhatWasFixed() {
    long slot = daxfs("inspect", region.toString(), "--path", "/d/a", "--json").succeeds()
        .json().get("inode").get("slot_offset").asLong();
    Cli.writeRegion(region, slot, new byte[8]); // the valid word: the slot reads as free

    JsonNode j = daxfs("fsck", region.toString(), "--json").json();
    assertEquals(4, j.get("exit_code").asInt(), j.toString());
    assertTrue(j.get("errors").asInt() >= 1, j.toString());
    boolean named = false;
    for (JsonNode p : j.get("problems")) {
      named |= p.get("kind").asText().equals("dangling")
          && p.get("where").asText().startsWith("entry \"a\" of directory ");
    }
    assertTrue(named, j.toString());

    Cli.Run repair = daxfs("fsck", region.toString(), "--repair", "--json");
    assertEquals(1, repair.exit(), repair.out() + repair.err());
    JsonNode r = repair.json();
    assertEquals(0, r.get("errors").asInt(), r.toString());
    assertEquals(1, r.get("exit_code").asInt());
    boolean fixed = false;
    for (JsonNode p : r.get("fixed")) {
      fixed |= p.get("kind").asText().equals("dangling")
          && p.get("where").asText().startsWith("entry \"a\" of directory ");
    }
    assertTrue(fixed, r.toString());
    daxfs("fsck", region.toString()).succeeds();
    Cli.mounted(region, fs -> {
      ErrnoException e = org.junit.jupiter.api.Assertions.assertThrows(ErrnoException.class,
          () -> fs.resolve(Cred.root(), "/d/a", true));
      assertEquals(Errno.ENOENT, e.errno());
      fs.resolve(Cred.root(), "/d/keep", true);
    });
  }

  @Test
  void damageRepairCannotFixExitsFourAndSaysSo() {
    long head = daxfs("inspect", region.toString(), "--path", "/d/a", "--json").succeeds()
        .json().get("inode").get("log").get("head_block").asLong();
    long at = head * 4096 + 64 + 20; // inside the first entry, behind its checksum
    byte[] b = Cli.readRegion(region, at, 1);
    b[0] ^= 0x5a;
    Cli.writeRegion(region, at, b);

    Cli.Run repair = daxfs("fsck", region.toString(), "--repair");
    assertEquals(4, repair.exit(), repair.out() + repair.err());
    assertFalse(repair.out().contains("fixed: "), repair.out());
    assertTrue(repair.out().lines().anyMatch(l -> l.startsWith("error: inode ")), repair.out());
    assertTrue(repair.out().contains(" error(s) left; "), repair.out());
    assertEquals(4, daxfs("fsck", region.toString()).exit());
  }

  @Test
  void aCheckThatCannotRunExitsEightInOneSentence() {
    Cli.Run r = daxfs("fsck", tmp.resolve("missing").toString())
        .failsInOneSentence("does not exist");
    assertEquals(8, r.exit());
  }
}
