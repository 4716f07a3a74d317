package dev.daxfs.tests;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Attr;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.DirEntry;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.Fsck;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.fs.TestSwitches;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.gup.DmaCompletion;
import dev.daxfs.gup.DmaDevice;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.DmaTag;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.CrashImage;
import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs a script of writes, DMA transfers, punches, truncates and deletions on a filesystem over
 * a crash-recording region, freezing crash points at chosen fences, and judges the outcome:
 * on the running filesystem and on every crash image (after recovery), no block is owned
 * twice, no orphan is lost (fsck), and no DMA tag is found outside the page its transfer
 * pinned.
 *
 * <p>Transfers are gated: a DMA action pins at once and writes when a later Land opens its
 * gate. An operation whose layout break covers pinned pages runs on its own thread; the pinned
 * transfers then land, and the operation returns (so the break is always exercised waiting).
 */
final class DmaCrashScript implements AutoCloseable {

  static final int P = 4096;

  /** Files 0 and 1 are mapped and take DMA; 2 and 3 are plain files. */
  static final int FILES = 4;

  static final int DMA_FILES = 2;

  /** Largest file, in pages; the DMA files' mappings cover this much. */
  static final int MAX_PAGES = 8;

  private static final Cred ROOT = Cred.root();

  /** One step of a script. */
  sealed interface Action {}

  /** write() of {@code pages} pages at page {@code page} (creates the file if absent). */
  record Write(int file, int page, int pages) implements Action {}

  /** A gated DMA write of whole pages by device {@code device}. */
  record Dma(int file, int device, int page, int pages) implements Action {}

  /** Opens the oldest pending gate and waits for that transfer. */
  record Land() implements Action {}

  /** fallocate PUNCH_HOLE | KEEP_SIZE of whole pages. */
  record Punch(int file, int page, int pages) implements Action {}

  /** Truncate to {@code pages} pages and 100 bytes. */
  record Truncate(int file, int pages) implements Action {}

  /** Unmap, close and unlink: with pages still pinned, the file becomes an orphan. */
  record Delete(int file) implements Action {}

  /**
   * A cut aimed at the newest transfer still pending, so that the break must wait: {@code
   * kind} 0 punches its pages, 1 truncates to its first page, 2 deletes its file (which then
   * waits for the reaper). Nothing happens when no transfer is pending.
   */
  record CutPinned(int kind) implements Action {}

  /** A transfer's target: file identity and first page. */
  record Target(long ino, int generation, long firstPage) {}

  /** A transfer whose gate is still closed. */
  private record Pending(DmaDevice device, CompletableFuture<Void> gate,
      CompletableFuture<DmaCompletion> done, long firstPage, int pages, Target target) {}

  /** An open file of the script. */
  private static final class Open {
    FileHandle handle;
    CpuMapping mapping;
    Attr attr;
  }

  private final CrashRecordingRegion region;
  private final DaxFs fs;
  private final boolean skipLayoutBreak;
  private final Gup gup = new Gup();
  private final DmaEmulator dma = new DmaEmulator(gup);
  private final List<DmaDevice> devices = new ArrayList<>();
  private final Open[] files = new Open[FILES];
  private final Deque<Pending> pending = new ArrayDeque<>();

  /** Landed transfers by (device id, sequence). */
  private final Map<Long, Target> landed = new HashMap<>();

  /** Crash points frozen so far (by whichever thread fences). */
  private final List<CrashPoint> crashPoints = new CopyOnWriteArrayList<>();

  /** Patterns written count up, so each write's bytes differ. */
  private int writes;

  DmaCrashScript(boolean skipLayoutBreak, Set<Long> crashFences, CrashImageOptions images) {
    this.skipLayoutBreak = skipLayoutBreak;
    HeapRegion media = new HeapRegion(16 << 20);
    DaxFs.mkfs(media, MkfsOptions.defaults());
    region = new CrashRecordingRegion(media);
    TreeSet<Long> fences = new TreeSet<>(crashFences);
    region.addFenceListener((fence, r) -> {
      if (fences.contains(fence)) {
        crashPoints.add(r.crashPoint(images));
      }
    });
    MountOptions options = MountOptions.defaults();
    if (skipLayoutBreak) {
      TestSwitches bug = TestSwitches.none();
      bug.skipLayoutBreak = true;
      options.testSwitches(bug);
    }
    fs = DaxFs.mount(region, options);
    devices.add(dma.createDevice(DeviceSpec.named("nic0")));
    devices.add(dma.createDevice(DeviceSpec.named("nvme0")));
  }

  static String path(int file) {
    return (file < DMA_FILES ? "/dma" : "/plain") + file;
  }

  /**
   * Runs {@code script} after a prologue that gives both DMA files {@link #MAX_PAGES} pages
   * and the plain files one page each (their logs exist before any block is freed).
   */
  void run(List<Action> script) {
    for (int f = 0; f < FILES; f++) {
      step(new Write(f, 0, f < DMA_FILES ? MAX_PAGES : 1));
    }
    for (Action a : script) {
      step(a);
    }
  }

