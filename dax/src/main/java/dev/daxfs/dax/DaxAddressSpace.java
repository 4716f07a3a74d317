package dev.daxfs.dax;

import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.Range;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One file's DAX address space (Linux's {@code struct address_space} of a DAX inode): the
 * file's entries by page index, the CPU mappings of the file, the invalidation notifiers of
 * devices that mirror it, and the long-term pin policy the filesystem set. The filesystem makes
 * one per open or mapped inode and implements {@link IomapOps} for it.
 *
 * <h2>Entries and their locks</h2>
 *
 * An entry records which page a file page index is mapped to (a region page frame, or the zero
 * page for a hole), whether it was written since the last writeback, and a lock bit. The entry
 * lock serializes everything that decides what the index maps to: faults, gup's slow path,
 * writeback of the page, the filesystem's copy-on-write decision and the layout break. It is a
 * bit in the entry, waited for on hashed wait heads, and not reentrant.
 *
 * <h2>The invalidate lock</h2>
 *
 * {@link #invalidateLock()} (Linux's {@code mapping->invalidate_lock}): page faults and gup's slow
 * path take it shared; a layout break takes it exclusively, after the file's I/O lock, so no new
 * mapping or slow-path pin can appear in the range while it scans. gup's fast path takes no lock:
 * it reaches pages only through installed ptes and revalidates them, so once a layout break has
 * unmapped a range a new pin there is either visible to its scan or never taken.
 *
 * <h2>What the filesystem calls</h2>
 *
 * <ul>
 *   <li>Write path, per page, holding the file's I/O lock: {@link #lockEntry}; if the block's page
 *       {@link #isPageInUse in use} (mapped or pinned) write in place, else copy-on-write and then
 *       {@link #replaceEntryPage} or {@link #dropEntryPage}; {@link #unlockEntry}.
 *   <li>Layout break (truncate, punch, zero, collapse, insert, eviction), holding the I/O lock
 *       and the invalidate lock exclusively: {@link #layoutBusyPage}; while a page is busy, drop
 *       only the invalidate lock, {@link #waitIdle}, retake it, rescan ({@link #breakLayouts} does
 *       exactly this loop); then {@link #removeEntries} and free the blocks under both locks.
 *   <li>fsync: {@link #writeback}.
 *   <li>Page owners: {@link PageDescriptors#setOwner}/{@link PageDescriptors#clearOwner} when a
 *       block enters or leaves the file.
 * </ul>
 */
public final class DaxAddressSpace {

  private static final int PAGE_SHIFT = PageDescriptors.PAGE_SHIFT;
  private static final int PAGE_SIZE = PmemRegion.PAGE_SIZE;

  /** The page descriptors of the region the file lives on. */
  private final PageDescriptors pages;

  /** The region. */
  private final PmemRegion region;

  /** The file's inode number, which page owners name. */
  private final long inode;

  /** The filesystem's block mapping of this file. */
  private final IomapOps ops;

  /** Entries by page index; each entry's lock bit guards the entry. */
  private final EntryTable entries = new EntryTable();

  /** Wait heads for entry locks, hashed by page index. */
  private final WaitTable entryWaiters = new WaitTable(64);

  /**
   * Faults and slow-path pins shared; layout breaks exclusive. Not fair: a fair lock would make
   * every fault queue behind a waiting break, which is not what Linux's rwsem does either.
   */
  private final ReentrantReadWriteLock invalidateLock = new ReentrantReadWriteLock();

  /** The file's CPU mappings; copy-on-write because unmapping walks it far more than mmap adds. */
  private final CopyOnWriteArrayList<CpuMapping> mappings = new CopyOnWriteArrayList<>();

  /** Registered invalidation notifiers (ODP devices). */
  private final CopyOnWriteArrayList<InvalidationNotifier> notifiers = new CopyOnWriteArrayList<>();

  /** Decides long-term pins and ODP registrations; Linux's fsdax rule until the filesystem sets one. */
  private volatile LongTermPinPolicy longTermPinPolicy = LongTermPinPolicy.ODP_ONLY;

  /**
   * @param pages the descriptor table of the region the file's blocks live on
   * @param inode the file's inode number (> 0), as page owners record it
   * @param ops the filesystem's block mapping for this file
   */
  public DaxAddressSpace(PageDescriptors pages, long inode, IomapOps ops) {
    this.pages = Objects.requireNonNull(pages, "pages");
    this.region = Objects.requireNonNull(pages.region(), "a detached descriptor table has no region to map");
    if (inode <= 0) {
      throw new IllegalArgumentException("inode number must be positive, not " + inode);
    }
    this.inode = inode;
    this.ops = Objects.requireNonNull(ops, "ops");
  }

  /** The page descriptors of the file's region. */
  public PageDescriptors pages() {
    return pages;
  }

  /** The region the file's blocks live on. */
  public PmemRegion region() {
    return region;
  }

  /** The file's inode number. */
  public long inode() {
    return inode;
  }

  /**
   * The invalidate lock: faults and gup's slow path hold it shared; a layout break holds it
   * exclusively (after the file's I/O lock) and drops it, and only it, while waiting for a busy
   * page.
   */
  public ReentrantReadWriteLock invalidateLock() {
    return invalidateLock;
  }

  // ---- long-term pin policy -------------------------------------------------------------------

  /** Sets who decides long-term pins and ODP registrations on this file. */
  public void setLongTermPinPolicy(LongTermPinPolicy policy) {
    this.longTermPinPolicy = Objects.requireNonNull(policy, "policy");
  }

  /** The current long-term pin policy. */
  public LongTermPinPolicy longTermPinPolicy() {
    return longTermPinPolicy;
  }

  /** Asks the policy; throws its refusal (EOPNOTSUPP unless it says otherwise). */
  public void checkLongTermPin(LongTermPinRequest request) throws ErrnoException {
    if (request.space() != this) {
      throw new IllegalArgumentException("long-term pin request names another address space");
    }
    longTermPinPolicy.check(request);
  }

  // ---- mappings -------------------------------------------------------------------------------

  /**
   * Maps {@code [fileOffset, fileOffset+length)} of the file shared into the process.
   *
   * @param prot {@link CpuMapping#PROT_READ}, optionally with {@link CpuMapping#PROT_WRITE}
   * @param flags 0 or {@link CpuMapping#MAP_SYNC}
   * @throws ErrnoException EINVAL for an unaligned offset, a length that is not positive, an
   *     offset range that overflows, or unknown prot or flag bits
   */
  public CpuMapping mmap(long fileOffset, long length, int prot, int flags) throws ErrnoException {
    if (fileOffset < 0 || (fileOffset & (PAGE_SIZE - 1)) != 0) {
      throw new ErrnoException(Errno.EINVAL, "mmap offset must be a non-negative multiple of 4096, not " + fileOffset);
    }
    if (length <= 0 || fileOffset > Long.MAX_VALUE - length - PAGE_SIZE) {
      throw new ErrnoException(Errno.EINVAL, "mmap length must be positive and fit after the offset, not " + length);
    }
    if (prot == 0 || (prot & ~(CpuMapping.PROT_READ | CpuMapping.PROT_WRITE)) != 0) {
      throw new ErrnoException(Errno.EINVAL, "mmap prot must be PROT_READ, optionally with PROT_WRITE, not " + prot);
    }
    if ((flags & ~CpuMapping.MAP_SYNC) != 0) {
      throw new ErrnoException(Errno.EINVAL, "mmap flags may only be MAP_SYNC, not 0x" + Integer.toHexString(flags));
    }
    if (((length + PAGE_SIZE - 1) >>> PAGE_SHIFT) > (long) Integer.MAX_VALUE << 9) {
      throw new ErrnoException(Errno.EINVAL, "mmap length " + length + " is too large");
    }
    CpuMapping mapping = new CpuMapping(this, fileOffset, length, prot, flags);
    mappings.add(mapping);
    return mapping;
  }

  /** The file's current CPU mappings. */
  public List<CpuMapping> mappings() {
    return List.copyOf(mappings);
  }

  void removeMapping(CpuMapping mapping) {
    mappings.remove(mapping);
  }

  // ---- invalidation notifiers -----------------------------------------------------------------

  /**
   * Registers an ODP device's notifier on file pages {@code [startIndex, endIndex)}.
   *
   * @param callback told about each invalidation, or null
   */
  public InvalidationNotifier registerNotifier(
      long startIndex, long endIndex, InvalidationCallback callback) {
    if (startIndex < 0 || endIndex <= startIndex) {
      throw new IllegalArgumentException(
          "notifier range must be 0 <= start < end, not [" + startIndex + ", " + endIndex + ")");
    }
    InvalidationNotifier notifier = new InvalidationNotifier(this, startIndex, endIndex, callback);
    notifiers.add(notifier);
    return notifier;
  }

  /** The registered notifiers. */
  public List<InvalidationNotifier> notifiers() {
    return List.copyOf(notifiers);
  }

  void removeNotifier(InvalidationNotifier notifier) {
    notifiers.remove(notifier);
  }

  /** Runs the notifiers overlapping file pages {@code [start, end)}. */
  void invalidateNotifiers(long start, long end) {
    for (InvalidationNotifier n : notifiers) {
      if (n.overlaps(start, end)) {
        n.invalidate(start, end);
      }
    }
  }

  /**
   * Unmaps file pages {@code [startIndex, endIndex)} from every CPU mapping
   * (unmap_mapping_range): the invalidation notifiers run first, then each mapping clears its
   * ptes, shoots down its TLB and drops the references. Mappings stay; their next access faults.
   */
  public void unmapRange(long startIndex, long endIndex) {
    checkRange(startIndex, endIndex);
    invalidateNotifiers(startIndex, endIndex);
    for (CpuMapping m : mappings) {
      m.zapFileRange(startIndex, endIndex);
    }
  }

  // ---- entries --------------------------------------------------------------------------------

  /** The entry of page {@code index} now, without locking it. */
  public DaxEntry entry(long index) {
    checkIndex(index);
    return EntryTable.snapshot(index, entries.get(index));
  }

  /**
   * Locks the entry of page {@code index}, waiting while someone else holds it; creates an empty
   * locked entry if there is none, so faults on the index wait too. Not reentrant. Waits are
   * uninterruptible: entry locks are held only briefly.
   *
   * @return the entry as locked
   */
  public DaxEntry lockEntry(long index) {
    checkIndex(index);
    for (;;) {
      long e = entries.get(index);
      if (e == 0) {
        if (entries.compareAndSet(index, 0, EntryTable.LOCKED)) {
          return EntryTable.snapshot(index, EntryTable.LOCKED);
        }
      } else if (!EntryTable.locked(e)) {
        if (entries.compareAndSet(index, e, e | EntryTable.LOCKED)) {
          return EntryTable.snapshot(index, e | EntryTable.LOCKED);
        }
      } else {
        waitUnlocked(index);
      }
    }
  }

  /**
   * Unlocks the entry of page {@code index}, waking its waiters. An empty entry (locked by
   * {@link #lockEntry} or left by {@link #dropEntryPage}) disappears.
   *
   * @throws IllegalStateException when the entry is not locked
   */
  public void unlockEntry(long index) {
    checkIndex(index);
    for (;;) {
      long e = entries.get(index);
      if (!EntryTable.locked(e)) {
        throw new IllegalStateException("entry of page " + index + " of inode " + inode + " is not locked");
      }
      boolean empty = !EntryTable.isPage(e) && !EntryTable.isZero(e);
      long unlocked = empty ? 0L : e & ~(EntryTable.LOCKED | EntryTable.WAITERS);
      if (entries.compareAndSet(index, e, unlocked)) {
        if ((e & EntryTable.WAITERS) != 0) {
          entryWaiters.wakeAll(index);
        }
        return;
      }
    }
  }

  /** Sleeps until the entry of {@code index} is not locked (or gone). */
  private void waitUnlocked(long index) {
    boolean interrupted = false;
    Object head = entryWaiters.head(index);
    synchronized (head) {
      for (;;) {
        long e = entries.get(index);
        if (!EntryTable.locked(e)) {
          break;
        }
        // Announce under the monitor; the unlocker clears the bit and then takes the monitor.
        if ((e & EntryTable.WAITERS) == 0
            && !entries.compareAndSet(index, e, e | EntryTable.WAITERS)) {
          continue;
        }
        try {
          head.wait();
        } catch (InterruptedException ie) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Replaces a locked entry's contents, keeping the lock and waiter bits. */
  private void setLocked(long index, long contents) {
    for (;;) {
      long e = entries.get(index);
      if (!EntryTable.locked(e)) {
        throw new IllegalStateException("entry of page " + index + " of inode " + inode + " is not locked");
      }
      long update = contents | (e & (EntryTable.LOCKED | EntryTable.WAITERS));
      if (entries.compareAndSet(index, e, update)) {
        return;
      }
    }
  }

  private long lockedEntry(long index) {
    long e = entries.get(index);
    if (!EntryTable.locked(e)) {
      throw new IllegalStateException("entry of page " + index + " of inode " + inode + " must be locked by the caller");
    }
    return e;
  }

  /**
   * Whether page frame {@code pfn} is held by anything: a CPU mapping, a pin, a get (refcount
   * != 0). The copy-on-write decision: a page in use is written in place. Asked under the entry
   * lock of the index whose block {@code pfn} is, the answer can only go from true to false,
   * because new references come only from faults (which need that lock) and from gup's fast
   * path through installed ptes (which hold a reference themselves).
   */
  public boolean isPageInUse(long pfn) {
    return !pages.isIdle(pfn);
  }

  /**
   * After a copy-on-write moved page {@code index} to {@code newPfn}: unmaps the index from every
   * mapping (notifiers first) and points the entry at the new page, clean. The caller holds the
   * entry lock and has made the new block's data durable itself.
   *
   * @throws IllegalStateException when the entry is not locked, or its old page is still in use
   *     once unmapped (a pinned page must be written in place, never moved)
   */
  public void replaceEntryPage(long index, long newPfn) {
    checkIndex(index);
    checkPfn(newPfn);
    long e = lockedEntry(index);
    if (EntryTable.isPage(e) && EntryTable.pfn(e) == newPfn) {
      throw new IllegalArgumentException(
          "replaceEntryPage of page " + index + " of inode " + inode + " with the page frame it already maps, " + newPfn);
    }
    releaseEntryPage(index);
    setLocked(index, EntryTable.PAGE | newPfn);
  }

  /**
   * After the filesystem moved or freed the block of page {@code index} (or allocated one in a
   * hole mapped to the zero page): unmaps the index from every mapping and empties the entry;
   * the next fault asks {@link IomapOps} again. The caller holds the entry lock.
   *
   * @throws IllegalStateException as {@link #replaceEntryPage}
   */
  public void dropEntryPage(long index) {
    checkIndex(index);
    releaseEntryPage(index);
    setLocked(index, 0L);
  }

  /** Unmaps a locked entry's page everywhere; returns its old page frame or -1. */
  private long releaseEntryPage(long index) {
    long e = lockedEntry(index);
    if (!EntryTable.isPage(e) && !EntryTable.isZero(e)) {
      return -1;
    }
    unmapRange(index, index + 1);
    if (EntryTable.isPage(e)) {
      long pfn = EntryTable.pfn(e);
      if (!pages.isIdle(pfn)) {
        throw new IllegalStateException(
            "page " + index + " of inode " + inode + " cannot leave page frame " + pfn
                + " while it is in use (" + pages.describe(pfn) + "); write it in place");
      }
      return pfn;
    }
    return -1;
  }

  /**
   * Marks page {@code index} dirty if its entry still maps {@code pfn}: what an unpin with
   * makeDirty does for a page a device wrote. Lock-free; the entry may be locked.
   *
   * @return whether the entry maps {@code pfn} (and is now dirty)
   */
  public boolean markDirty(long index, long pfn) {
    checkIndex(index);
    for (;;) {
      long e = entries.get(index);
      if (!EntryTable.isPage(e) || EntryTable.pfn(e) != pfn) {
        return false;
      }
      if (EntryTable.dirty(e) || entries.compareAndSet(index, e, e | EntryTable.DIRTY)) {
        return true;
      }
    }
  }

  // ---- faults ---------------------------------------------------------------------------------

  /**
   * Handles a fault of mapping page {@code pageNo} and takes {@code grab} on the result. The
   * caller ({@link CpuMapping#followPage}) holds the mapping's mmapLock shared and has checked
   * the address; this takes the invalidate lock shared and the entry lock.
   */
  long fault(CpuMapping m, long pageNo, boolean write, PageGrab grab) throws ErrnoException {
    Lock shared = invalidateLock.readLock();
    shared.lock();
    try {
      long index = m.fileIndex(pageNo);
      lockEntry(index);
      try {
        long pte;
        do {
          pte = faultLocked(m, pageNo, index, write);
        } while (pte == RETRY);
        if (Pte.zeroPage(pte)) {
          return Pte.ZERO_PFN;
        }
        long pfn = Pte.pfn(pte);
        if (grab != PageGrab.NONE) {
          // The pte may predate the media error; a device must not be handed a poisoned page.
          checkPoison(index, pfn);
        }
        switch (grab) {
          case PIN -> {
            if (!pages.tryPin(pfn)) {
              throw new ErrnoException(Errno.ENOMEM, "page frame " + pfn + " cannot take another pin");
            }
          }
          case GET -> {
            if (!pages.tryGet(pfn)) {
              throw new ErrnoException(Errno.ENOMEM, "page frame " + pfn + " cannot take another reference");
            }
          }
          case NONE -> {}
        }
        return pfn;
      } finally {
        unlockEntry(index);
      }
    } finally {
      shared.unlock();
    }
  }

  /** The fault proper, under the invalidate lock (shared) and the entry lock. Returns the pte. */
  private long faultLocked(CpuMapping m, long pageNo, long index, boolean write) throws ErrnoException {
    long pte = m.pte(pageNo);
    if (Pte.present(pte) && (!write || Pte.writable(pte))) {
      return pte;
    }
    long e = entries.get(index);
    Iomap map = write ? ops.mapWrite(index) : ops.mapRead(index);
    if (map == null) {
      throw new IllegalStateException("block mapping of page " + index + " of inode " + inode + " returned nothing");
    }
    switch (map.type()) {
      case EOF:
        throw new ErrnoException(
            Errno.EFAULT,
            "SIGBUS: page " + index + " of inode " + inode + " is at or beyond end of file");
      case HOLE:
      case UNWRITTEN:
        if (write) {
          throw new IllegalStateException(
              "mapWrite of page " + index + " of inode " + inode + " returned " + map.type()
                  + "; a write mapping must be an allocated, written block");
        }
        if (!EntryTable.isZero(e)) {
          if (EntryTable.isPage(e)) {
            unmapRange(index, index + 1);
          }
          setLocked(index, EntryTable.ZERO);
        }
        long current = m.pte(pageNo);
        if (Pte.present(current)) {
          return current;
        }
        return m.installZeroPage(pageNo) ? Pte.ZERO_PAGE : RETRY;
      case MAPPED:
        break;
    }
    long pfn = map.pfn();
    if (pfn >= pages.pageCount()) {
      throw new ErrnoException(
          Errno.EIO,
          "filesystem mapped page " + index + " of inode " + inode + " to page frame " + pfn
              + ", outside the region's " + pages.pageCount() + " pages");
    }
    checkPoison(index, pfn);
    if (write && m.mapSync() && !map.metadataDurable()) {
      ops.syncMetadata(index);
    }
    boolean samePage = EntryTable.isPage(e) && EntryTable.pfn(e) == pfn;
    if (!samePage && (EntryTable.isPage(e) || EntryTable.isZero(e))) {
      // The file page moved (or a hole got a block): nobody may keep mapping the old page.
      unmapRange(index, index + 1);
    }
    // Dirty before writable: a writable pte exists only while the entry is dirty.
    long dirty = write ? EntryTable.DIRTY : samePage ? e & EntryTable.DIRTY : 0L;
    setLocked(index, EntryTable.PAGE | pfn | dirty);
    pte = m.pte(pageNo);
    if (Pte.present(pte) && (Pte.zeroPage(pte) || Pte.pfn(pte) != pfn)) {
      m.zapFileRange(index, index + 1);
      pte = Pte.NONE;
    }
    if (Pte.present(pte)) {
      return m.makeWritable(pageNo, pte) ? pte | Pte.WRITE : RETRY;
    }
    return m.installPage(pageNo, pfn, write) ? Pte.of(pfn, write) : RETRY;
  }

  /** What {@link #faultLocked} answers when an unmap raced with it: fault again. */
  private static final long RETRY = Long.MIN_VALUE;

  private void checkPoison(long index, long pfn) throws ErrnoException {
    long off = pfn << PAGE_SHIFT;
    for (Range r : region.poisoned()) {
      if (r.overlaps(off, PAGE_SIZE)) {
        throw new ErrnoException(
            Errno.EIO,
            "SIGBUS: page " + index + " of inode " + inode + " (page frame " + pfn
                + ") has a media error at region offset " + Math.max(off, r.offset()));
      }
    }
  }

  // ---- layout break ---------------------------------------------------------------------------

  /**
   * The layout-busy scan (dax_layout_busy_page_range): unmaps file pages
   * {@code [startIndex, endIndex)} from every mapping (the invalidation notifiers run first),
   * waits out locked entries, and returns the first page frame in the range that is DMA-busy.
   *
   * <p>The caller holds the file's I/O lock and this space's invalidate lock exclusively, so no
   * fault or slow-path pin can map the range again while the scan runs.
   *
   * @return the first DMA-busy page frame, or empty when none is
   * @throws IllegalStateException when the caller does not hold the invalidate lock exclusively
   */
  public OptionalLong layoutBusyPage(long startIndex, long endIndex) {
    checkRange(startIndex, endIndex);
    requireInvalidateLockHeld("layoutBusyPage");
    unmapRange(startIndex, endIndex);
    long[] busy = {-1};
    entries.forEach(startIndex, endIndex, (chunk, slot, index, e) -> {
      if (EntryTable.locked(e)) {
        waitUnlocked(index);
        e = EntryTable.get(chunk, slot);
      }
      if (EntryTable.isPage(e) && pages.isDmaBusy(EntryTable.pfn(e))) {
        busy[0] = EntryTable.pfn(e);
        return false;
      }
      return true;
    });
    return busy[0] < 0 ? OptionalLong.empty() : OptionalLong.of(busy[0]);
  }

  /**
   * Waits until no pin or get holds page frame {@code pfn} (idle once unmapped): see {@link
   * PageDescriptors#waitIdle(long, Duration)}. Call it with the invalidate lock dropped, then
   * retake the lock and scan again.
   */
  public boolean waitIdle(long pfn, Duration timeout) throws InterruptedException {
    return pages.waitIdle(pfn, timeout);
  }

  /**
   * Steps 2 and 3 of a layout break: scans with {@link #layoutBusyPage}, and while a page is
   * busy drops the invalidate lock, waits for that page to become idle, retakes the lock and
   * rescans from the start. Returns with the invalidate lock held exclusively again in every
   * case, including an exception; the caller then changes the block map, calls
   * {@link #removeEntries} and frees the blocks without releasing it.
   *
   * @param timeout bound on the whole break, or null to wait as long as it takes
   * @return true when no page of the range is busy; false when the timeout passed first
   * @throws InterruptedException when interrupted while waiting (the caller answers EINTR)
   * @throws IllegalStateException unless the caller holds the invalidate lock exclusively, once
   */
  public boolean breakLayouts(long startIndex, long endIndex, Duration timeout) throws InterruptedException {
    requireInvalidateLockHeld("breakLayouts");
    if (invalidateLock.getWriteHoldCount() != 1) {
      throw new IllegalStateException("breakLayouts must be able to drop the invalidate lock: it is held "
          + invalidateLock.getWriteHoldCount() + " times");
    }
    long start = System.nanoTime();
    for (;;) {
      OptionalLong busy = layoutBusyPage(startIndex, endIndex);
      if (busy.isEmpty()) {
        return true;
      }
      Duration left = null;
      if (timeout != null) {
        left = timeout.minusNanos(System.nanoTime() - start);
        if (left.isNegative() || left.isZero()) {
          return false;
        }
      }
      invalidateLock.writeLock().unlock();
      try {
        if (left == null) {
          pages.waitIdle(busy.getAsLong());
        } else {
          pages.waitIdle(busy.getAsLong(), left);
        }
      } finally {
        invalidateLock.writeLock().lock();
      }
    }
  }

  /**
   * Removes the entries of file pages {@code [startIndex, endIndex)} after a layout break found
   * nothing busy: unmaps the range again (cheap when nothing is mapped), waits out locked
   * entries, writes back the dirty ones and deletes the entries. The caller holds the I/O lock
   * and the invalidate lock exclusively and frees the blocks afterwards, still under both.
   *
   * <p>Dirty pages are written back because their blocks may survive the removal: the page
   * holding a new end of file, pages a collapse or insert shifts. Once its entry is gone no
   * later fsync or sync can find a store made through the mapping.
   *
   * @throws IllegalStateException when the invalidate lock is not held exclusively
   */
  public void removeEntries(long startIndex, long endIndex) {
    checkRange(startIndex, endIndex);
    requireInvalidateLockHeld("removeEntries");
    unmapRange(startIndex, endIndex);
    boolean[] flushed = {false};
    entries.forEach(startIndex, endIndex, (chunk, slot, index, e) -> {
      for (;;) {
        if (e == 0) {
          return true;
        }
        if (EntryTable.locked(e)) {
          waitUnlocked(index);
        } else if (EntryTable.isPage(e) && !pages.isIdle(EntryTable.pfn(e))) {
          // gup's fast path may hold a speculative reference it is about to back out of: it
          // read the pte before the unmap and will find it gone when it revalidates. Such a
          // reference is brief, and no new one can come (faults and the slow path are blocked).
          awaitIdleUninterruptibly(EntryTable.pfn(e));
        } else if (EntryTable.compareAndSet(chunk, slot, e, 0)) {
          if (EntryTable.isPage(e) && EntryTable.dirty(e)) {
            // Unmapped and idle: no CPU store or device write can follow the flush.
            region.flush(EntryTable.pfn(e) << PAGE_SHIFT, PAGE_SIZE);
            flushed[0] = true;
          }
          return true;
        }
        e = EntryTable.get(chunk, slot);
      }
    });
    if (flushed[0]) {
      region.fence();
    }
  }

  private void awaitIdleUninterruptibly(long pfn) {
    boolean interrupted = false;
    while (true) {
      try {
        pages.waitIdle(pfn);
        break;
      } catch (InterruptedException ie) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- writeback ------------------------------------------------------------------------------

  /**
   * fsync of file pages {@code [startIndex, endIndex)}: for every dirty entry, under its entry
   * lock, runs the notifiers (ODP mirrors must fault again to write), write-protects the page in
   * every mapping (waiting out stores in flight), writes its cache lines back through the region
   * and marks the entry clean; then fences once. The next store, or FOLL_WRITE pin, takes a write
   * fault that dirties the entry again, so no write through a mapping or pin can slip past an
   * fsync unnoticed. Takes no lock but entry locks.
   *
   * @return the number of pages written back
   */
  public int writeback(long startIndex, long endIndex) {
    checkRange(startIndex, endIndex);
    int[] written = {0};
    entries.forEach(startIndex, endIndex, (chunk, slot, index, seen) -> {
      if (!EntryTable.isPage(seen) || !EntryTable.dirty(seen)) {
        return true;
      }
      lockEntry(index);
      try {
        long e = entries.get(index);
        if (EntryTable.isPage(e) && EntryTable.dirty(e)) {
          long pfn = EntryTable.pfn(e);
          invalidateNotifiers(index, index + 1);
          for (CpuMapping m : mappings) {
            m.writeProtect(index);
          }
          region.flush(pfn << PAGE_SHIFT, PAGE_SIZE);
          setLocked(index, e & ~(EntryTable.DIRTY | EntryTable.LOCKED | EntryTable.WAITERS));
          written[0]++;
        }
      } finally {
        unlockEntry(index);
      }
      return true;
    });
    if (written[0] > 0) {
      region.fence();
    }
    return written[0];
  }

  // ---- checks ---------------------------------------------------------------------------------

  private void requireInvalidateLockHeld(String what) {
    if (!invalidateLock.isWriteLockedByCurrentThread()) {
      throw new IllegalStateException(what + " needs the invalidate lock of inode " + inode + " held exclusively");
    }
  }

  private static void checkIndex(long index) {
    if (index < 0) {
      throw new IndexOutOfBoundsException("page index must not be negative: " + index);
    }
  }

  private static void checkRange(long start, long end) {
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("page range must be 0 <= start <= end, not [" + start + ", " + end + ")");
    }
  }

  private void checkPfn(long pfn) {
    if (pfn < 0 || pfn >= pages.pageCount()) {
      throw new IndexOutOfBoundsException(
          "page frame " + pfn + " is outside the region's " + pages.pageCount() + " pages");
    }
  }

  @Override
  public String toString() {
    return "DAX address space of inode " + inode + " (" + mappings.size() + " mappings, "
        + notifiers.size() + " notifiers)";
  }
}
