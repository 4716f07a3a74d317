package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.Errno;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModelTest {

  private final Model m = new Model();
  private long counter;

  private Errno run(String line) {
    return m.apply(WorkloadParser.parseLine("t", 1, line), ++counter);
  }

  private void ok(String... lines) {
    for (String l : lines) {
      assertNull(run(l), l);
    }
  }

  private FsState.Entry at(String path) {
    return m.snapshot().get(path);
  }

  @Test
  void namesLinkCountsAndInodes() {
    ok("mkdir A", "mkdir A/B", "creat f", "write f 0 10", "link f A/g");
    assertEquals(3, at("").nlink());
    assertEquals(3, at("A").nlink());
    assertEquals(2, at("f").nlink());
    assertEquals("A/g", at("f").inode(), "hard links are named by their smallest path");
    assertEquals("A/g", at("A/g").inode());
    ok("rename f A/B/f");
    assertEquals(2, at("A/B/f").nlink());
    ok("unlink A/g");
    assertEquals(1, at("A/B/f").nlink());
    assertEquals("A/B/f", at("A/B/f").inode());
  }

  @Test
  void errorsComeInDaxfsOrderAndChangeNothing() {
    ok("mkdir A", "creat A/f", "mkdir B");
    FsState before = m.snapshot();
    assertEquals(Errno.ENOTEMPTY, run("rmdir A"));
    assertEquals(Errno.EISDIR, run("unlink B"));
    assertEquals(Errno.ENOTDIR, run("rmdir A/f"));
    assertEquals(Errno.EINVAL, run("rename A A/sub"));
    assertEquals(Errno.ENOTEMPTY, run("rename B A"));
    assertEquals(Errno.EISDIR, run("rename A/f B"));
    assertEquals(Errno.ENOTDIR, run("rename B A/f"));
    assertEquals(Errno.EEXIST, run("rename A/f B noreplace"));
    assertEquals(Errno.ENOENT, run("rename A/f A/g exchange"));
    assertEquals(Errno.EPERM, run("link A B/x"));
    assertEquals(Errno.ENOTDIR, run("mkdir A/f/x"));
    assertEquals(Errno.ENOENT, run("creat nodir/x"));
    assertEquals(Errno.EEXIST, run("mkdir A/f"));
    assertEquals(Errno.ENODATA, run("removexattr A/f user.a"));
    assertEquals(Errno.EOPNOTSUPP, run("setxattr A/f other.a v"));
    assertEquals(Errno.EOPNOTSUPP, run("falloc A/f punch_hole 0 4096"));
    assertEquals(Errno.EINVAL, run("falloc A/f collapse_range 0 4096"));
    assertEquals(Errno.EBADF, run("close nothing-open"));
    assertEquals(Errno.ENOMEM, run("msync A/f"));
    assertTrue(StateDiff.matches(m.snapshot(), before, null, null));
  }

  @Test
  void renameOverAndExchange() {
    ok("creat a", "write a 0 5", "creat b", "write b 0 7", "rename a b");
    assertNull(at("a"));
    assertEquals(5, at("b").size());
    ok("mkdir D", "creat c", "rename c D exchange");
    assertTrue(at("c").isDir());
    assertTrue(at("D").isRegular());
  }

  @Test
  void creatFollowsASymlinkAndTruncatesTheTarget() {
    ok("creat t", "write t 0 100", "symlink t s", "creat s");
    assertEquals(0, at("t").size());
    assertTrue(m.isOpen("s"));
    ok("write s 0 3");
    assertEquals(3, at("t").size(), "the handle named s writes the symlink's target");
  }

  @Test
  void writesFillHolesWithZerosAndTruncateCuts() {
    ok("creat f", "write f 10 5");
    byte[] c = at("f").content();
    assertEquals(15, c.length);
    assertArrayEquals(new byte[10], Arrays.copyOf(c, 10));
    assertArrayEquals(DataPattern.bytes("f", 2, 10, 5), Arrays.copyOfRange(c, 10, 15));
    ok("truncate f 12", "truncate f 20");
    c = at("f").content();
    assertEquals(20, c.length);
    assertArrayEquals(new byte[8], Arrays.copyOfRange(c, 12, 20));
  }

  @Test
  void fallocateModes() {
    ok("creat f", "write f 0 12288");
    byte[] orig = at("f").content();
    ok("falloc f punch_hole|keep_size 100 200");
    assertArrayEquals(new byte[200], Arrays.copyOfRange(at("f").content(), 100, 300));
    ok("falloc f collapse_range 4096 4096");
    byte[] c = at("f").content();
    assertEquals(8192, c.length);
    assertArrayEquals(Arrays.copyOfRange(orig, 8192, 12288), Arrays.copyOfRange(c, 4096,
        8192));
    ok("falloc f insert_range 0 4096");
    assertEquals(12288, at("f").size());
    assertArrayEquals(new byte[4096], Arrays.copyOf(at("f").content(), 4096));
    ok("falloc f zero_range 12000 1000");
    assertEquals(13000, at("f").size());
    ok("falloc f keep_size 0 100000");
    assertEquals(13000, at("f").size());
    ok("falloc f 0 0 16384");
    assertEquals(16384, at("f").size());
  }

  @Test
  void mappedStoresArePendingUntilASyncPoint() {
    ok("creat f", "write f 0 100");
    long old = StateDiff.word(at("f").content(), 2);
    ok("mwrite f 16 8");
    FsState.Entry e = at("f");
    assertEquals(Set.of(2L), e.pending().keySet());
    assertArrayEquals(new long[] {old}, e.pending().get(2L));
    ok("mwrite f 16 8");
    assertEquals(2, at("f").pending().get(2L).length, "the value in between counts too");
    ok("msync f");
    assertTrue(at("f").pending().isEmpty());
    ok("mwrite f 96 4", "fsync f");
    assertTrue(at("f").pending().isEmpty());
    ok("mwrite f 0 8", "remount");
    assertTrue(at("f").pending().isEmpty(), "a clean unmount writes mapped stores back");
  }

  @Test
  void aMappedStoreBeyondTheEndOfFileFaultsAfterStoringWhatItCould() {
    ok("creat f", "write f 0 5000");
    assertEquals(Errno.EFAULT, run("mwrite f 4000 5000"));
    byte[] c = at("f").content();
    assertEquals(5000, c.length);
    assertArrayEquals(DataPattern.bytes("f", counter, 4000, 1000),
        Arrays.copyOfRange(c, 4000, 5000), "the pages inside the file were stored");
    FsState before = m.snapshot();
    assertEquals(Errno.EFAULT, run("mwrite f 8192 1"));
    assertTrue(StateDiff.matches(m.snapshot(), before, null, null));
    ok("mkdir D");
    assertEquals(Errno.ENODEV, run("mwrite D 0 1"));
  }

  @Test
  void aWriteIntoAMappedPageIsTornPerWord() {
    ok("creat f", "write f 0 9000", "mwrite f 4096 8");
    ok("write f 100 200");
    assertNull(m.lastTear(), "page 0 is not mapped: copy on write");
    ok("write f 4000 200");
    StateDiff.Tear t = m.lastTear();
    assertNotNull(t);
    assertEquals("f", t.inode());
    assertArrayEquals(new long[] {512, 525}, t.ranges());
    ok("truncate f 4096");
    ok("truncate f 9000", "write f 4096 8");
    assertNull(m.lastTear(), "the truncate unmapped the page");
  }

  @Test
  void collapseMovesPendingWordsWithTheirPages() {
    ok("creat f", "write f 0 12288", "mwrite f 8192 8");
    assertEquals(Set.of(1024L), at("f").pending().keySet());
    ok("falloc f collapse_range 0 4096");
    assertEquals(Set.of(512L), at("f").pending().keySet());
    ok("falloc f punch_hole|keep_size 4096 4096");
    assertTrue(at("f").pending().isEmpty(), "punched words are zero, durably");
  }

  @Test
  void mappedStoresALayoutBreakUnmappedBecomeDurableAtTheNextSyncPoint() {
    ok("creat f", "write f 0 9000", "mwrite f 4096 64", "truncate f 4100");
    assertEquals(Set.of(512L), at("f").pending().keySet(), "the word holding the new end");
    ok("fsync f");
    assertTrue(at("f").pending().isEmpty());
    ok("write f 0 12288", "mwrite f 8192 8", "falloc f collapse_range 0 4096");
    assertEquals(Set.of(512L), at("f").pending().keySet());
    ok("msync f");
    assertTrue(at("f").pending().isEmpty(), "the collapse moved the word, still dirty");
  }

  @Test
  void aSyncPointLeavesPagesMappedSoAWriteIntoThemStaysInPlace() {
    ok("creat f", "write f 0 9000", "mwrite f 4096 8", "fsync f", "write f 4100 8");
    StateDiff.Tear t = m.lastTear();
    assertNotNull(t, "fsync writes the page back but keeps it mapped");
    assertArrayEquals(new long[] {512, 514}, t.ranges());
  }

  @Test
  void chownDropsSetIdBitsOfFilesButNotOfDirectories() {
    ok("creat f", "chmod f 06755", "chown f 1 2", "mkdir d", "chmod d 06755", "chown d 1 2");
    assertEquals(0755, at("f").perms());
    assertEquals(06755, at("d").perms());
    assertEquals(1, at("f").uid());
  }

  @Test
  void explicitTimesAreKnownUntilSomethingChangesThem() {
    ok("creat f", "utimens f 5 6");
    assertEquals(5, at("f").atime());
    assertEquals(6, at("f").mtime());
    ok("utimens f omit now");
    assertEquals(5, at("f").atime());
    assertEquals(FsState.UNKNOWN_TIME, at("f").mtime());
    ok("write f 0 1");
    assertEquals(FsState.UNKNOWN_TIME, at("f").atime());
  }
}
