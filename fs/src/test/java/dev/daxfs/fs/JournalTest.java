package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import dev.daxfs.pmem.HeapRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class JournalTest {

  /** Words the tests change: somewhere in the allocatable area of a formatted region. */
  private static final long W1 = Layout.offset(Layout.FIRST_ALLOCATABLE + 100);
  private static final long W2 = W1 + 8;
  private static final long W3 = W1 + 4096;

  private static long laneOff(int lane) {
    return Layout.offset(Layout.JOURNAL_BLOCK + lane);
  }

  /** Writes an active lane by hand: entries {addr, old} with the format's checksums. */
  private static void craftActiveLane(HeapRegion r, int lane, long seq, long[][] entries) {
    long off = laneOff(lane);
    for (int i = 0; i < entries.length; i++) {
      ByteBuffer b = ByteBuffer.allocate(Journal.ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(entries[i][0]).putLong(entries[i][1]).putLong(seq)
          .putInt(entryCrc(entries[i][0], entries[i][1], seq, lane)).putInt(0);
      r.store(off + Journal.HEADER + (long) i * Journal.ENTRY_SIZE, b.array(), 0,
          Journal.ENTRY_SIZE);
    }
    long state = (seq << 8) | entries.length;
    r.storeLong(off, TaggedWord.encode(state, TaggedWord.salt(TaggedWord.SALT_JOURNAL, lane)));
  }

  private static int entryCrc(long addr, long old, long seq, int lane) {
    ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(addr).putLong(old).putLong(seq).putInt(lane);
    return Crc.crc32c(b.array(), 0, 28);
  }

  private static void assertAllLanesIdle(HeapRegion r) {
    for (int lane = 0; lane < Journal.LANES; lane++) {
      assertEquals(0, Journal.laneState(r, lane), "lane " + lane);
    }
  }

  @Test
  void aCommitChangesEveryWordAndLeavesTheLaneIdle() {
    HeapRegion r = formatted(16);
    Journal j = new Journal(r, TestSwitches.none(), 1);
    try (Journal.Tx tx = j.begin()) {
      tx.set(W1, 111).set(W2, 222).set(W3, 333);
      tx.commit();
    }
    assertEquals(111, r.loadLong(W1));
    assertEquals(222, r.loadLong(W2));
    assertEquals(333, r.loadLong(W3));
    assertAllLanesIdle(r);
    assertEquals(0, Journal.recover(r, TestSwitches.none()), "nothing to roll back");
    assertEquals(111, r.loadLong(W1));
  }

  @Test
  void aTransactionRefusesMisuse() {
    HeapRegion r = formatted(16);
    Journal j = new Journal(r, TestSwitches.none(), 1);
    try (Journal.Tx tx = j.begin()) {
      assertThrows(IllegalArgumentException.class, () -> tx.set(W1 + 4, 1));
      tx.set(W1, 1);
      tx.commit();
      assertThrows(IllegalStateException.class, () -> tx.set(W2, 1));
      assertThrows(IllegalStateException.class, tx::commit);
    }
    try (Journal.Tx tx = j.begin()) {
      for (int i = 0; i < Journal.MAX_ENTRIES; i++) {
        tx.set(W3 + 8L * i, i + 1);
      }
      assertThrows(IllegalStateException.class, () -> tx.set(W3 + 8L * Journal.MAX_ENTRIES, 1));
    }
  }

  @Test
  void recoveryRollsBackAHandCraftedActiveLane() {
    HeapRegion r = formatted(16);
    r.storeLong(W1, 0xAAAA);
    r.storeLong(W2, 0xBBBB);
    craftActiveLane(r, 3, 77, new long[][] {{W1, 0x1111}, {W2, 0x2222}});
    assertTrue(Journal.laneState(r, 3) > 0);
    assertEquals(1, Journal.recover(r, TestSwitches.none()));
    assertEquals(0x1111, r.loadLong(W1));
    assertEquals(0x2222, r.loadLong(W2));
    assertAllLanesIdle(r);
    assertEquals(0, Journal.recover(r, TestSwitches.none()), "a rolled-back lane stays idle");
  }

  @Test
  void aWordRecordedTwiceEndsAtItsOldestValue() {
    HeapRegion r = formatted(16);
    r.storeLong(W1, 3);
    craftActiveLane(r, 0, 5, new long[][] {{W1, 1}, {W1, 2}});
    assertEquals(1, Journal.recover(r, TestSwitches.none()));
    assertEquals(1, r.loadLong(W1));
  }

  @Test
  void severalActiveLanesAreAllRolledBack() {
    HeapRegion r = formatted(16);
    craftActiveLane(r, 1, 9, new long[][] {{W1, 10}});
    craftActiveLane(r, 6, 9, new long[][] {{W2, 20}});
    assertEquals(2, Journal.recover(r, TestSwitches.none()));
    assertEquals(10, r.loadLong(W1));
    assertEquals(20, r.loadLong(W2));
  }

  @Test
  void staleEntriesOfAnIdleLaneAreIgnored() {
    HeapRegion r = formatted(16);
    craftActiveLane(r, 2, 4, new long[][] {{W1, 10}});
    r.storeLong(laneOff(2), TaggedWord.NULL); // the commit finished: lane idle, entries stale
    r.storeLong(W1, 99);
    assertEquals(0, Journal.recover(r, TestSwitches.none()));
    assertEquals(99, r.loadLong(W1));
  }

  @Test
  void aDamagedEntryOfAnActiveLaneRefusesTheMountNamingIt() {
    HeapRegion r = formatted(16);
    craftActiveLane(r, 4, 8, new long[][] {{W1, 10}, {W2, 20}});
    long entry1 = laneOff(4) + Journal.HEADER + Journal.ENTRY_SIZE;
    r.storeLong(entry1 + 8, 21); // the old value, not matching its checksum any more
    CorruptionException e = assertThrows(CorruptionException.class,
        () -> Journal.recover(r, TestSwitches.none()));
    assertTrue(e.getMessage().contains("journal lane 4 entry 1"), e.getMessage());
    assertEquals(entry1, e.offset());
    CorruptionException m = assertThrows(CorruptionException.class, () -> mount(r));
    assertTrue(m.getMessage().contains("journal lane 4"), m.getMessage());
  }

  @Test
  void anEntryOfAnotherTransactionIsNotRolledBack() {
    HeapRegion r = formatted(16);
    craftActiveLane(r, 5, 8, new long[][] {{W1, 10}});
    // Same lane, state claiming a later transaction whose entry was never written.
    long state = (9L << 8) | 1;
    r.storeLong(laneOff(5), TaggedWord.encode(state,
        TaggedWord.salt(TaggedWord.SALT_JOURNAL, 5)));
    assertThrows(CorruptionException.class, () -> Journal.recover(r, TestSwitches.none()));
  }

  @Test
  void aDamagedStateWordIsRefused() {
    HeapRegion r = formatted(16);
    r.storeLong(laneOff(7), 0x1234_5678_9abcL);
    CorruptionException e = assertThrows(CorruptionException.class,
        () -> Journal.recover(r, TestSwitches.none()));
    assertTrue(e.getMessage().contains("journal lane 7"), e.getMessage());
    assertEquals(laneOff(7), e.offset());
  }

  @Test
  void anEntryNamingAWordOutsideTheRegionIsRefused() {
    HeapRegion r = formatted(16);
    craftActiveLane(r, 0, 3, new long[][] {{r.size(), 10}});
    assertThrows(CorruptionException.class, () -> Journal.recover(r, TestSwitches.none()));
  }

  @Test
  void ignoringActiveLanesIsWhatTheSwitchDoes() {
    HeapRegion r = formatted(16);
    r.storeLong(W1, 50);
    craftActiveLane(r, 3, 7, new long[][] {{W1, 10}});
    TestSwitches s = TestSwitches.none();
    s.ignoreActiveJournal = true;
    assertEquals(0, Journal.recover(r, s));
    assertEquals(50, r.loadLong(W1));
  }

  @Test
  void aCrashAtAnyPointOfACommitLeavesAllOldOrAllNewValues() {
    HeapRegion base = formatted(16);
    base.storeLong(W1, 1);
    base.storeLong(W2, 2);
    base.storeLong(W3, 3);
    boolean sawOld = false;
    boolean sawNew = false;
    for (int crashAt = 0; ; crashAt++) {
      CrashingRegion r = new CrashingRegion(HeapRegion.copyOf(base));
      Journal j = new Journal(r, TestSwitches.none(), 1);
      r.arm(crashAt);
      boolean crashed = false;
      try (Journal.Tx tx = j.begin()) {
        tx.set(W1, 10).set(W2, 20).set(W3, 30);
        tx.commit();
      } catch (CrashingRegion.Crash c) {
        crashed = true;
      }
      HeapRegion after = r.image();
      Journal.recover(after, TestSwitches.none());
      long[] got = {after.loadLong(W1), after.loadLong(W2), after.loadLong(W3)};
      boolean old = got[0] == 1 && got[1] == 2 && got[2] == 3;
      boolean neu = got[0] == 10 && got[1] == 20 && got[2] == 30;
      assertTrue(old || neu, "crash before mutation " + crashAt + " left "
          + java.util.Arrays.toString(got));
      assertAllLanesIdle(after);
      sawOld |= old;
      sawNew |= neu;
      if (!crashed) {
        break;
      }
    }
    assertTrue(sawOld && sawNew);
  }

  @Test
  void withoutTheJournalACrashTearsTheCommit() {
    // The crash-point check above can fail: with the journal switched off it must see a tear.
    HeapRegion base = formatted(16);
    TestSwitches off = TestSwitches.none();
    off.skipJournal = true;
    boolean torn = false;
    for (int crashAt = 0; crashAt < 10 && !torn; crashAt++) {
      CrashingRegion r = new CrashingRegion(HeapRegion.copyOf(base));
      Journal j = new Journal(r, off, 1);
      r.arm(crashAt);
      try (Journal.Tx tx = j.begin()) {
        tx.set(W1, 10).set(W2, 20);
        tx.commit();
      } catch (CrashingRegion.Crash c) {
        // expected for early crash points
      }
      HeapRegion after = r.image();
      Journal.recover(after, TestSwitches.none());
      torn = after.loadLong(W1) == 10 && after.loadLong(W2) == 0;
    }
    assertTrue(torn);
  }

  @Test
  void mountRollsBackAnActiveLaneAndSaysSo() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    Volume vol = fs.volume();
    long rootTail = vol.inodes.slotOffset(fs.rootIno()) + InodeTable.TAIL;
    long tailBefore = r.loadLong(rootTail);
    Attr f = fs.create(ROOT, fs.rootIno(), name("f"), 0644);
    long valid = vol.inodes.slotOffset(f.ino()) + InodeTable.VALID;
    assertNotEquals(tailBefore, r.loadLong(rootTail));
    // As if the create's commit had been cut short: its lane is active with the old words.
    craftActiveLane(r, 2, 123, new long[][] {{valid, TaggedWord.NULL}, {rootTail, tailBefore}});
    DaxFs again = mount(r);
    MountReport rep = again.mountReport();
    assertFalse(rep.clean());
    assertEquals(1, rep.journalRollbacks());
    assertTrue(rep.reason().contains("rolled back"), rep.reason());
    assertErrno(Errno.ENOENT, () -> again.lookup(ROOT, again.rootIno(), name("f")));
    // The slot and blocks of the undone file are free again: it can be created once more.
    Attr g = again.create(ROOT, again.rootIno(), name("f"), 0600);
    assertEquals(0100600, g.mode());
    again.unmount();
    DaxFs third = mount(r);
    assertTrue(third.mountReport().clean(), third.mountReport().reason());
    assertEquals(0100600, third.lookup(ROOT, third.rootIno(), name("f")).mode());
  }
}