  private void step(Action a) {
    if (a instanceof Write w) {
      Open f = open(w.file());
      byte[] data = DmaFixture.pattern(w.pages() * P, ++writes);
      fs.write(ROOT, f.handle, (long) w.page() * P, ByteBuffer.wrap(data));
    } else if (a instanceof Dma d) {
      Open f = files[d.file()];
      if (f == null || (long) (d.page() + d.pages()) * P > size(d.file())) {
        return; // nothing to pin there (a pin beyond EOF is EFAULT)
      }
      DmaDevice dev = devices.get(d.device());
      CompletableFuture<Void> gate = new CompletableFuture<>();
      CompletableFuture<DmaCompletion> done =
          dev.writeTagged(f.mapping, (long) d.page() * P, d.pages() * P, gate);
      pending.add(new Pending(dev, gate, done, d.page(), d.pages(),
          new Target(f.attr.ino(), f.attr.generation(), d.page())));
    } else if (a instanceof Land) {
      Pending p = pending.poll();
      if (p != null) {
        land(p);
      }
    } else if (a instanceof Punch p) {
      Open f = files[p.file()];
      if (f == null) {
        return;
      }
      breaking(f, p.page(), p.page() + p.pages(), () -> fs.fallocate(ROOT, f.handle,
          DmaFixture.PUNCH_HOLE | DmaFixture.KEEP_SIZE, (long) p.page() * P,
          (long) p.pages() * P));
    } else if (a instanceof Truncate t) {
      Open f = files[t.file()];
      if (f == null) {
        return;
      }
      long newSize = (long) t.pages() * P + 100;
      long first = newSize < size(t.file()) ? t.pages() : Long.MAX_VALUE;
      breaking(f, first, Long.MAX_VALUE, () -> fs.setattr(ROOT, f.handle.ino(),
          SetAttr.create().size(newSize).handle(f.handle)));
    } else if (a instanceof CutPinned c) {
      Pending p = pending.peekLast();
      int file = p == null ? -1 : fileOf(p.target());
      if (file < 0) {
        return;
      }
      switch (c.kind()) {
        case 0 -> step(new Punch(file, (int) p.firstPage(), p.pages()));
        case 1 -> step(new Truncate(file, (int) p.firstPage()));
        default -> step(new Delete(file));
      }
    } else if (a instanceof Delete d) {
      Open f = files[d.file()];
      if (f == null) {
        return;
      }
      if (f.mapping != null) {
        f.mapping.close();
      }
      fs.release(f.handle);
      fs.unlink(ROOT, path(d.file()));
      files[d.file()] = null;
    }
  }

  /** The script's file that {@code t} addressed, if it still has its name; else -1. */
  private int fileOf(Target t) {
    for (int f = 0; f < FILES; f++) {
      if (files[f] != null && files[f].attr.ino() == t.ino()
          && files[f].attr.generation() == t.generation()) {
        return f;
      }
    }
    return -1;
  }

  private long size(int file) {
    return fs.getattr(files[file].handle.ino()).size();
  }

  private Open open(int file) {
    Open f = files[file];
    if (f != null) {
      return f;
    }
    f = new Open();
    f.handle = fs.open(ROOT, path(file), FileHandle.O_CREAT | FileHandle.O_RDWR, 0644);
    f.attr = fs.getattr(f.handle.ino());
    if (file < DMA_FILES) {
      f.mapping = fs.mmap(ROOT, f.handle, 0, (long) MAX_PAGES * P, DmaFixture.RW, 0);
    } else {
      fs.addressSpace(f.handle); // its blocks carry it as owner: misdirected writes show
    }
    files[file] = f;
    return f;
  }

  /**
   * Runs {@code op}, whose layout break covers pages {@code [first, end)} of {@code f}: if
   * transfers pin pages there, on its own thread, which must wait until they have landed.
   */
  private void breaking(Open f, long first, long end, Runnable op) {
    List<Pending> inRange = new ArrayList<>();
    for (Pending p : pending) {
      if (p.target().ino() == f.attr.ino() && p.target().generation() == f.attr.generation()
          && p.firstPage() < end && p.firstPage() + p.pages() > first) {
        inRange.add(p);
      }
    }
    if (inRange.isEmpty()) {
      op.run();
      return;
    }
    DmaFixture.Op thread = new DmaFixture.Op("layout change", op);
    if (skipLayoutBreak) {
      thread.join(); // returns at once; the transfers land whenever a later Land says
      return;
    }
    thread.awaitWaitingForDma();
    for (Pending p : inRange) {
      pending.remove(p);
      land(p);
    }
    thread.join();
  }

