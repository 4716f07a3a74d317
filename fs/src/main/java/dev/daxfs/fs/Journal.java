package dev.daxfs.fs;

import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The undo journal for operations that touch several inodes (create, mkdir, link, unlink,
 * rmdir, rename, symlink, log cleaning's head switch). Such an operation first appends its log
 * entries beyond the old tails, where nothing reads them yet, and then commits by changing a
 * handful of 8-byte words in place (log tails, inode valid and orphan words, log heads). The
 * journal makes that set of word updates atomic: the old values are recorded and made durable
 * before the first word changes, and recovery puts them back if the lane was still active.
 *
 * <p>There are {@link #LANES} independent lanes, one block each, so unrelated operations do not
 * serialize on one journal. Each lane has its own lock; which inodes a transaction touches is
 * guarded by the inode locks its caller holds, so lanes never need ordering among themselves.
 *
 * <pre>
 * lane block:
 * offset size field
 *   0     8   state      tagged word (salt JOURNAL, lane): 0 = idle,
 *                        else (sequence &lt;&lt; 8) | entry count
 *   8    56   reserved, zero
 *  64    32   entry 0:   u64 word offset (8-byte aligned region offset)
 *                        u64 old value
 *                        u64 sequence (the transaction's)
 *                        u32 crc32c of the 24 bytes above and the lane number
 *                        u32 reserved
 *  ...        up to MAX_ENTRIES entries
 * </pre>
 *
 * <p>Commit: write the entries and persist them; set the state (one tagged 8-byte store) and
 * persist it; store each new value and persist; clear the state and persist. A crash before
 * the state is durable leaves the old values in place (the entries are ignored); a crash after
 * it is rolled back by {@link #recover}.
 */
final class Journal {

  static final int LANES = 8;
  static final int HEADER = 64;
  static final int ENTRY_SIZE = 32;
  static final int MAX_ENTRIES = (Layout.BLOCK - HEADER) / ENTRY_SIZE;

  /** The region holding the lanes. */
  private final PmemRegion region;

  /** One lock per lane: a transaction holds its lane's lock from begin to close. */
  private final ReentrantLock[] laneLocks = new ReentrantLock[LANES];

  /** Sequence numbers of transactions, per lane; guarded by the lane lock. */
  private final long[] laneSequence = new long[LANES];

  /** Where each lane's entries are assembled before they are stored; guarded by the lane lock. */
  private final ByteBuffer[] laneEntries = new ByteBuffer[LANES];

  /** Fault injection for crash tests (never set on a mounted filesystem). */
  private final TestSwitches switches;

  /**
   * @param mountCount mixed into the sequence numbers, so that entries left in a lane by an
   *     earlier mount never carry a sequence this mount uses
   */
  Journal(PmemRegion region, TestSwitches switches, long mountCount) {
    this.region = region;
    this.switches = switches;
    for (int i = 0; i < LANES; i++) {
      laneLocks[i] = new ReentrantLock();
      laneEntries[i] = ByteBuffer.allocate(MAX_ENTRIES * ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      laneSequence[i] = (mountCount & 0xFFFF) << 24;
    }
  }

  /** Zeroes every lane (mkfs). */
  static void format(PmemRegion region) {
    region.fillPersist(Layout.offset(Layout.JOURNAL_BLOCK), (long) LANES * Layout.BLOCK, (byte) 0);
  }

  /** Starts a transaction on a free lane, waiting for one if all are busy. */
  Tx begin() {
    int start = (int) (Thread.currentThread().getId() % LANES);
    for (int i = 0; i < LANES; i++) {
      int lane = (start + i) % LANES;
      if (laneLocks[lane].tryLock()) {
        return new Tx(lane);
      }
    }
    laneLocks[start].lock();
    return new Tx(start);
  }

  private static long laneOffset(int lane) {
    return Layout.offset(Layout.JOURNAL_BLOCK + lane);
  }

  /**
   * Rolls back every lane that was active when the filesystem stopped; returns how many
   * transactions were undone. Runs at mount, before anything reads the words it may restore.
   */
  static int recover(PmemRegion region, TestSwitches switches) {
    int undone = 0;
    for (int lane = 0; lane < LANES; lane++) {
      long off = laneOffset(lane);
      long word;
      try {
        word = region.loadLong(off);
      } catch (dev.daxfs.pmem.MediaErrorException e) {
        throw new CorruptionException("journal lane " + lane, off, "media error");
      }
      long state = TaggedWord.decode(word, TaggedWord.salt(TaggedWord.SALT_JOURNAL, lane));
      if (state < 0) {
        throw new CorruptionException("journal lane " + lane, off, "state word fails its check");
      }
      if (state == 0) {
        continue;
      }
      if (switches.ignoreActiveJournal) {
        continue;
      }
      int count = (int) (state & 0xFF);
      long sequence = state >>> 8;
      if (count > MAX_ENTRIES) {
        throw new CorruptionException("journal lane " + lane, off, "claims " + count
            + " entries, more than a lane holds");
      }
      long[] addrs = new long[count];
      long[] olds = new long[count];
      for (int i = 0; i < count; i++) {
        long e = off + HEADER + (long) i * ENTRY_SIZE;
        byte[] raw = new byte[ENTRY_SIZE];
        try {
          region.load(e, raw, 0, ENTRY_SIZE);
        } catch (dev.daxfs.pmem.MediaErrorException me) {
          throw new CorruptionException("journal lane " + lane + " entry " + i, e,
              "media error");
        }
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long addr = b.getLong(0);
        long old = b.getLong(8);
        long seq = b.getLong(16);
        int crc = b.getInt(24);
        if (crc != entryCrc(addr, old, seq, lane) || seq != sequence) {
          throw new CorruptionException("journal lane " + lane + " entry " + i, e,
              "fails its checksum while the lane is active");
        }
        if ((addr & 7) != 0 || addr < 0 || addr > region.size() - 8) {
          throw new CorruptionException("journal lane " + lane + " entry " + i, e,
              "names an invalid word offset " + addr);
        }
        addrs[i] = addr;
        olds[i] = old;
      }
      // Newest first, so that a word recorded twice ends at its oldest value.
      for (int i = count - 1; i >= 0; i--) {
        region.storeLong(addrs[i], olds[i]);
        region.flush(addrs[i], 8);
      }
      region.fence();
      region.storeLong(off, TaggedWord.NULL);
      region.persist(off, 8);
      undone++;
    }
    return undone;
  }

  /** The state word of a lane, decoded; for fsck and inspect. -1 when it fails its check. */
  static long laneState(PmemRegion region, int lane) {
    try {
      return TaggedWord.decode(region.loadLong(laneOffset(lane)),
          TaggedWord.salt(TaggedWord.SALT_JOURNAL, lane));
    } catch (dev.daxfs.pmem.MediaErrorException e) {
      return -1;
    }
  }

  private static int entryCrc(long addr, long old, long seq, int lane) {
    byte[] b = new byte[ENTRY_SIZE];
    ByteBuffer e = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    return sealEntry(e, 0, addr, old, seq, lane);
  }

  /**
   * Writes the entry for ({@code addr}, {@code old}, {@code seq}) at {@code at} in {@code b},
   * its checksum included, and returns the checksum. The lane number is checksummed but not
   * stored, so it first sits where the checksum goes.
   */
  private static int sealEntry(ByteBuffer b, int at, long addr, long old, long seq, int lane) {
    b.putLong(at, addr).putLong(at + 8, old).putLong(at + 16, seq).putInt(at + 24, lane);
    int crc = Crc.crc32c(b.array(), at, 28);
    b.putInt(at + 24, crc).putInt(at + 28, 0);
    return crc;
  }

  /** A set of 8-byte word updates that becomes durable all at once, or not at all. */
  final class Tx implements AutoCloseable {
    /** This transaction's lane; its lock is held until {@link #close}. */
    private final int lane;

    /** Word offsets, in the order first set; the first {@link #count}. */
    private long[] offsets = new long[4];

    /** The new value of each word in {@link #offsets}. */
    private long[] values = new long[4];

    /** Words set. */
    private int count;

    /** Set once commit has run, to refuse reuse. */
    private boolean done;

    private Tx(int lane) {
      this.lane = lane;
    }

    /** Schedules {@code value} to be stored at the aligned word {@code offset} on commit. */
    Tx set(long offset, long value) {
      if (done) {
        throw new IllegalStateException("transaction already committed");
      }
      if ((offset & 7) != 0) {
        throw new IllegalArgumentException("journal words must be 8-byte aligned: " + offset);
      }
      for (int i = 0; i < count; i++) {
        if (offsets[i] == offset) {
          values[i] = value;
          return this;
        }
      }
      if (count == MAX_ENTRIES) {
        throw new IllegalStateException("transaction exceeds " + MAX_ENTRIES + " words");
      }
      if (count == offsets.length) {
        offsets = Arrays.copyOf(offsets, count * 2);
        values = Arrays.copyOf(values, count * 2);
      }
      offsets[count] = offset;
      values[count] = value;
      count++;
      return this;
    }

    /** Makes every scheduled update durable atomically. */
    void commit() {
      if (done) {
        throw new IllegalStateException("transaction already committed");
      }
      done = true;
      if (count == 0) {
        return;
      }
      long seq = ++laneSequence[lane];
      long off = laneOffset(lane);
      boolean journaled = !switches.skipJournal;
      if (journaled) {
        ByteBuffer b = laneEntries[lane];
        for (int i = 0; i < count; i++) {
          sealEntry(b, i * ENTRY_SIZE, offsets[i], region.loadLong(offsets[i]), seq, lane);
        }
        region.storePersist(off + HEADER, b.array(), 0, count * ENTRY_SIZE);
        long state = (seq << 8) | count;
        region.storeLong(off, TaggedWord.encode(state & TaggedWord.MAX_VALUE,
            TaggedWord.salt(TaggedWord.SALT_JOURNAL, lane)));
        region.persist(off, 8);
      }
      for (int i = 0; i < count; i++) {
        region.storeLong(offsets[i], values[i]);
        region.flush(offsets[i], 8);
      }
      region.fence();
      if (journaled) {
        region.storeLong(off, TaggedWord.NULL);
        region.persist(off, 8);
      }
    }

    @Override
    public void close() {
      laneLocks[lane].unlock();
    }
  }
}
