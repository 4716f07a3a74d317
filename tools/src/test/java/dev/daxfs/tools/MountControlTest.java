package dev.daxfs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How dma and lease name files of a mount, and their refusals when nothing is mounted. */
class MountControlTest {
  @TempDir Path tmp;

  @Test
  void aFileIsNamedFromTheMountsRootWithTheInodeTheKernelShows() throws Exception {
    Path mp = Files.createDirectories(tmp.resolve("mnt"));
    Path f = Files.writeString(Files.createDirectories(mp.resolve("d")).resolve("f"), "x");
    Files.createSymbolicLink(tmp.resolve("link"), f);
    MountControl.MountFile named = MountControl.inside(mp, tmp.resolve("link"));
    assertEquals("/d/f", named.path());
    assertEquals(((Number) Files.getAttribute(f, "unix:ino")).longValue(), named.ino());
  }

  @Test
  void filesOutsideTheMountOrMissingAreRefused() throws Exception {
    Path mp = Files.createDirectories(tmp.resolve("mnt"));
    Path outside = Files.writeString(tmp.resolve("out"), "x");
    Files.createSymbolicLink(mp.resolve("escape"), outside);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MountControl.inside(mp, mp.resolve("escape")));
    assertTrue(e.getMessage().endsWith("is not inside the daxfs mounted on " + mp),
        e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> MountControl.inside(mp, mp.resolve("nope")));
    assertEquals(mp.resolve("nope") + " does not exist", missing.getMessage());
  }

  private record Ran(int exit, String out, String err) {}

  private static Ran daxfs(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Ran(exit, out.toString(), err.toString());
  }

  @Test
  void withNothingMountedTheCommandsSaySoInOneSentence() throws Exception {
    Path mp = Files.createDirectories(tmp.resolve("idle"));
    Path f = Files.writeString(mp.resolve("f"), "x");
    for (String[] args : new String[][] {
        {"dma", mp.toString(), "list"},
        {"dma", mp.toString(), "stop", "1"},
        {"dma", mp.toString(), "start", "--device", "nic0", "--file", f.toString(),
            "--offset", "0", "--length", "4K"},
        {"lease", mp.toString(), "hold", f.toString(), "--offset", "0", "--length", "4K"}}) {
      Ran r = daxfs(args);
      assertEquals(1, r.exit(), r.err());
      String name = "daxfs " + args[0] + " " + args[2] + ": ";
      assertTrue(r.err().startsWith(name + "no daxfs is mounted on " + mp), r.err());
      assertEquals(1, r.err().strip().lines().count(), "one sentence: " + r.err());
      assertTrue(r.out().isEmpty());
    }
  }

  @Test
  void usageErrorsNameTheSubcommand() {
    Ran none = daxfs("dma", tmp.toString());
    assertEquals(Main.EXIT_USAGE, none.exit());
    assertTrue(none.err().startsWith("daxfs dma: say what to do with DMA streams"), none.err());
    Ran both = daxfs("dma", tmp.toString(), "start", "--device", "d", "--file", "f",
        "--offset", "0", "--length", "4K", "--read", "--write");
    assertEquals(Main.EXIT_USAGE, both.exit());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    Ran size = daxfs("lease", tmp.toString(), "hold", "f", "--offset", "0", "--length", "4Q");
    assertEquals(Main.EXIT_USAGE, size.exit());
    assertTrue(size.err().contains("'4Q' is not a size"), size.err());
    assertFalse(size.err().contains("\tat "));
  }
}
