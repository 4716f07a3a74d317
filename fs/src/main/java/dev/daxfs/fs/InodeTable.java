package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The inode table: a chain of one-block chunks, each holding a header and {@link
 * #SLOTS_PER_CHUNK} - 1 inode slots. The first chunk sits at a fixed block; the table grows by
 * linking a new chunk after the last. Inode number = chunk index * SLOTS_PER_CHUNK + slot, so
 * slot 0 (the header) is never an inode and the root directory is inode 1.
 *
 * <pre>
 * chunk header (slot 0):
 * offset size field
 *   0     8   magic      "DXINOCHK"
 *   8     8   chunk index (position in the chain)
 *  16     8   next       tagged word (salt CHUNK_NEXT, index): block of the next chunk, 0 = last
 *  24     4   version    1
 *  28     4   crc32c of bytes [0, 16) and [24, 28)
 *
 * inode slot:
 *   0     8   valid      tagged word (salt INODE_VALID, ino): 1 = in use, 0 = free
 *   8     8   orphan     tagged word (salt INODE_ORPHAN, ino): 1 = unlinked but still open or
 *                        DMA-busy; recovery frees it
 *  16     8   log head   tagged word (salt LOG_HEAD, ino): first log page's block
 *  24     8   log tail   tagged word (salt LOG_TAIL, ino): region offset one past the last
 *                        committed entry; the commit point of every single-inode update
 *  32     8   ino        must equal the slot's position
 *  40     4   generation incremented each time the slot is reused
 *  44     4   type       S_IFMT bits of the file's mode
 *  48    12   reserved, zero
 *  60     4   crc32c of bytes [32, 60)
 *  64    64   reserved, zero
 * </pre>
 *
 * A slot's static fields (ino, generation, type) are written and persisted while the slot is
 * still free; the valid word is flipped last, inside the creating operation's journal
 * transaction. The table lock guards the free-slot set and chain growth; slot words of an
 * in-use inode are guarded by that inode's lock.
 */
final class InodeTable {

  static final int SLOT_SIZE = 128;
  static final int CHUNK_BLOCKS = 1;
  static final int SLOTS_PER_CHUNK = Layout.BLOCK * CHUNK_BLOCKS / SLOT_SIZE;
  static final long CHUNK_MAGIC = 0x4b48434f4e495844L; // "DXINOCHK"
  static final int CHUNK_VERSION = 1;

  static final int VALID = 0;
  static final int ORPHAN = 8;
  static final int HEAD = 16;
  static final int TAIL = 24;
  static final int INO = 32;
  static final int GENERATION = 40;
  static final int TYPE = 44;
  static final int SLOT_CRC = 60;

  static final long ROOT_INO = 1;

  /** The region holding the table. */
  private final PmemRegion region;

  /** Block of each chunk, by chunk index; guarded by this. */
  private final List<Long> chunks = new ArrayList<>();

  /** Free inode numbers in chunks already linked; guarded by this. */
  private final TreeSet<Long> freeInos = new TreeSet<>();

  /** Inode numbers in use; guarded by this. */
  private long used;

  /** Told the new chunk count after the chain grew (the superblock records it). */
  private java.util.function.LongConsumer grown = n -> {};

  private InodeTable(PmemRegion region) {
    this.region = region;
  }

  /** Writes the first chunk (mkfs). */
  static void format(PmemRegion region) {
    writeChunk(region, Layout.FIRST_INODE_CHUNK, 0);
  }

  private static void writeChunk(PmemRegion region, long block, long index) {
    long off = Layout.offset(block);
    region.fill(off, (long) CHUNK_BLOCKS * Layout.BLOCK, (byte) 0);
    ByteBuffer h = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    h.putLong(0, CHUNK_MAGIC).putLong(8, index).putInt(24, CHUNK_VERSION);
    h.putInt(28, chunkCrc(h.array()));
    region.store(off, h.array(), 0, 32);
    region.persist(off, (long) CHUNK_BLOCKS * Layout.BLOCK);
  }

  private static int chunkCrc(byte[] header) {
    byte[] covered = new byte[20];
    System.arraycopy(header, 0, covered, 0, 16);
    System.arraycopy(header, 24, covered, 16, 4);
    return Crc.crc32c(covered, 0, 20);
  }

  /** What a slot holds, as read at mount. */
  record Slot(long ino, int generation, int type, long head, long tail, boolean orphan) {}

  /**
   * Walks the chunk chain and every slot. Valid slots are passed to {@code sink}; free ones
   * become allocatable. Damage to a chunk header or a valid slot's static fields refuses the
   * mount with the structure named; damage confined to one inode's words is reported through
   * {@code damaged} so that only that inode fails.
   */
  static InodeTable load(PmemRegion region, long blockCount, java.util.function.Consumer<Slot> sink,
      java.util.function.BiConsumer<Long, String> damaged) {
    InodeTable t = new InodeTable(region);
    long block = Layout.FIRST_INODE_CHUNK;
    java.util.HashSet<Long> seen = new java.util.HashSet<>();
    for (long index = 0; ; index++) {
      long off = Layout.offset(block);
      String name = "inode-table chunk " + index;
      if (!seen.add(block)) {
        throw new CorruptionException(name, off, "chunk chain loops back to block " + block);
      }
      byte[] h = new byte[32];
      try {
        region.load(off, h, 0, 32);
      } catch (MediaErrorException e) {
        throw new CorruptionException(name, off, "media error");
      }
      ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
      if (b.getLong(0) != CHUNK_MAGIC) {
        throw new CorruptionException(name, off, "bad magic");
      }
      if (b.getInt(28) != chunkCrc(h)) {
        throw new CorruptionException(name, off, "bad checksum");
      }
      if (b.getInt(24) != CHUNK_VERSION) {
        throw new CorruptionException(name, off, "unknown chunk version " + b.getInt(24));
      }
      if (b.getLong(8) != index) {
        throw new CorruptionException(name, off, "records index " + b.getLong(8));
      }
      t.chunks.add(block);
      for (int s = 1; s < SLOTS_PER_CHUNK; s++) {
        long ino = index * SLOTS_PER_CHUNK + s;
        t.readSlot(ino, sink, damaged);
      }
      long next = TaggedWord.decode(b.getLong(16),
          TaggedWord.salt(TaggedWord.SALT_CHUNK_NEXT, index));
      if (next < 0) {
        throw new CorruptionException(name, off + 16, "next-chunk pointer fails its check");
      }
      if (next == 0) {
        break;
      }
      if (next < Layout.FIRST_ALLOCATABLE || next + CHUNK_BLOCKS > blockCount) {
        throw new CorruptionException(name, off + 16, "next chunk " + next
            + " lies outside the allocatable blocks");
      }
      block = next;
    }
    return t;
  }

  private void readSlot(long ino, java.util.function.Consumer<Slot> sink,
      java.util.function.BiConsumer<Long, String> damaged) {
    Object r = decodeSlot(ino);
    if (r == null) {
      freeInos.add(ino);
      return;
    }
    used++;
    if (r instanceof String problem) {
      damaged.accept(ino, problem);
    } else {
      sink.accept((Slot) r);
    }
  }

  /** A slot's meaning: null (free), a {@link Slot} (valid), or a String naming its damage. */
  private Object decodeSlot(long ino) {
    long off = slotOffset(ino);
    byte[] raw = new byte[64];
    try {
      region.load(off, raw, 0, 64);
    } catch (MediaErrorException e) {
      return "media error in its inode slot at offset " + off;
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    long valid = TaggedWord.decode(b.getLong(VALID),
        TaggedWord.salt(TaggedWord.SALT_INODE_VALID, ino));
    if (valid == 0) {
      return null;
    }
    if (valid != 1) {
      return "valid word at offset " + (off + VALID) + " fails its check";
    }
    if (b.getInt(SLOT_CRC) != Crc.crc32c(raw, INO, SLOT_CRC - INO) || b.getLong(INO) != ino) {
      return "slot at offset " + off + " fails its checksum";
    }
    long orphan = TaggedWord.decode(b.getLong(ORPHAN),
        TaggedWord.salt(TaggedWord.SALT_INODE_ORPHAN, ino));
    long head = TaggedWord.decode(b.getLong(HEAD), TaggedWord.salt(TaggedWord.SALT_LOG_HEAD, ino));
    long tail = TaggedWord.decode(b.getLong(TAIL), TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, ino));
    if (orphan < 0 || orphan > 1 || head <= 0 || tail <= 0) {
      return "log head, tail or orphan word at offset " + off + " fails its check";
    }
    return new Slot(ino, b.getInt(GENERATION), b.getInt(TYPE), head, tail, orphan == 1);
  }

  /**
   * Reads one slot: null when free, its contents when valid.
   *
   * @throws CorruptionException when the slot fails its checks
   */
  Slot readSlot(long ino) {
    Object r = decodeSlot(ino);
    if (r instanceof String problem) {
      throw new CorruptionException("inode " + ino, slotOffset(ino), problem);
    }
    return (Slot) r;
  }

  /** Region offset of inode {@code ino}'s slot. */
  long slotOffset(long ino) {
    long index = ino / SLOTS_PER_CHUNK;
    int s = (int) (ino % SLOTS_PER_CHUNK);
    long block;
    synchronized (this) {
      if (s == 0 || index >= chunks.size()) {
        throw new IllegalArgumentException("no inode slot " + ino);
      }
      block = chunks.get((int) index);
    }
    return Layout.offset(block) + (long) s * SLOT_SIZE;
  }

  /** True when {@code ino} names a slot of the table (valid or not). */
  synchronized boolean exists(long ino) {
    return ino > 0 && ino % SLOTS_PER_CHUNK != 0 && ino / SLOTS_PER_CHUNK < chunks.size();
  }

  /**
   * Reserves a free inode number, growing the table by one chunk when none is free.
   *
   * @throws ErrnoException ENOSPC when the table must grow and no block is free
   */
  synchronized long reserve(BlockAllocator allocator) {
    if (freeInos.isEmpty()) {
      grow(allocator);
    }
    long ino = freeInos.pollFirst();
    used++;
    return ino;
  }

  /** Returns a reserved or freed inode number to the free set. */
  synchronized void release(long ino) {
    if (freeInos.add(ino)) {
      used--;
    }
  }

  private void grow(BlockAllocator allocator) {
    long index = chunks.size();
    if ((index + 1) * SLOTS_PER_CHUNK > TaggedWord.MAX_VALUE) {
      throw new ErrnoException(Errno.ENOSPC, "inode numbers exhausted");
    }
    long block = allocator.allocateOne(0, false);
    writeChunk(region, block, index);
    long lastOff = Layout.offset(chunks.get((int) index - 1));
    region.storeLong(lastOff + 16,
        TaggedWord.encode(block, TaggedWord.salt(TaggedWord.SALT_CHUNK_NEXT, index - 1)));
    region.persist(lastOff + 16, 8);
    chunks.add(block);
    for (int s = 1; s < SLOTS_PER_CHUNK; s++) {
      freeInos.add(index * SLOTS_PER_CHUNK + s);
    }
    grown.accept(chunks.size());
  }

  /** Sets what is told the chunk count each time the chain grows. */
  synchronized void onGrow(java.util.function.LongConsumer listener) {
    grown = listener;
  }

  /**
   * Prepares a free slot for a new inode: static fields, log head and tail, orphan cleared,
   * persisted. The slot stays free until the caller's transaction sets the valid word.
   */
  void prepare(long ino, int generation, int type, long headBlock, long tail) {
    long off = slotOffset(ino);
    ByteBuffer b = ByteBuffer.allocate(SLOT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(VALID, TaggedWord.NULL);
    b.putLong(ORPHAN, TaggedWord.NULL);
    b.putLong(HEAD, TaggedWord.encode(headBlock, TaggedWord.salt(TaggedWord.SALT_LOG_HEAD, ino)));
    b.putLong(TAIL, TaggedWord.encode(tail, TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, ino)));
    b.putLong(INO, ino);
    b.putInt(GENERATION, generation);
    b.putInt(TYPE, type);
    b.putInt(SLOT_CRC, Crc.crc32c(b.array(), INO, SLOT_CRC - INO));
    region.store(off, b.array(), 0, SLOT_SIZE);
    region.persist(off, SLOT_SIZE);
  }

  /** The generation the slot last held (for choosing the next one). */
  int generation(long ino) {
    return region.loadInt(slotOffset(ino) + GENERATION);
  }

  static long validWord(long ino, boolean valid) {
    return valid ? TaggedWord.encode(1, TaggedWord.salt(TaggedWord.SALT_INODE_VALID, ino))
        : TaggedWord.NULL;
  }

  static long orphanWord(long ino, boolean orphan) {
    return orphan ? TaggedWord.encode(1, TaggedWord.salt(TaggedWord.SALT_INODE_ORPHAN, ino))
        : TaggedWord.NULL;
  }

  static long tailWord(long ino, long tailOffset) {
    return TaggedWord.encode(tailOffset, TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, ino));
  }

  static long headWord(long ino, long headBlock) {
    return TaggedWord.encode(headBlock, TaggedWord.salt(TaggedWord.SALT_LOG_HEAD, ino));
  }

  /** Every inode number whose slot is not free (valid or damaged), ascending. */
  synchronized List<Long> usedInos() {
    List<Long> out = new ArrayList<>();
    for (long index = 0; index < chunks.size(); index++) {
      for (int s = 1; s < SLOTS_PER_CHUNK; s++) {
        long ino = index * SLOTS_PER_CHUNK + s;
        if (!freeInos.contains(ino)) {
          out.add(ino);
        }
      }
    }
    return out;
  }

  /** Number of chunks (inspect, fsck). */
  synchronized int chunkCount() {
    return chunks.size();
  }

  /** Block of each chunk (fsck: they are metadata). */
  synchronized List<Long> chunkBlocks() {
    return new ArrayList<>(chunks);
  }

  /** Inode numbers in use. */
  synchronized long usedInodes() {
    return used;
  }

  /** Free slots in the linked chunks. */
  synchronized long freeSlots() {
    return freeInos.size();
  }
}
