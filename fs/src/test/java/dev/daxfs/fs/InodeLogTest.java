package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InodeLogTest {

  private static final long INO = 33;

  private HeapRegion region;
  private BlockAllocator alloc;
  private long blocks;
  /** Where the tests keep the log's tail word (a slot would hold it). */
  private long tailWord;

  @BeforeEach
  void setUp() {
    region = new HeapRegion(16L << 20);
    blocks = region.size() / Layout.BLOCK;
    alloc = new BlockAllocator(Layout.FIRST_ALLOCATABLE, blocks, 0);
    alloc.free(Layout.FIRST_ALLOCATABLE, blocks - Layout.FIRST_ALLOCATABLE);
    tailWord = Layout.offset(alloc.allocateOne(0, false));
  }

  /** A SETATTR entry whose mtime tells entries apart. */
  private static ByteBuffer marker(long n) {
    return Entries.setattr(LogEntry.ATTR_MTIME, 0, 0, 0, 0, n, 0, 0);
  }

  /** An entry of about {@code size} bytes (an xattr), to fill pages quickly. */
  private static ByteBuffer big(long n, int size) {
    return Entries.xattrSet("user." + n, new byte[size], n);
  }

  /** Every committed entry as {type, sequence, first payload long}. */
  private List<long[]> replay(InodeLog log) {
    List<long[]> out = new ArrayList<>();
    InodeLog.open(region, INO, log.headBlock(), log.tail(), blocks,
        (type, seq, p, off) -> {
          long first = type == LogEntry.SETATTR ? p.getLong(LogEntry.HEADER + 24)
              : p.getLong(LogEntry.HEADER + 8);
          out.add(new long[] {type, seq, first});
        });
    return out;
  }

  private long committedTail() {
    return TaggedWord.decode(region.loadLong(tailWord),
        TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, INO));
  }

  @Test
  void committedEntriesReplayInOrder() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    for (int i = 1; i <= 10; i++) {
      log.append(marker(i), alloc, false, true);
    }
    assertTrue(log.hasPending());
    log.commit(tailWord, true);
    assertFalse(log.hasPending());
    assertEquals(log.tail(), committedTail(), "the tail word is the commit point");
    List<long[]> got = replay(log);
    assertEquals(10, got.size());
    for (int i = 0; i < 10; i++) {
      assertEquals(LogEntry.SETATTR, got.get(i)[0]);
      assertEquals(i + 1, got.get(i)[1], "sequence");
      assertEquals(i + 1, got.get(i)[2], "payload");
    }
    assertEquals(10, log.entryCount());
  }

  @Test
  void entriesSpanManyPagesAndPaddingIsSkipped() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    int n = 0;
    for (int i = 0; i < 60; i++) {
      log.append(big(++n, 200 + 37 * (i % 11)), alloc, false, true);
      log.append(marker(++n), alloc, false, true);
      if (i % 7 == 0) {
        log.commit(tailWord, true);
      }
    }
    log.commit(tailWord, true);
    assertTrue(log.pageCount() > 3, "pages: " + log.pageCount());
    List<long[]> got = replay(log);
    assertEquals(n, got.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i + 1, got.get(i)[1]);
    }
  }

  @Test
  void anEntryOfAWholePageFits() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    log.append(marker(1), alloc, false, true);
    int payload = LogEntry.MAX_LENGTH - LogEntry.HEADER;
    ByteBuffer full = LogEntry.start(LogEntry.SETATTR, payload);
    full.putInt(0);
    log.append(full, alloc, false, true);
    log.append(marker(3), alloc, false, true);
    log.commit(tailWord, true);
    assertEquals(3, replay(log).size());
    assertThrows(IllegalArgumentException.class,
        () -> LogEntry.start(LogEntry.SETATTR, payload + 1));
  }

  @Test
  void abortedEntriesAreNeverReplayedAndTheirSpacePagesAreReused() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    log.append(marker(1), alloc, false, true);
    log.commit(tailWord, true);
    for (int i = 0; i < 40; i++) {
      log.append(big(100 + i, 300), alloc, false, true);
    }
    int pagesWithSpares = log.pageCount();
    assertTrue(pagesWithSpares > 1);
    log.abort();
    assertFalse(log.hasPending());
    assertEquals(1, replay(log).size());
    long free = alloc.freeBlocks();
    for (int i = 0; i < 40; i++) {
      log.append(big(200 + i, 300), alloc, false, true);
    }
    log.commit(tailWord, true);
    assertEquals(free, alloc.freeBlocks(), "the spare pages were used again");
    assertEquals(pagesWithSpares, log.pageCount());
    List<long[]> got = replay(log);
    assertEquals(41, got.size());
    assertEquals(41, got.get(40)[1], "sequences continue after the abort");
  }

  @Test
  void reopeningContinuesAfterTheTail() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    for (int i = 1; i <= 30; i++) {
      log.append(big(i, 250), alloc, false, true);
    }
    log.commit(tailWord, true);
    InodeLog again = InodeLog.open(region, INO, log.headBlock(), log.tail(), blocks,
        (t, s, p, o) -> {});
    again.append(marker(31), alloc, false, true);
    again.commit(tailWord, true);
    InodeLog third = InodeLog.open(region, INO, again.headBlock(), again.tail(), blocks,
        (t, s, p, o) -> {});
    assertEquals(31, third.entryCount());
  }

  @Test
  void aDamagedEntryIsNamedWithItsInodeAndOffset() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    log.append(marker(1), alloc, false, true);
    long second = log.append(marker(2), alloc, false, true);
    log.commit(tailWord, true);
    region.storeByte(second + 20, (byte) (region.loadByte(second + 20) ^ 4));
    CorruptionException e = assertThrows(CorruptionException.class, () -> replay(log));
    assertTrue(e.getMessage().contains("inode " + INO), e.getMessage());
    assertEquals(second, e.offset());
  }

  @Test
  void aTailOutsideTheChainIsRefused() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    log.append(marker(1), alloc, false, true);
    log.commit(tailWord, true);
    assertThrows(CorruptionException.class, () -> InodeLog.open(region, INO, log.headBlock(),
        Layout.offset(log.headBlock() + 50) + 64, blocks, (t, s, p, o) -> {}));
  }

  @Test
  void aTailCuttingAnEntryIsRefused() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    log.append(marker(1), alloc, false, true);
    log.commit(tailWord, true);
    assertThrows(CorruptionException.class, () -> InodeLog.open(region, INO, log.headBlock(),
        log.tail() - 8, blocks, (t, s, p, o) -> {}));
  }

  @Test
  void aPageOfAnotherInodeOrAnotherPlaceInTheChainIsRefused() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    for (int i = 1; i <= 40; i++) {
      log.append(big(i, 300), alloc, false, true);
    }
    log.commit(tailWord, true);
    assertThrows(CorruptionException.class, () -> InodeLog.open(region, INO + 1,
        log.headBlock(), log.tail(), blocks, (t, s, p, o) -> {}));
    long second = log.pageBlocks()[1];
    // Starting the chain at its second page: the page's sequence gives it away.
    assertThrows(CorruptionException.class, () -> InodeLog.open(region, INO, second,
        log.tail(), blocks, (t, s, p, o) -> {}));
  }

  @Test
  void aLoopingChainIsRefused() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    for (int i = 1; i <= 40; i++) {
      log.append(big(i, 300), alloc, false, true);
    }
    log.commit(tailWord, true);
    long[] pages = log.pageBlocks();
    long last = pages[pages.length - 1];
    LogPage.link(region, last, INO, pages.length - 1, pages[0]);
    CorruptionException e = assertThrows(CorruptionException.class,
        () -> InodeLog.open(region, INO, log.headBlock(), log.tail(), blocks,
            (t, s, p, o) -> {}));
    assertNotNull(e.getMessage());
  }

  @Test
  void aDamagedPageHeaderIsRefused() {
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    log.append(marker(1), alloc, false, true);
    log.commit(tailWord, true);
    region.storeByte(Layout.offset(log.headBlock()) + 9, (byte) 0x7f);
    CorruptionException e = assertThrows(CorruptionException.class, () -> replay(log));
    assertEquals(Layout.offset(log.headBlock()), e.offset());
  }

  @Test
  void freePagesReturnsTheWholeChain() {
    long before = alloc.freeBlocks();
    InodeLog log = InodeLog.create(region, alloc, INO, 0, false);
    for (int i = 1; i <= 40; i++) {
      log.append(big(i, 300), alloc, false, true);
    }
    assertTrue(alloc.freeBlocks() < before);
    log.freePages(alloc);
    assertEquals(before, alloc.freeBlocks());
  }
}
