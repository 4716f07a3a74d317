package dev.daxfs.tools;

import static dev.daxfs.tools.Cli.daxfs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.FileHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code daxfs inspect} in process against a filesystem built through the Java API: the
 * summary in text and JSON, one inode by number and by path, and the block map checked against
 * where the data really is on the region.
 */
class InspectCommandTest {

  private static final int PAGE = 4096;

  @TempDir Path tmp;

  private Path region;

  /** Inode number of /a/b. */
  private long ino;

  /** Free blocks the mounted filesystem reported just before its clean unmount. */
  private long freeBefore;

  /** Page 0 and page 2 of /a/b as last written; page 1 is a hole. */
  private final byte[] page0 = page(7);
  private final byte[] page2 = page(9);

  private static byte[] page(int seed) {
    byte[] b = new byte[PAGE];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 13 + seed * 101 + (i >>> 7));
    }
    return b;
  }

  @BeforeEach
  void buildAFilesystem() {
    region = tmp.resolve("region");
    daxfs("mkfs", region.toString(), "--size", "16M").succeeds();
    Cli.mounted(region, fs -> {
      Cred root = Cred.root();
      fs.mkdir(root, "/a", 0755);
      FileHandle h = fs.open(root, "/a/b", FileHandle.O_CREAT | FileHandle.O_RDWR, 0640);
      // Page 0 is written twice: copy-on-write leaves the first version in another block,
      // which the block map must no longer name.
      fs.write(root, h, 0, ByteBuffer.wrap(page(1)));
      fs.write(root, h, 0, ByteBuffer.wrap(page0));
      fs.write(root, h, 2 * PAGE, ByteBuffer.wrap(page2));
      ino = h.ino();
      fs.release(h);
      fs.setxattr(root, ino, "user.k", new byte[] {1}, 0);
      freeBefore = fs.statfs().freeBlocks();
    });
  }

  @Test
  void theSummaryInJsonDescribesSuperblockInodeTableAndFreeSpace() {
    JsonNode j = daxfs("inspect", region.toString(), "--json").succeeds().json();
    assertEquals(region.toString(), j.get("region").asText());
    JsonNode sb = j.get("superblock");
    assertEquals("primary", sb.get("copy").asText());
    assertEquals(1, sb.get("version").asInt());
    assertEquals(16 << 20, sb.get("region_bytes").asLong());
    assertEquals(4096, sb.get("blocks").asLong());
    assertEquals(PAGE, sb.get("block_size").asInt());
    assertEquals("clean", sb.get("state").asText());
    assertEquals(1, sb.get("mount_count").asLong());
    assertTrue(sb.get("checkpoint_block").asLong() >= 11, sb.toString());
    assertEquals(8, j.get("journal").size());
    for (JsonNode lane : j.get("journal")) {
      assertEquals("idle", lane.get("state").asText(), lane.toString());
    }
    JsonNode table = j.get("inode_table");
    assertEquals(1, table.get("chunks").asLong());
    assertEquals(3, table.get("used").asLong(), "root, /a and /a/b");
    assertEquals(31 - 3, table.get("free").asLong());
    assertEquals(0, table.get("orphans").asLong());
    assertEquals(0, table.get("damaged").size());
    JsonNode free = j.get("free_space");
    assertEquals("allocator checkpoint of the last clean unmount", free.get("source").asText());
    assertEquals(freeBefore, free.get("free_blocks").asLong(),
        "free blocks as the mounted filesystem counted them");
    assertEquals(freeBefore * PAGE, free.get("free_bytes").asLong());
  }

  @Test
  void theSummaryInTextHasTheSameFigures() {
    String out = daxfs("inspect", region.toString()).succeeds().out();
    for (String line : new String[] {"region: " + region, "superblock:", "  blocks: 4096",
        "  state: clean", "journal:", "  - lane=7 state=idle", "inode table:", "  used: 3",
        "free space:", "  free blocks: " + freeBefore}) {
      assertTrue(out.lines().anyMatch(l -> l.equals(line)), "'" + line + "' in:\n" + out);
    }
  }

  @Test
  void theBlockMapNamesTheBlocksThatHoldTheDataWithNullForTheHole() {
    JsonNode inode = daxfs("inspect", region.toString(), "--path", "/a/b", "--json")
        .succeeds().json().get("inode");
    assertEquals(ino, inode.get("ino").asLong());
    assertEquals("regular", inode.get("type").asText());
    assertEquals("0100640", inode.get("mode").asText());
    assertEquals(3L * PAGE, inode.get("size").asLong());
    JsonNode blocks = inode.get("blocks");
    assertTrue(blocks.isArray(), inode.toString());
    assertEquals(3, blocks.size(), blocks.toString());
    assertTrue(blocks.get(1).isNull(), "page 1 is a hole: " + blocks);
    long b0 = blocks.get(0).asLong();
    long b2 = blocks.get(2).asLong();
    assertNotEquals(b0, b2);
    // The blocks really hold the file's pages: the region at block * 4096 is the data.
    assertArrayEquals(page0, Cli.readRegion(region, b0 * PAGE, PAGE), "page 0 at block " + b0);
    assertArrayEquals(page2, Cli.readRegion(region, b2 * PAGE, PAGE), "page 2 at block " + b2);
    // ...and agree with the log the block map was built from: the newest extent of each page.
    List<Long> extentBlocks = new ArrayList<>();
    for (JsonNode rec : inode.get("log").get("records")) {
      if (rec.get("type").asText().equals("extent")) {
        extentBlocks.add(rec.get("first_block").asLong());
      }
    }
    assertEquals(3, extentBlocks.size(), inode.get("log").toString());
    assertEquals(List.of(b0, b2), extentBlocks.subList(1, 3));
    assertEquals(2, inode.get("mapped_pages").asLong());
    assertEquals("[\"user.k\"]", inode.get("xattrs").toString());
  }

  @Test
  void anInodeByNumberPrintsItsLogAndBlockMapAsText() {
    Cli.Run byPath = daxfs("inspect", region.toString(), "--path", "/a/b", "--json");
    Cli.Run byNumber = daxfs("inspect", region.toString(), "--inode", String.valueOf(ino),
        "--json").succeeds();
    assertEquals(byPath.json(), byNumber.json(), "--inode and --path name the same inode");
    long b0 = byNumber.json().get("inode").get("blocks").get(0).asLong();
    long b2 = byNumber.json().get("inode").get("blocks").get(2).asLong();

    String out = daxfs("inspect", region.toString(), "--inode", String.valueOf(ino))
        .succeeds().out();
    assertTrue(out.contains("\ninode:\n  ino: " + ino + "\n"), out);
    assertTrue(out.contains("\n  blocks: [" + b0 + ", null, " + b2 + "]\n"), out);
    assertTrue(out.contains("\n  log:\n"), out);
    assertTrue(out.lines().anyMatch(l -> l.contains(" type=init ") && l.contains("mode=0100640")),
        out);
    assertTrue(out.lines().anyMatch(l -> l.contains(" type=extent first_page=2 first_block="
        + b2 + " ")), out);
    assertTrue(out.lines().anyMatch(l -> l.contains(" type=xattr-set name=user.k ")), out);
  }

  @Test
  void aDirectoryListsItsEntries() {
    JsonNode inode = daxfs("inspect", region.toString(), "--path", "/a", "--json").succeeds()
        .json().get("inode");
    assertEquals("directory", inode.get("type").asText());
    JsonNode entries = inode.get("entries");
    assertEquals(1, entries.size(), entries.toString());
    assertEquals("b", entries.get(0).get("name").asText());
    assertEquals(ino, entries.get(0).get("ino").asLong());
    assertEquals(1, inode.get("parent").asLong());
  }

  @Test
  void errorsAreOneSentence() {
    daxfs("inspect", tmp.resolve("missing").toString())
        .failsInOneSentence("region " + tmp.resolve("missing") + " does not exist");
    daxfs("inspect", region.toString(), "--inode", "999").failsInOneSentence("no inode 999");
    daxfs("inspect", region.toString(), "--inode", "5").failsInOneSentence("inode 5",
        "not in use");
    daxfs("inspect", region.toString(), "--inode", "x").failsInOneSentence("x");
    daxfs("inspect", region.toString(), "--path", "/a/nope")
        .failsInOneSentence("/a/nope does not exist");
    daxfs("inspect", region.toString(), "--path", "/a/b/c")
        .failsInOneSentence("is not a directory");
    Path zeroes = tmp.resolve("zeroes");
    daxfs("mkfs", zeroes.toString(), "--size", "16M").succeeds();
    Cli.writeRegion(zeroes, 0, new byte[2 * PAGE]);
    daxfs("inspect", zeroes.toString()).failsInOneSentence("superblock", "bad magic");
  }
}
