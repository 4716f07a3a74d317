package dev.daxfs.gup;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.DaxAddressSpace;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.dax.LongTermPinRequest;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.dax.PageGrab;
import dev.daxfs.dax.PageRefMisuseException;
import dev.daxfs.dax.Pte;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * get_user_pages and pin_user_pages (mm/gup.c) over daxfs mappings.
 *
 * <h2>Pins and references</h2>
 *
 * {@link #pinUserPages} (FOLL_PIN) pins each page: +1024 to its refcount and +1 to its exact
 * pin count, into the caller's {@link PinVector}; {@link #unpinUserPages} releases exactly those
 * pins, once, and leaves the vector empty for the next pin. As in Linux, where the caller
 * supplies the {@code pages} array, nothing is allocated per pin.
 * {@link #getUserPages} (FOLL_GET) takes +1 per page, released by {@link #putUserPages}. The two
 * never mix, and a plain put can never release a pin (see {@link PageDescriptors}).
 *
 * <h2>The fast path and the slow path</h2>
 *
 * The fast path ({@link CpuMapping#grabFast}) takes no lock. For each page it reads the
 * mapping's pte, takes its reference on the page the pte names (one atomic add), and reads the
 * pte again: if it changed, the pte was
 * cleared or replaced meanwhile, so it backs the reference out and leaves the page to the slow
 * path. A pte that is absent, or read-only for a FOLL_WRITE request, also goes to the slow path,
 * which faults the page in holding the mapping's mmap lock and the file's invalidate lock shared
 * and takes the reference under the page's entry lock ({@link CpuMapping#followPage}).
 *
 * <p>Why the re-check suffices: a layout break holds the invalidate lock exclusively (so no slow
 * path runs), clears every pte of the range, and only then scans the page descriptors. A fast
 * path whose second pte read still saw the pte took its reference before the pte was cleared,
 * hence before the scan, which therefore sees it; one whose second read saw the change backs out
 * (its transient reference is at worst seen as busy, and its release wakes the waiter). After a
 * break has blocked faults and unmapped, a new pin is either visible to the busy scan or never
 * taken.
 *
 * <h2>Errors</h2>
 *
 * EINVAL for bad arguments (unaligned start, no pages, unknown or mixed flags); EFAULT outside the
 * mapping, in a munmapped range, for FOLL_WRITE on a read-only mapping, or at or beyond end of
 * file; EOPNOTSUPP (or whatever the address space's long-term pin policy says) for FOLL_LONGTERM;
 * EIO for a poisoned page met by the slow path; ENOMEM when a page cannot take another pin; any
 * errno of the filesystem's block mapping. A partial pin is undone before an error is thrown.
 *
 * <h2>Counters</h2>
 *
 * pins_acquired and pins_released are counted per owner in the pin vectors' own state (nothing
 * extra on the pin path, see {@link PinCounters}); {@link #stats} sums them.
 */
public final class Gup {

  /** The device will write the pages: fault them for write first (Linux's value). */
  public static final int FOLL_WRITE = 1;

  /** Take plain references (get_user_pages); released by a put (Linux's value). */
  public static final int FOLL_GET = 1 << 1;

  /** The pin lasts indefinitely (RDMA registration): the long-term pin policy decides (Linux's value). */
  public static final int FOLL_LONGTERM = 1 << 8;

  /** Take pins (pin_user_pages); released by an unpin. Internal in Linux; implied here. */
  public static final int FOLL_PIN = 1 << 18;

  private static final int PIN_FLAGS = FOLL_WRITE | FOLL_LONGTERM | FOLL_PIN;
  private static final int GET_FLAGS = FOLL_WRITE | FOLL_LONGTERM | FOLL_GET;
  private static final int PAGE_SHIFT = PageDescriptors.PAGE_SHIFT;
  private static final long PAGE_MASK = (1L << PAGE_SHIFT) - 1;

  /** Pin owners by name. */
  private final ConcurrentHashMap<String, PinOwner> owners = new ConcurrentHashMap<>();

  /** Misuses refused by gup calls. */
  private final LongAdder misuseEvents = new LongAdder();

  /** The owner called {@code name}, made on first use. */
  public PinOwner owner(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a pin owner needs a name");
    }
    return owners.computeIfAbsent(name, n -> new PinOwner(this, n));
  }

  // ---- pin_user_pages ---------------------------------------------------------------------------

  /**
   * Pins {@code nrPages} pages of {@code mapping} from byte address {@code start} into the empty
   * vector {@code pins}, for the vector's owner. {@code gupFlags}: FOLL_WRITE, FOLL_LONGTERM
   * (FOLL_PIN is implied). A long-term pin names the owner as its holder to the policy.
   *
   * @throws ErrnoException see the class comment; nothing stays pinned and the vector stays
   *     empty when it is thrown
   * @throws PageRefMisuseException when {@code pins} still holds pins (they would be lost)
   */
  public void pinUserPages(PinVector pins, CpuMapping mapping, long start, int nrPages, int gupFlags)
      throws ErrnoException {
    // The common case, kept small so that it inlines into the caller: one short-term page through
    // an installed pte. Everything else, including every request this does not accept, goes to
    // take, which checks the request in full and reports what is wrong with it. (An unsigned
    // shift makes a negative start a page number beyond any mapping; a FOLL_WRITE pin of a
    // read-only mapping finds no writable pte.)
    long pageNo = start >>> PAGE_SHIFT;
    if (nrPages == 1
        && (gupFlags & ~(FOLL_WRITE | FOLL_PIN)) == 0
        && (start & PAGE_MASK) == 0
        && Long.compareUnsigned(pageNo, mapping.pageCount()) < 0
        && pins.gup == this
        && !pins.holding()) {
      long pfn = mapping.grabFast(pageNo, (gupFlags & FOLL_WRITE) != 0, PageGrab.PIN);
      if (pfn != CpuMapping.NOT_FAST) {
        pins.pfns[0] = pfn;
        pins.filled(mapping, pageNo, 1, gupFlags | FOLL_PIN);
        return;
      }
    }
    take(pins, mapping, start, nrPages, gupFlags | FOLL_PIN, PIN_FLAGS, pins.owner());
  }

  /**
   * {@link #pinUserPages(PinVector, CpuMapping, long, int, int)} naming {@code leaseHolder} to
   * the long-term pin policy: the party whose layout lease may allow the pin (a DMA
   * registration, a control-socket session).
   */
  public void pinUserPages(
      PinVector pins, CpuMapping mapping, long start, int nrPages, int gupFlags, Object leaseHolder)
      throws ErrnoException {
    Objects.requireNonNull(pins, "pins");
    take(pins, mapping, start, nrPages, gupFlags | FOLL_PIN, PIN_FLAGS, leaseHolder);
  }

  /**
   * Releases the pins {@code pins} holds (unpin_user_pages, or unpin_user_pages_dirty_lock with
   * {@code makeDirty}: the file's entries of the pages are marked dirty first, so the next fsync
   * writes back what the device wrote) and leaves the vector empty for the next pin.
   *
   * @throws PageRefMisuseException for an unpin of an empty vector (a second unpin of the same
   *     pin: nothing is released twice), or when a page's descriptor refuses the unpin (the other
   *     pages are unpinned and the vector is empty afterwards all the same)
   */
  public void unpinUserPages(PinVector pins, boolean makeDirty) {
    if (!pins.holding()) {
      throw secondUnpin(pins);
    }
    int n = pins.pages;
    long[] frames = pins.pfns;
    CpuMapping mapping = pins.mapping;
    PinCounters.unpinned(pins.counts, n);
    // Until the count is written (see PinVector.filled).
    java.lang.ref.Reference.reachabilityFence(pins);
    PageDescriptors pages = mapping.pages();
    PageRefMisuseException refused = null;
    for (int i = 0; i < n; i++) {
      long pfn = frames[i];
      if (pfn == Pte.ZERO_PFN) {
        continue;
      }
      if (makeDirty) {
        mapping.space().markDirty(mapping.fileIndex(pins.firstPage + i), pfn);
      }
      try {
        unpinPage(pages, pfn);
      } catch (PageRefMisuseException e) {
        refused = refused == null ? e : refused;
      }
    }
    if (refused != null) {
      throw refused;
    }
  }

  /** Drops one pin on {@code pfn}, counting a refusal as a gup misuse too. */
  private void unpinPage(PageDescriptors pages, long pfn) {
    try {
      pages.unpin(pfn);
    } catch (PageRefMisuseException e) {
      misuseEvents.increment();
      throw e;
    }
  }

  private PageRefMisuseException secondUnpin(PinVector pins) {
    misuseEvents.increment();
    if (pins.mapping == null) {
      return new PageRefMisuseException(-1, "unpin of " + pins + ", which holds no pins");
    }
    long pfn = pins.pfns[0];
    return pins.mapping.pages().reportMisuse(pfn == Pte.ZERO_PFN ? -1 : pfn, "second unpin of " + pins);
  }

  // ---- get_user_pages ---------------------------------------------------------------------------

  /**
   * Takes one plain reference on each of {@code nrPages} pages of {@code mapping} from byte
   * address {@code start} (FOLL_GET is implied; FOLL_WRITE and FOLL_LONGTERM are allowed).
   *
   * @throws ErrnoException as for pins; nothing stays referenced when it is thrown
   */
  public PageRefs getUserPages(CpuMapping mapping, long start, int nrPages, int gupFlags)
      throws ErrnoException {
    long[] pfns = take(null, mapping, start, nrPages, gupFlags | FOLL_GET, GET_FLAGS, null);
    return new PageRefs(mapping, start >>> PAGE_SHIFT, pfns);
  }

  /**
   * Drops the references of {@code refs} (put_page on each).
   *
   * @throws PageRefMisuseException for a second put of the same references
   */
  public void putUserPages(PageRefs refs) {
    Objects.requireNonNull(refs, "refs");
    PageDescriptors pages = refs.mapping().space().pages();
    long[] pfns = refs.pfnArray();
    if (!refs.markReleased()) {
      misuseEvents.increment();
      throw pages.reportMisuse(pfns[0] == Pte.ZERO_PFN ? -1 : pfns[0], "second put of the " + pfns.length
          + " page references from file index " + refs.fileIndex(0) + " of inode " + refs.mapping().space().inode());
    }
    for (long pfn : pfns) {
      if (pfn != Pte.ZERO_PFN) {
        pages.put(pfn);
      }
    }
  }

  // ---- the walk -------------------------------------------------------------------------------

  /**
   * Any pin (into {@code pins}) or get (when {@code pins} is null) of {@code nrPages} pages:
   * checks the request in full and, for FOLL_LONGTERM, asks the policy; then takes the pages
   * through the fast path while it can and through the slow path for the rest, releasing all it
   * took if one fails. Returns the page frames.
   *
   * <p>This is one method on purpose: at more than 325 bytes of bytecode (HotSpot's
   * FreqInlineSize) the JIT never inlines it into {@link #pinUserPages}, whose fast path must
   * stay small enough to be inlined into its own callers, however often this runs.
   */
  private long[] take(
      PinVector pins, CpuMapping mapping, long start, int nrPages, int flags, int allowed, Object leaseHolder)
      throws ErrnoException {
    PageGrab kind = pins == null ? PageGrab.GET : PageGrab.PIN;
    if (pins != null) {
      if (pins.gup != this) {
        throw new IllegalArgumentException("pin vector of " + pins.owner() + " belongs to another gup instance");
      }
      if (pins.holding()) {
        misuseEvents.increment();
        long pfn = pins.pfns[0];
        throw pins.mapping.pages().reportMisuse(pfn == Pte.ZERO_PFN ? -1 : pfn, "pin into a vector that still holds " + pins);
      }
    }
    if (mapping == null
        || (flags & ~allowed) != 0
        || nrPages <= 0
        || start < 0
        || (start & PAGE_MASK) != 0
        || (start >>> PAGE_SHIFT) > mapping.pageCount() - nrPages
        || ((flags & FOLL_WRITE) != 0 && !mapping.writable())) {
      throw badRequest(mapping, start, nrPages, flags, allowed);
    }
    long first = start >>> PAGE_SHIFT;
    boolean write = (flags & FOLL_WRITE) != 0;
    if ((flags & FOLL_LONGTERM) != 0) {
      DaxAddressSpace space = mapping.space();
      long index = mapping.fileIndex(first);
      space.checkLongTermPin(new LongTermPinRequest(space, index, index + nrPages, write, false, leaseHolder));
    }
    long[] pfns = pins == null ? new long[nrPages] : pins.frames(nrPages);
    int done = 0;
    while (done < nrPages) {
      long pfn = mapping.grabFast(first + done, write, kind);
      if (pfn == CpuMapping.NOT_FAST) {
        break;
      }
      pfns[done++] = pfn;
    }
    try {
      for (; done < nrPages; done++) {
        pfns[done] = mapping.followPage(first + done, write, kind);
      }
    } catch (RuntimeException e) {
      PageDescriptors pages = mapping.pages();
      for (int i = 0; i < done; i++) {
        if (pfns[i] != Pte.ZERO_PFN) {
          if (kind == PageGrab.PIN) {
            pages.unpin(pfns[i]);
          } else {
            pages.put(pfns[i]);
          }
        }
      }
      throw e;
    }
    if (pins != null) {
      pins.filled(mapping, first, nrPages, flags);
    }
    return pfns;
  }

  /** The error for a request {@link #take} refused. */
  private static ErrnoException badRequest(CpuMapping mapping, long start, int nrPages, int flags, int allowed) {
    Objects.requireNonNull(mapping, "mapping");
    if ((flags & ~allowed) != 0) {
      return new ErrnoException(
          Errno.EINVAL,
          ((allowed & FOLL_PIN) != 0 ? "pin_user_pages" : "get_user_pages")
              + " takes FOLL_WRITE and FOLL_LONGTERM, not flags 0x" + Integer.toHexString(flags));
    }
    if (nrPages <= 0) {
      return new ErrnoException(Errno.EINVAL, "a pin or get needs at least one page, not " + nrPages);
    }
    if (start < 0 || (start & ((1 << PAGE_SHIFT) - 1)) != 0) {
      return new ErrnoException(Errno.EINVAL, "start address must be page aligned and not negative, not " + start);
    }
    if ((start >>> PAGE_SHIFT) > mapping.pageCount() - nrPages) {
      long first = start >>> PAGE_SHIFT;
      return new ErrnoException(
          Errno.EFAULT,
          "pages [" + first + ", " + (first + nrPages) + ") are outside the mapping of "
              + mapping.pageCount() + " pages");
    }
    return new ErrnoException(Errno.EFAULT, "FOLL_WRITE on a read-only mapping");
  }

  // ---- counters -------------------------------------------------------------------------------

  /** The counters now. */
  public GupStats stats() {
    long acquired = 0;
    long released = 0;
    Map<String, Long> outstanding = new TreeMap<>();
    for (PinOwner o : owners.values()) {
      long a = o.pinsAcquired();
      long r = o.pinsReleased();
      acquired += a;
      released += r;
      outstanding.put(o.name(), a - r);
    }
    return new GupStats(acquired, released, misuseEvents.sum(), outstanding);
  }
}
