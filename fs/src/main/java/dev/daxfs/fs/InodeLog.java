package dev.daxfs.fs;

import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One inode's log: a chain of {@link LogPage}s whose entries, up to the committed tail, are the
 * inode's whole history. Appending writes and flushes entries beyond the tail; {@link #commit}
 * fences and moves the tail with one tagged 8-byte store, which is what makes a single-inode
 * operation atomic and durable. Operations that touch several inodes hand the new tail word to
 * the journal instead ({@link #pendingTailWord}) and call {@link #committed} afterwards.
 *
 * <p>Page sequences and entry sequences rise along the chain; the cleaner may unlink pages
 * whose entries are all dead ({@link #removePages}), which leaves gaps in both.
 *
 * <p>Not thread-safe: the owning inode's metadata lock serializes every call.
 */
final class InodeLog {

  /** Called for each committed entry during replay. */
  interface Visitor {
    /**
     * @param payload the entry's bytes, positioned after the header, limited to its length
     * @param offset region offset of the entry
     */
    void entry(int type, long sequence, ByteBuffer payload, long offset);
  }

  /** The inode this log belongs to. */
  final long ino;

  /** Where the pages live. */
  private final PmemRegion region;

  /** Blocks of the chain, head first; spare pages after the tail page included. */
  private long[] pages;

  /** Page sequence of each page of {@link #pages}. */
  private long[] sequences;

  /** Number of valid elements of {@link #pages} and {@link #sequences}. */
  private int pageCount;

  /** Index of the page holding the committed tail. */
  private int tailPage;

  /** Committed tail: region offset one past the last committed entry. */
  private long tail;

  /** Sequence number of the last committed entry. */
  private long tailSequence;

  /** Index of the page the next appended entry goes to. */
  private int appendPage;

  /** Region offset where the next appended entry goes. */
  private long appendOffset;

  /** Sequence number of the last appended entry. */
  private long appendSequence;

  /** Entries up to the tail (what replay read plus what was committed since). */
  private long entryCount;

  private InodeLog(PmemRegion region, long ino) {
    this.region = region;
    this.ino = ino;
    this.pages = new long[4];
    this.sequences = new long[4];
  }

  /** Creates a log with one empty page (its block from {@code allocator}). */
  static InodeLog create(PmemRegion region, BlockAllocator allocator, long ino, long hint,
      boolean mayUseReserve) {
    long block = allocator.allocateOne(hint, mayUseReserve);
    LogPage.format(region, block, ino, 0);
    InodeLog log = new InodeLog(region, ino);
    log.addPage(block, 0);
    log.tail = Layout.offset(block) + LogPage.HEADER;
    log.appendOffset = log.tail;
    return log;
  }

  /**
   * Opens a log at {@code head} with committed {@code tail}, replaying every committed entry
   * into {@code visitor} in order.
   *
   * @throws CorruptionException when a page, an entry or the tail fails its checks; the
   *     message names the inode and the offset
   */
  static InodeLog open(PmemRegion region, long ino, long head, long tail, long blockCount,
      Visitor visitor) {
    return open(region, ino, head, tail, blockCount, visitor, b -> {});
  }

  /**
   * As {@link #open}, telling {@code pages} each page's block as soon as its header checks out,
   * so that a caller knows which blocks a damaged log held up to the damage.
   */
  static InodeLog open(PmemRegion region, long ino, long head, long tail, long blockCount,
      Visitor visitor, java.util.function.LongConsumer pages) {
    InodeLog log = new InodeLog(region, ino);
    Set<Long> seen = new HashSet<>();
    long block = head;
    long previous = -1;
    int tailIndex = -1;
    byte[] page = new byte[Layout.BLOCK];
    long[] lastSeq = {0};
    while (block != 0) {
      if (block < Layout.FIRST_ALLOCATABLE || block >= blockCount) {
        throw new CorruptionException("log of inode " + ino, Layout.offset(block),
            "a page at block " + block + " lies outside the allocatable blocks");
      }
      if (!seen.add(block)) {
        throw new CorruptionException("log of inode " + ino, Layout.offset(block),
            "the page chain loops");
      }
      long[] header = LogPage.check(region, block, ino, previous);
      previous = header[0];
      log.addPage(block, header[0]);
      pages.accept(block);
      long pageOff = Layout.offset(block);
      boolean holdsTail = tail >= pageOff + LogPage.HEADER && tail <= pageOff + Layout.BLOCK;
      if (tailIndex < 0) {
        int end = holdsTail ? (int) (tail - pageOff) : Layout.BLOCK;
        try {
          // Only what replay reads: nothing beyond the tail matters, even poisoned.
          region.load(pageOff, page, 0, end);
        } catch (MediaErrorException e) {
          throw new CorruptionException("log page at block " + block + " of inode " + ino,
              pageOff, "media error");
        }
        log.replayPage(page, pageOff, end, holdsTail, lastSeq, visitor);
        if (holdsTail) {
          tailIndex = log.pageCount - 1;
        }
      }
      block = header[1];
    }
    if (tailIndex < 0) {
      throw new CorruptionException("log of inode " + ino, tail,
          "the tail lies in no page of the log");
    }
    log.tailPage = tailIndex;
    log.tail = tail;
    log.tailSequence = lastSeq[0];
    log.appendPage = tailIndex;
    log.appendOffset = tail;
    log.appendSequence = log.tailSequence;
    return log;
  }

  /** Replays one page's entries in {@code [HEADER, end)}; {@code lastSeq[0]} tracks order. */
  private void replayPage(byte[] page, long pageOff, int end, boolean holdsTail, long[] lastSeq,
      Visitor visitor) {
    ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
    int pos = LogPage.HEADER;
    while (pos < end) {
      if (end - pos < LogEntry.HEADER) {
        if (holdsTail) {
          throw new CorruptionException("log of inode " + ino, pageOff + pos,
              "the tail cuts an entry header");
        }
        break;
      }
      int type = b.getShort(pos) & 0xFFFF;
      int len = b.getShort(pos + 2) & 0xFFFF;
      String where = "log entry of inode " + ino;
      if (len < LogEntry.HEADER || (len & 7) != 0 || pos + len > Layout.BLOCK
          || (holdsTail && pos + len > end)) {
        throw new CorruptionException(where, pageOff + pos, "has an impossible length " + len);
      }
      byte[] raw = Arrays.copyOfRange(page, pos, pos + len);
      if (b.getInt(pos + 4) != LogEntry.crc(raw)) {
        throw new CorruptionException(where, pageOff + pos, "bad checksum");
      }
      if (type == LogEntry.PAD) {
        if (holdsTail && pos + len != end) {
          throw new CorruptionException(where, pageOff + pos, "padding before the tail");
        }
        if (pos + len != Layout.BLOCK) {
          // An append pads exactly to the end of the page it leaves.
          throw new CorruptionException(where, pageOff + pos, "padding that stops short of "
              + "the end of its page");
        }
        break;
      }
      if (type > LogEntry.MAX_TYPE) {
        throw new CorruptionException(where, pageOff + pos, "unknown type " + type);
      }
      if (len < LogEntry.minLength(type)) {
        throw new CorruptionException(where, pageOff + pos, "has an impossible length " + len
            + " for a " + LogEntry.typeName(type) + " entry");
      }
      long seq = b.getLong(pos + 8);
      if (seq <= lastSeq[0]) {
        throw new CorruptionException(where, pageOff + pos, "sequence " + seq + " after "
            + lastSeq[0] + " (entries out of order)");
      }
      lastSeq[0] = seq;
      entryCount++;
      ByteBuffer payload = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      payload.position(LogEntry.HEADER);
      visitor.entry(type, seq, payload, pageOff + pos);
      pos += len;
    }
  }

  private void addPage(long block, long sequence) {
    if (pageCount == pages.length) {
      pages = Arrays.copyOf(pages, pageCount * 2);
      sequences = Arrays.copyOf(sequences, pageCount * 2);
    }
    pages[pageCount] = block;
    sequences[pageCount] = sequence;
    pageCount++;
  }

  /**
   * Appends an entry started with {@link LogEntry#start}: seals it with the next sequence,
   * stores and flushes it (not yet fenced, not yet committed). A new page comes from {@code
   * allocator} when the current one is full, or a spare page of the chain is reused.
   *
   * @return the entry's region offset
   */
  long append(ByteBuffer entry, BlockAllocator allocator, boolean mayUseReserve,
      boolean flush) {
    byte[] sealed = LogEntry.seal(entry, appendSequence + 1);
    long pageEnd = Layout.offset(pages[appendPage]) + Layout.BLOCK;
    if (appendOffset + sealed.length > pageEnd) {
      long rest = pageEnd - appendOffset;
      if (rest >= LogEntry.HEADER) {
        ByteBuffer pad = LogEntry.start(LogEntry.PAD, (int) rest - LogEntry.HEADER);
        byte[] p = LogEntry.seal(pad, 0);
        region.store(appendOffset, p, 0, p.length);
        if (flush) {
          region.flush(appendOffset, p.length);
        }
      }
      if (appendPage + 1 == pageCount) {
        long block = allocator.allocateOne(pages[appendPage] + 1, mayUseReserve);
        long sequence = sequences[appendPage] + 1;
        LogPage.format(region, block, ino, sequence);
        LogPage.link(region, pages[appendPage], ino, sequences[appendPage], block);
        addPage(block, sequence);
      }
      appendPage++;
      appendOffset = Layout.offset(pages[appendPage]) + LogPage.HEADER;
    }
    long at = appendOffset;
    region.store(at, sealed, 0, sealed.length);
    if (flush) {
      region.flush(at, sealed.length);
    }
    appendOffset += sealed.length;
    appendSequence++;
    return at;
  }

  /** True when entries were appended since the last commit. */
  boolean hasPending() {
    return appendSequence != tailSequence;
  }

  /** The tail offset that would commit everything appended so far. */
  long pendingTail() {
    return appendOffset;
  }

  /** The tail word that would commit everything appended so far. */
  long pendingTailWord() {
    return InodeTable.tailWord(ino, appendOffset);
  }

  /**
   * Commits the appended entries: fence (orders their flushes), then the tail word, persisted.
   *
   * @param tailWordOffset region offset of this inode's tail word
   */
  void commit(long tailWordOffset, boolean fenceFirst) {
    if (!hasPending()) {
      return;
    }
    if (fenceFirst) {
      region.fence();
    }
    region.storeLong(tailWordOffset, pendingTailWord());
    region.persist(tailWordOffset, 8);
    committed();
  }

  /** Records that the pending tail is now durable (after a journal transaction set it). */
  void committed() {
    entryCount += appendSequence - tailSequence;
    tail = appendOffset;
    tailSequence = appendSequence;
    tailPage = appendPage;
  }

  /** Forgets entries appended since the last commit; they stay beyond the tail, unread. */
  void abort() {
    appendOffset = tail;
    appendSequence = tailSequence;
    appendPage = tailPage;
  }

  long headBlock() {
    return pages[0];
  }

  long tail() {
    return tail;
  }

  long entryCount() {
    return entryCount;
  }

  /** The chain's blocks, head first (spare pages included). */
  long[] pageBlocks() {
    return Arrays.copyOf(pages, pageCount);
  }

  int pageCount() {
    return pageCount;
  }

  /** Index in the chain of the page holding the committed tail. */
  int tailPageIndex() {
    return tailPage;
  }

  /** Page sequence of the page at chain index {@code i}. */
  long sequenceAt(int i) {
    return sequences[i];
  }

  /**
   * Forgets the pages at the given chain indexes, which a committed change has unlinked (none
   * is the head, the tail's page or after it).
   */
  void removePages(Set<Integer> indexes) {
    int w = 0;
    int removedBeforeTail = 0;
    for (int r = 0; r < pageCount; r++) {
      if (indexes.contains(r)) {
        if (r == 0 || r >= tailPage) {
          throw new IllegalStateException("cannot remove page " + r + " of the log of inode "
              + ino + " (tail page " + tailPage + ")");
        }
        removedBeforeTail++;
        continue;
      }
      pages[w] = pages[r];
      sequences[w] = sequences[r];
      w++;
    }
    pageCount = w;
    tailPage -= removedBeforeTail;
    appendPage -= removedBeforeTail;
  }

  /** Returns every page to {@code allocator} (after the inode's slot was freed durably). */
  void freePages(BlockAllocator allocator) {
    for (int i = 0; i < pageCount; i++) {
      allocator.free(pages[i], 1);
    }
    pageCount = 0;
  }

  /** The pages in chain order for inspect: {@code {block, sequence}}. */
  List<long[]> describePages() {
    List<long[]> out = new java.util.ArrayList<>();
    for (int i = 0; i < pageCount; i++) {
      out.add(new long[] {pages[i], sequences[i]});
    }
    return out;
  }
}
