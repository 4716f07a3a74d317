package dev.daxfs.dax;

import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.PmemRegion;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * A shared mapping of a file range inside the process: what a user's {@code mmap(MAP_SHARED)} of
 * a daxfs file is here. Addresses are byte offsets from the start of the mapping. Every load and
 * store goes through the region ({@link PmemRegion}) at the page frame its page table entry
 * names; the first access to a page faults it in through the file's {@link DaxAddressSpace}.
 *
 * <ul>
 *   <li>A read fault on a hole (or unwritten extent) maps the zero page: loads see zeroes and
 *       nothing is allocated.
 *   <li>A write fault asks the filesystem to allocate ({@link IomapOps#mapWrite}), marks the
 *       file's entry dirty, and maps the page writable, taking the mapping's reference and
 *       mapcount. In a {@link #MAP_SYNC} mapping the block's metadata is made durable first.
 *   <li>An access at or beyond end of file fails with {@link Errno#EFAULT} ("SIGBUS"); outside
 *       the mapping, or in a munmapped part of it, with EFAULT ("SIGSEGV"); a media error with
 *       {@link Errno#EIO}.
 * </ul>
 *
 * <h2>Locks</h2>
 *
 * <ul>
 *   <li>{@link #mmapLock} (mmap_lock): faults and slow-path pins hold it shared, {@link #munmap}
 *       exclusively. Lock order: mmapLock, then the address space's invalidate lock, then an
 *       entry lock, then a notifier lock.
 *   <li>{@link #tlb}: models the TLB. Stores hold it shared while they write through a pte; loads
 *       read optimistically and retry if it was taken exclusively meanwhile. Whoever clears or
 *       write-protects ptes takes it exclusively once afterwards (a TLB shootdown), so no access
 *       through the old pte is still in flight when the page's reference is dropped or its cache
 *       lines are written back.
 *   <li>Page table entries change by compare-and-swap: installs and upgrades happen under the
 *       page's entry lock, clears under the invalidate lock (exclusive), the entry lock or
 *       mmapLock (exclusive), so exactly one clearer drops each reference.
 * </ul>
 */
public final class CpuMapping {

  /** Pages may be read. */
  public static final int PROT_READ = 0x1;

  /** Pages may be written (implies read, as on x86). */
  public static final int PROT_WRITE = 0x2;

  /**
   * Synchronous page faults (MAP_SYNC, Linux's value): a write fault makes the block's metadata
   * durable before the page becomes writable, so a store flushed by the application is
   * reachable after a crash without fsync.
   */
  public static final int MAP_SYNC = 0x80000;

  private static final int PAGE_SHIFT = PageDescriptors.PAGE_SHIFT;
  private static final int PAGE_SIZE = PmemRegion.PAGE_SIZE;
  private static final int TABLE_SHIFT = 9;
  private static final int TABLE_SIZE = 1 << TABLE_SHIFT;

  /** What {@link #grabFast} returns when the page must take the slow path. */
  public static final long NOT_FAST = Long.MIN_VALUE;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle TABLES = MethodHandles.arrayElementVarHandle(long[][].class);

  /** The file's address space. */
  private final DaxAddressSpace space;

  /** The page descriptors of the file's region. */
  private final PageDescriptors pages;

  /** The region every access goes through. */
  private final PmemRegion region;

  /** File page index of the mapping's first page. */
  private final long firstIndex;

  /** Length in bytes as requested. */
  private final long length;

  /** Pages in the mapping: length rounded up. */
  private final long pageCount;

  /** PROT_WRITE was given. */
  private final boolean writable;

  /** MAP_SYNC was given. */
  private final boolean mapSync;

  /** Page tables of {@value #TABLE_SIZE} ptes, allocated on first install; published by CAS. */
  private final long[][] tables;

  /** mmap_lock: faults and slow-path pins shared, munmap exclusive. */
  private final ReentrantReadWriteLock mmapLock = new ReentrantReadWriteLock();

  /** Set by the first {@link #close}; guarded by the mmap lock. */
  private boolean closed;

  /** Run once after {@link #close}; see {@link #onClose}. */
  private volatile Runnable onClose;

  /** In-flight accesses through ptes; exclusive acquisition is a TLB shootdown. */
  private final StampedLock tlb = new StampedLock();

  /** Munmapped page ranges, start page to end page. Guarded by {@link #mmapLock}. */
  private final TreeMap<Long, Long> unmapped = new TreeMap<>();

  CpuMapping(DaxAddressSpace space, long fileOffset, long length, int prot, int flags) {
    this.space = space;
    this.pages = space.pages();
    this.region = space.region();
    this.firstIndex = fileOffset >>> PAGE_SHIFT;
    this.length = length;
    this.pageCount = (length + PAGE_SIZE - 1) >>> PAGE_SHIFT;
    this.writable = (prot & PROT_WRITE) != 0;
    this.mapSync = (flags & MAP_SYNC) != 0;
    this.tables = new long[(int) ((pageCount + TABLE_SIZE - 1) >>> TABLE_SHIFT)][];
  }

  // ---- what the mapping is ------------------------------------------------------------------

  /** The file's address space. */
  public DaxAddressSpace space() {
    return space;
  }

  /** The page descriptors of the file's region (the address space's). */
  public PageDescriptors pages() {
    return pages;
  }

  /** File offset of the mapping's first byte. */
  public long fileOffset() {
    return firstIndex << PAGE_SHIFT;
  }

  /** Length in bytes. */
  public long length() {
    return length;
  }

  /** Pages in the mapping. */
  public long pageCount() {
    return pageCount;
  }

  /** File page index that mapping page {@code pageNo} shows. */
  public long fileIndex(long pageNo) {
    return firstIndex + pageNo;
  }

  /** Whether the mapping was made with PROT_WRITE. */
  public boolean writable() {
    return writable;
  }

  /** Whether the mapping was made with MAP_SYNC. */
  public boolean mapSync() {
    return mapSync;
  }

  // ---- page table ---------------------------------------------------------------------------

  /**
   * The page table entry of mapping page {@code pageNo}, read without a lock (see {@link Pte}).
   * gup's fast path reads it, takes its reference, and reads it again to check it did not change.
   */
  public long pte(long pageNo) {
    Objects.checkIndex(pageNo, pageCount);
    long[] t = (long[]) TABLES.getAcquire(tables, (int) (pageNo >>> TABLE_SHIFT));
    return t == null ? Pte.NONE : (long) LONGS.getVolatile(t, (int) (pageNo & (TABLE_SIZE - 1)));
  }

  /**
   * gup's lock-free path for mapping page {@code pageNo}: reads the pte, takes {@code grab} on
   * the page it names (one atomic add), and reads the same pte slot again. Returns the page frame
   * ({@link Pte#ZERO_PFN} for the zero page, which takes nothing), or {@link #NOT_FAST} when the
   * pte is absent, does not allow the access, changed meanwhile (the reference is backed out), or
   * the page refused the reference: {@link #followPage} must take over.
   *
   * <p>Why the second read suffices: whoever clears a pte (munmap, a layout break's unmap) does
   * so before it drops the pte's reference or scans the page for busy. If the second read still
   * sees the pte, the reference was taken before the clear, hence before any busy scan that
   * follows it; if not, the reference is backed out (at worst seen as busy, and its release
   * wakes the waiter).
   *
   * @param grab {@link PageGrab#PIN} or {@link PageGrab#GET}
   */
  public long grabFast(long pageNo, boolean write, PageGrab grab) {
    // Every test below that sends the page elsewhere is rare, so they are few and folded
    // together where they can be: this is inlined into every pin, and each rare exit costs
    // compiled code there. The range test is written as gup's own, which the JIT then drops.
    if (Long.compareUnsigned(pageNo, pageCount) >= 0) {
      throw new IndexOutOfBoundsException("page " + pageNo + " is outside the mapping's " + pageCount + " pages");
    }
    // Page tables are never freed once published, so the slot read twice is the same pte.
    long[] t = (long[]) TABLES.getAcquire(tables, (int) (pageNo >>> TABLE_SHIFT));
    if (t == null) {
      return NOT_FAST;
    }
    int slot = (int) (pageNo & (TABLE_SIZE - 1));
    long pte = (long) LONGS.getVolatile(t, slot);
    long required = write ? Pte.PRESENT | Pte.WRITE : Pte.PRESENT;
    if ((pte & (required | Pte.ZERO)) != required) {
      // Absent, not writable for a write, or the zero page (which takes nothing).
      return !write && Pte.zeroPage(pte) ? Pte.ZERO_PFN : NOT_FAST;
    }
    long pfn = Pte.pfn(pte);
    // A media error found after the pte was installed: the slow path reports EIO, as Linux's
    // memory_failure unmaps a poisoned page so that the next access faults and fails. (Tested
    // before the reference is taken: its loads overlap the pte's instead of waiting for the
    // atomic add, which measured faster than sharing the re-check's exit.)
    if (region.isPoisoned(pfn << PAGE_SHIFT, PAGE_SIZE)) {
      return NOT_FAST;
    }
    boolean pin = grab == PageGrab.PIN;
    if (!(pin ? pages.tryPin(pfn) : pages.tryGet(pfn))) {
      return NOT_FAST;
    }
    if ((long) LONGS.getVolatile(t, slot) != pte) {
      if (pin) {
        pages.unpin(pfn);
      } else {
        pages.put(pfn);
      }
      return NOT_FAST;
    }
    return pfn;
  }

  private long[] tableForInstall(long pageNo) {
    int i = (int) (pageNo >>> TABLE_SHIFT);
    long[] t = (long[]) TABLES.getAcquire(tables, i);
    if (t == null) {
      long[] fresh = new long[TABLE_SIZE];
      t = TABLES.compareAndSet(tables, i, null, fresh) ? fresh : (long[]) TABLES.getAcquire(tables, i);
    }
    return t;
  }

  /*
   * The three installs below return false when the pte changed since the fault read it: an
   * unmap of the range (which takes no entry lock, as unmap_mapping_range takes none) zapped
   * it. The fault then starts over, as Linux's does when it finds the pte changed under the
   * page-table lock.
   */

  /** Maps the page frame at an empty pte, taking the mapping's reference and mapcount. */
  boolean installPage(long pageNo, long pfn, boolean write) throws ErrnoException {
    if (!pages.tryMap(pfn)) {
      throw new ErrnoException(
          Errno.ENOMEM, "page frame " + pfn + " is mapped by too many mappings to map it again");
    }
    long[] t = tableForInstall(pageNo);
    if (!LONGS.compareAndSet(t, (int) (pageNo & (TABLE_SIZE - 1)), Pte.NONE, Pte.of(pfn, write))) {
      pages.unmap(pfn);
      return false;
    }
    return true;
  }

  /** Maps the zero page read-only at an empty pte. */
  boolean installZeroPage(long pageNo) {
    long[] t = tableForInstall(pageNo);
    return LONGS.compareAndSet(t, (int) (pageNo & (TABLE_SIZE - 1)), Pte.NONE, Pte.ZERO_PAGE);
  }

  /** Makes a read-only pte of a page frame writable (the write-fault upgrade). */
  boolean makeWritable(long pageNo, long pte) {
    long[] t = tableForInstall(pageNo);
    return LONGS.compareAndSet(t, (int) (pageNo & (TABLE_SIZE - 1)), pte, pte | Pte.WRITE);
  }

  /**
   * Clears the ptes of file pages {@code [startIndex, endIndex)} in this mapping, shoots down the
   * TLB, then drops the references the ptes held.
   */
  void zapFileRange(long startIndex, long endIndex) {
    long first = Math.max(startIndex, firstIndex) - firstIndex;
    long end = Math.min(endIndex - firstIndex, pageCount);
    if (endIndex <= firstIndex || first >= end) {
      return;
    }
    zapPages(first, end);
  }

  private void zapPages(long first, long end) {
    long[] released = new long[TABLE_SIZE];
    for (long tableStart = first & ~(TABLE_SIZE - 1L); tableStart < end; tableStart += TABLE_SIZE) {
      long[] t = (long[]) TABLES.getAcquire(tables, (int) (tableStart >>> TABLE_SHIFT));
      if (t == null) {
        continue;
      }
      int n = 0;
      boolean cleared = false;
      long from = Math.max(first, tableStart);
      long to = Math.min(end, tableStart + TABLE_SIZE);
      for (long pageNo = from; pageNo < to; pageNo++) {
        int slot = (int) (pageNo & (TABLE_SIZE - 1));
        if (!Pte.present((long) LONGS.getVolatile(t, slot))) {
          continue; // nothing to zap; the exchange below would cost an atomic per page
        }
        long pte = (long) LONGS.getAndSet(t, slot, Pte.NONE);
        if (Pte.present(pte)) {
          cleared = true;
          if (!Pte.zeroPage(pte)) {
            released[n++] = Pte.pfn(pte);
          }
        }
      }
      if (cleared) {
        flushTlb();
      }
      for (int i = 0; i < n; i++) {
        pages.unmap(released[i]);
      }
    }
  }

  /**
   * Removes write permission from the pte of file page {@code index}, if this mapping maps it
   * writable, and shoots down the TLB so no store through the old pte is still in flight.
   */
  void writeProtect(long index) {
    long pageNo = index - firstIndex;
    if (index < firstIndex || pageNo >= pageCount) {
      return;
    }
    long[] t = (long[]) TABLES.getAcquire(tables, (int) (pageNo >>> TABLE_SHIFT));
    if (t == null) {
      return;
    }
    int slot = (int) (pageNo & (TABLE_SIZE - 1));
    for (;;) {
      long pte = (long) LONGS.getVolatile(t, slot);
      if (!Pte.writable(pte)) {
        return;
      }
      if (LONGS.compareAndSet(t, slot, pte, Pte.writeProtected(pte))) {
        flushTlb();
        return;
      }
    }
  }

  /** Waits until no access that may have read an old pte is in flight. */
  private void flushTlb() {
    tlb.unlockWrite(tlb.writeLock());
  }

  // ---- faults and the slow path ---------------------------------------------------------------

  /**
   * Resolves mapping page {@code pageNo}, faulting it in (for write if {@code write}) when its pte
   * does not allow the access, and takes {@code grab} on the page while the page's entry is still
   * locked: gup's slow path, and what an ODP device uses to resolve pages (with
   * {@link PageGrab#NONE}). Holds mmapLock and the invalidate lock shared, then the entry lock.
   *
   * @return the page frame, or {@link Pte#ZERO_PFN} for the zero page (a read of a hole; no
   *     reference is taken on it)
   * @throws ErrnoException EFAULT outside the mapping, in a munmapped range, for a write to a
   *     read-only mapping, or at or beyond end of file (SIGBUS); EIO for a poisoned page; ENOMEM
   *     when the page cannot take another reference; any errno of the filesystem's callback
   */
  public long followPage(long pageNo, boolean write, PageGrab grab) throws ErrnoException {
    Objects.requireNonNull(grab, "grab");
    Lock shared = mmapLock.readLock();
    shared.lock();
    try {
      checkMapped(pageNo, write);
      return space.fault(this, pageNo, write, grab);
    } finally {
      shared.unlock();
    }
  }

  private void checkMapped(long pageNo, boolean write) throws ErrnoException {
    if (pageNo < 0 || pageNo >= pageCount || isUnmapped(pageNo)) {
      throw new ErrnoException(
          Errno.EFAULT,
          "SIGSEGV: address " + (pageNo << PAGE_SHIFT) + " is not mapped (mapping of "
              + length + " bytes at file offset " + fileOffset() + ")");
    }
    if (write && !writable) {
      throw new ErrnoException(
          Errno.EFAULT,
          "SIGSEGV: write to read-only mapping at address " + (pageNo << PAGE_SHIFT));
    }
  }

  private boolean isUnmapped(long pageNo) {
    Map.Entry<Long, Long> hole = unmapped.floorEntry(pageNo);
    return hole != null && hole.getValue() > pageNo;
  }

  // ---- loads ----------------------------------------------------------------------------------

  /** Loads one byte at {@code addr}. */
  public byte loadByte(long addr) throws ErrnoException {
    byte[] b = new byte[1];
    load(addr, b, 0, 1);
    return b[0];
  }

  /** Loads a little-endian int at {@code addr}. */
  public int loadInt(long addr) throws ErrnoException {
    checkAccess(addr, 4);
    if ((addr & (PAGE_SIZE - 1)) <= PAGE_SIZE - 4) {
      return (int) loadInPage(addr, 4);
    }
    byte[] b = new byte[4];
    load(addr, b, 0, 4);
    return (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
  }

  /** Loads a little-endian long at {@code addr}. */
  public long loadLong(long addr) throws ErrnoException {
    checkAccess(addr, 8);
    if ((addr & (PAGE_SIZE - 1)) <= PAGE_SIZE - 8) {
      return loadInPage(addr, 8);
    }
    byte[] b = new byte[8];
    load(addr, b, 0, 8);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (b[i] & 0xFF);
    }
    return v;
  }

  /** Copies {@code len} bytes at {@code addr} into {@code dst[off..]}. */
  public void load(long addr, byte[] dst, int off, int len) throws ErrnoException {
    Objects.checkFromIndexSize(off, len, dst.length);
    checkAccess(addr, len);
    while (len > 0) {
      int inPage = (int) (addr & (PAGE_SIZE - 1));
      int n = Math.min(len, PAGE_SIZE - inPage);
      loadInPage(addr >>> PAGE_SHIFT, inPage, dst, off, n);
      addr += n;
      off += n;
      len -= n;
    }
  }

  /** An int or long load inside one page; optimistic, retried if a TLB shootdown intervened. */
  private long loadInPage(long addr, int size) throws ErrnoException {
    long pageNo = addr >>> PAGE_SHIFT;
    long inPage = addr & (PAGE_SIZE - 1);
    for (;;) {
      long stamp = tlb.tryOptimisticRead();
      long pte = pte(pageNo);
      if (Pte.present(pte)) {
        long v = 0;
        if (!Pte.zeroPage(pte)) {
          long off = (Pte.pfn(pte) << PAGE_SHIFT) + inPage;
          try {
            v = size == 8 ? region.loadLong(off) : region.loadInt(off);
          } catch (MediaErrorException e) {
            if (tlb.validate(stamp)) {
              throw mediaError(pageNo, e);
            }
            continue;
          }
        }
        if (tlb.validate(stamp)) {
          return v;
        }
        continue;
      }
      followPage(pageNo, false, PageGrab.NONE);
    }
  }

  private void loadInPage(long pageNo, int inPage, byte[] dst, int off, int n) throws ErrnoException {
    for (;;) {
      long stamp = tlb.tryOptimisticRead();
      long pte = pte(pageNo);
      if (Pte.present(pte)) {
        if (Pte.zeroPage(pte)) {
          java.util.Arrays.fill(dst, off, off + n, (byte) 0);
        } else {
          try {
            region.load((Pte.pfn(pte) << PAGE_SHIFT) + inPage, dst, off, n);
          } catch (MediaErrorException e) {
            if (tlb.validate(stamp)) {
              throw mediaError(pageNo, e);
            }
            continue;
          }
        }
        if (tlb.validate(stamp)) {
          return;
        }
        continue;
      }
      followPage(pageNo, false, PageGrab.NONE);
    }
  }

  // ---- stores ---------------------------------------------------------------------------------

  /** Stores one byte at {@code addr}. */
  public void storeByte(long addr, byte value) throws ErrnoException {
    store(addr, new byte[] {value}, 0, 1);
  }

  /** Stores a little-endian long at {@code addr} (failure-atomic when 8-byte aligned). */
  public void storeLong(long addr, long value) throws ErrnoException {
    checkAccess(addr, 8);
    if ((addr & (PAGE_SIZE - 1)) <= PAGE_SIZE - 8) {
      long pageNo = addr >>> PAGE_SHIFT;
      long inPage = addr & (PAGE_SIZE - 1);
      for (;;) {
        long stamp = tlb.readLock();
        try {
          long pte = pte(pageNo);
          if (Pte.writable(pte)) {
            region.storeLong((Pte.pfn(pte) << PAGE_SHIFT) + inPage, value);
            return;
          }
        } finally {
          tlb.unlockRead(stamp);
        }
        followPage(pageNo, true, PageGrab.NONE);
      }
    }
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (value >>> (8 * i));
    }
    store(addr, b, 0, 8);
  }

  /** Copies {@code src[off..off+len)} to {@code addr}. */
  public void store(long addr, byte[] src, int off, int len) throws ErrnoException {
    Objects.checkFromIndexSize(off, len, src.length);
    checkAccess(addr, len);
    while (len > 0) {
      int inPage = (int) (addr & (PAGE_SIZE - 1));
      int n = Math.min(len, PAGE_SIZE - inPage);
      storeInPage(addr >>> PAGE_SHIFT, inPage, src, off, n);
      addr += n;
      off += n;
      len -= n;
    }
  }

  private void storeInPage(long pageNo, int inPage, byte[] src, int off, int n) throws ErrnoException {
    for (;;) {
      // Held across the store: a TLB shootdown after the pte changed waits for it.
      long stamp = tlb.readLock();
      try {
        long pte = pte(pageNo);
        if (Pte.writable(pte)) {
          region.store((Pte.pfn(pte) << PAGE_SHIFT) + inPage, src, off, n);
          return;
        }
      } finally {
        tlb.unlockRead(stamp);
      }
      followPage(pageNo, true, PageGrab.NONE);
    }
  }

  /**
   * Writes back the CPU cache lines of {@code [addr, addr+len)} (what an application does after
   * storing into a MAP_SYNC mapping): flushes the mapped pages through the region and fences.
   * Pages not mapped have nothing cached to write back.
   */
  public void flush(long addr, long len) throws ErrnoException {
    checkAccess(addr, len);
    long end = addr + len;
    while (addr < end) {
      long pageNo = addr >>> PAGE_SHIFT;
      int inPage = (int) (addr & (PAGE_SIZE - 1));
      int n = (int) Math.min(end - addr, PAGE_SIZE - inPage);
      long stamp = tlb.readLock();
      try {
        long pte = pte(pageNo);
        if (Pte.present(pte) && !Pte.zeroPage(pte)) {
          region.flush((Pte.pfn(pte) << PAGE_SHIFT) + inPage, n);
        }
      } finally {
        tlb.unlockRead(stamp);
      }
      addr += n;
    }
    region.fence();
  }

  private void checkAccess(long addr, long len) throws ErrnoException {
    if (len < 0 || addr < 0 || addr > length - len) {
      throw new ErrnoException(
          Errno.EFAULT,
          "SIGSEGV: access of " + len + " bytes at address " + addr + " is outside the mapping of "
              + length + " bytes");
    }
  }

  private ErrnoException mediaError(long pageNo, MediaErrorException e) {
    return new ErrnoException(
        Errno.EIO,
        "SIGBUS: media error reading file page " + fileIndex(pageNo) + " of inode " + space.inode()
            + " (region offset " + e.offset() + ")",
        e);
  }

  // ---- munmap -----------------------------------------------------------------------------------

  /**
   * Removes {@code [addr, addr+len)} from the mapping: the invalidation notifiers of the file
   * range run first, then the ptes are cleared and their references dropped. Later accesses
   * there fail with EFAULT. Pins taken through the range stay until they are unpinned. When
   * nothing of the mapping is left, it leaves the address space's mapping list.
   *
   * @throws ErrnoException EINVAL when {@code addr} is not page aligned or {@code len} is not
   *     positive
   */
  public void munmap(long addr, long len) throws ErrnoException {
    if (addr < 0 || (addr & (PAGE_SIZE - 1)) != 0 || len <= 0) {
      throw new ErrnoException(
          Errno.EINVAL, "munmap needs a page-aligned address and a positive length, not " + addr + " +" + len);
    }
    long first = addr >>> PAGE_SHIFT;
    long end = Math.min(pageCount, first + ((len - 1) >>> PAGE_SHIFT) + 1);
    if (first >= end) {
      return;
    }
    Lock exclusive = mmapLock.writeLock();
    exclusive.lock();
    try {
      space.invalidateNotifiers(fileIndex(first), fileIndex(end));
      zapPages(first, end);
      addUnmapped(first, end);
      Map.Entry<Long, Long> only = unmapped.firstEntry();
      if (only.getKey() == 0 && only.getValue() >= pageCount) {
        space.removeMapping(this);
      }
    } finally {
      exclusive.unlock();
    }
  }

  /** Unmaps the whole mapping. */
  public void close() {
    Runnable listener;
    Lock exclusive = mmapLock.writeLock();
    exclusive.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      space.invalidateNotifiers(firstIndex, firstIndex + pageCount);
      zapPages(0, pageCount);
      unmapped.clear();
      unmapped.put(0L, pageCount);
      space.removeMapping(this);
      listener = onClose;
    } finally {
      exclusive.unlock();
    }
    if (listener != null) {
      listener.run();
    }
  }

  /**
   * Runs {@code listener} once when the mapping is closed (after its pages are unmapped): how
   * the filesystem learns that the mapping no longer keeps the file alive, as a vma's file
   * reference does in Linux. Set at most once, before the mapping is handed out.
   */
  public void onClose(Runnable listener) {
    if (onClose != null) {
      throw new IllegalStateException("close listener already set");
    }
    onClose = listener;
  }

  private void addUnmapped(long first, long end) {
    Map.Entry<Long, Long> before = unmapped.floorEntry(first);
    if (before != null && before.getValue() >= first) {
      first = before.getKey();
      end = Math.max(end, before.getValue());
    }
    for (Map.Entry<Long, Long> next = unmapped.ceilingEntry(first);
        next != null && next.getKey() <= end;
        next = unmapped.ceilingEntry(first)) {
      end = Math.max(end, next.getValue());
      unmapped.remove(next.getKey());
    }
    unmapped.put(first, end);
  }

  @Override
  public String toString() {
    return "mapping of inode " + space.inode() + " [" + fileOffset() + ", +" + length + ")"
        + (writable ? " rw" : " ro") + (mapSync ? " sync" : "");
  }
}