  private void land(Pending p) {
    p.gate().complete(null);
    DmaCompletion c = DmaFixture.await(p.done(), "DMA transfer");
    landed.put(key(p.device().id(), c.sequence()), p.target());
  }

  private static long key(int deviceId, long sequence) {
    return ((long) deviceId << 40) ^ sequence;
  }

  /** Lands every transfer still pending and waits for the reaper to free the orphans. */
  void finish() {
    while (!pending.isEmpty()) {
      land(pending.poll());
    }
    DmaFixture.eventually(() -> fs.orphansPending() == 0, "the reaper freeing every orphan");
  }

  List<CrashPoint> crashPoints() {
    return crashPoints;
  }

  /** Freezes a crash point now. */
  void crashNow(CrashImageOptions images) {
    crashPoints.add(region.crashPoint(images));
  }

  long misdirectedWrites() {
    return dma.misdirectedWrites();
  }

  /** Violations on the running filesystem: DMA tags where no transfer pinned. */
  List<String> liveViolations() {
    List<String> out = new ArrayList<>();
    strayTags(fs, "live", out);
    return out;
  }

  /**
   * Violations after a crash: what fsck finds on the image, besides what a crash may leave for
   * recovery to finish (an unfinished journal lane; a superblock copy cut short, which the
   * other copy covers); stray DMA tags after recovery; and anything fsck finds once the
   * recovered filesystem is unmounted.
   */
  List<String> imageViolations(CrashImage image) {
    List<String> out = new ArrayList<>();
    String where = image.crashPoint().label() + " image " + image.index();
    for (Fsck.Problem p : Fsck.check(image, Fsck.Progress.NONE).problems) {
      if (!p.kind().equals("journal") && !p.kind().equals("superblock")) {
        out.add(where + ": before recovery, fsck: " + p);
      }
    }
    DaxFs recovered;
    try {
      recovered = DaxFs.mount(image, MountOptions.defaults());
    } catch (RuntimeException e) {
      out.add(where + ": recovery failed: " + e);
      return out;
    }
    strayTags(recovered, where, out);
    if (recovered.orphansPending() != 0) {
      out.add(where + ": " + recovered.orphansPending() + " orphans left after recovery");
    }
    recovered.unmount();
    for (Fsck.Problem p : Fsck.check(image, Fsck.Progress.NONE).problems) {
      out.add(where + ": after recovery, fsck: " + p);
    }
    return out;
  }

  /** Every DMA tag in every file of {@code on} must lie in the page its transfer pinned. */
  private void strayTags(DaxFs on, String where, List<String> out) {
    for (DirEntry e : on.readdir(ROOT, on.rootIno(), 0, 1000)) {
      Attr attr = on.getattr(e.ino());
      if (!attr.isRegular()) {
        continue;
      }
      FileHandle h = on.open(ROOT, e.ino(), FileHandle.O_RDONLY);
      ByteBuffer buf = ByteBuffer.allocate((int) attr.size());
      try {
        while (buf.hasRemaining() && on.read(h, buf.position(), buf) > 0) {
          // read to EOF
        }
      } catch (ErrnoException x) {
        out.add(where + ": reading " + e.name() + " failed: " + x.getMessage());
      } finally {
        on.release(h);
      }
      byte[] bytes = buf.array();
      for (int off = 0; off + DmaTag.RECORD_BYTES <= bytes.length; off += DmaTag.RECORD_BYTES) {
        Optional<DmaTag> tag = DmaTag.decode(bytes, off);
        if (tag.isEmpty()) {
          continue;
        }
        DmaTag t = tag.get();
        Target target = landed.get(key(t.deviceId(), t.sequence()));
        long page = off / P;
        if (target == null || target.ino() != attr.ino()
            || target.generation() != attr.generation()
            || target.firstPage() + t.page() != page) {
          out.add(where + ": " + t + " found in page " + page + " of " + e.name() + " (inode "
              + attr.ino() + "), but it pinned " + (target == null ? "nothing known"
                  : "page " + (target.firstPage() + t.page()) + " of inode " + target.ino()));
        }
      }
    }
  }

  /** Layout breaks that waited for DMA so far. */
  long layoutWaits() {
    return fs.stats().layoutWaits.sum();
  }

  /** Orphans the reaper freed so far. */
  long orphansReaped() {
    return fs.stats().orphansReaped.sum();
  }

  /** Pins still held by the script's devices. */
  long outstandingPins() {
    return gup.stats().outstanding();
  }

  PmemRegion region() {
    return region;
  }

  /** Unmounts and checks the region with fsck: the problems found. */
  List<Fsck.Problem> unmountAndCheck() {
    close();
    return Fsck.check(region, Fsck.Progress.NONE).problems;
  }

  private boolean closed;

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
      it.next().gate().complete(null);
      it.remove();
    }
    for (Open f : files) {
      if (f != null && f.mapping != null) {
        f.mapping.close();
      }
    }
    dma.close();
    fs.unmount();
  }
}
