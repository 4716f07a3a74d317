package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkloadParserTest {

  /** One line of every operation, in canonical form. */
  private static final String EVERY_OP = String.join("\n",
      "mkdir A 0700",
      "creat A/f 0600",
      "open A/f",
      "write A/f 0 100",
      "mwrite A/f 8 16",
      "msync A/f",
      "munmap A/f",
      "close A/f",
      "truncate A/f 4096",
      "falloc A/f keep_size|punch_hole 0 4096",
      "link A/f g",
      "symlink ../x A/s",
      "rename g h exchange",
      "mknod A/n chr",
      "chown A/f 1 2",
      "utimens A/f now 5",
      "unlink h",
      "rmdir A/d",
      "setxattr A/f user.a hello",
      "removexattr A/f user.a",
      "chmod A/f 04755",
      "fsync A/f",
      "fdatasync A",
      "sync",
      "clean all",
      "remount");

  @Test
  void everyOperationParsesAndPrintsBackTheSame() {
    List<Op> ops = WorkloadParser.parse("t", EVERY_OP);
    Set<OpKind> seen = EnumSet.noneOf(OpKind.class);
    String[] lines = EVERY_OP.split("\n");
    for (int i = 0; i < ops.size(); i++) {
      seen.add(ops.get(i).kind());
      assertEquals(i + 1, ops.get(i).line());
      String canonical = ops.get(i).toString();
      assertEquals(ops.get(i), WorkloadParser.parseLine("t", 1, canonical), canonical);
    }
    assertEquals(EnumSet.allOf(OpKind.class), seen);
    assertEquals("falloc A/f keep_size|punch_hole 0 4096", ops.get(9).toString());
    assertEquals(lines.length, ops.size());
  }

  @Test
  void argumentsAreReadAsTheLanguageSays() {
    Op w = line("write /A/f 4k 0x10");
    assertEquals("A/f", w.path());
    assertEquals(4096, w.offset());
    assertEquals(16, w.length());
    Op m = line("mkdir d");
    assertEquals(0755, m.mode());
    assertEquals(0644, line("creat f").mode());
    Op r = line("rename a b noreplace");
    assertEquals(Op.RENAME_NOREPLACE, r.mode());
    assertEquals("b", r.other());
    Op s = line("symlink /abs/target p");
    assertEquals("p", s.path());
    assertEquals("/abs/target", s.other());
    Op u = line("utimens f omit 123");
    assertEquals(Op.OMIT, u.atime());
    assertEquals(123, u.mtime());
    Op x = line("setxattr f user.big bytes=3000");
    assertNull(x.value());
    assertEquals(3000, x.valueSize());
    assertNull(line("clean all").path());
    assertEquals("", line("chmod / 0711").path());
  }

  @Test
  void theKernelsFallocateSpellingsAreAccepted() {
    assertEquals(Op.FALLOC_PUNCH_HOLE | Op.FALLOC_KEEP_SIZE,
        line("falloc f FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE 0 1").mode());
    assertEquals(Op.FALLOC_ZERO_RANGE | Op.FALLOC_KEEP_SIZE,
        line("falloc f zero_range|FALLOC_FL_KEEP_SIZE 0 1").mode());
    assertEquals(Op.FALLOC_COLLAPSE_RANGE, line("falloc f FALLOC_FL_COLLAPSE_RANGE 0 1")
        .mode());
    assertEquals(Op.FALLOC_INSERT_RANGE, line("falloc f insert_range 0 1").mode());
    assertEquals(0, line("falloc f 0 0 1").mode());
  }

  @Test
  void commentsAndBlankLinesAreIgnored() {
    List<Op> ops = WorkloadParser.parse("t", "# a comment\n\n  mkdir A   # trailing\n\t\n"
        + "sync\n");
    assertEquals(2, ops.size());
    assertEquals(3, ops.get(0).line());
    assertEquals(5, ops.get(1).line());
  }

  @Test
  void malformedLinesAreRejectedWithTheirLineNumber() {
    assertRejected("mkdir A\nfrobnicate x", 2, "unknown operation 'frobnicate'");
    assertRejected("\n\nwrite f 0", 3, "write takes 3 arguments");
    assertRejected("sync now", 1, "sync takes no arguments");
    assertRejected("mkdir A 0999", 1, "MODE must be octal");
    assertRejected("chmod A 17777", 1, "beyond 07777");
    assertRejected("write f -1 10", 1, "must not be negative");
    assertRejected("write f x 10", 1, "must be a number");
    assertRejected("write f 8m 1", 1, "beyond the 8388608 bytes");
    assertRejected("truncate f 9m", 1, "beyond the 8388608 bytes");
    assertRejected("falloc f keep_size|sideways 0 1", 1, "not 'sideways'");
    assertRejected("falloc f keep_size|keep_size 0 1", 1, "twice");
    assertRejected("rename a b sideways", 1, "'noreplace' or 'exchange'");
    assertRejected("mknod n pipe", 1, "fifo, sock, chr or blk");
    assertRejected("chown f -1 0", 1, "UID must be a number");
    assertRejected("utimens f yesterday now", 1, "ATIME_NS");
    assertRejected("setxattr f noprefix v", 1, "namespace.name");
    assertRejected("setxattr f user.a bytes=5000", 1, "up to 3072");
    assertRejected("unlink /", 1, "below the root");
    assertRejected("mkdir a//b", 1, "empty, '.' or '..'");
    assertRejected("mkdir a/../b", 1, "empty, '.' or '..'");
    assertRejected("creat a/", 1, "ends in a slash");
    assertRejected("creat .crash-followup", 1, "belong to the checker");
    assertRejected("mkdir " + "n".repeat(256), 1, "longer than 255");
  }

  private static void assertRejected(String text, int line, String fragment) {
    WorkloadSyntaxException e = assertThrows(WorkloadSyntaxException.class,
        () -> WorkloadParser.parse("w.txt", text));
    assertEquals(line, e.line(), e.getMessage());
    assertTrue(e.getMessage().startsWith("w.txt line " + line + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  private static Op line(String text) {
    return WorkloadParser.parseLine("t", 1, text);
  }
}
