package dev.daxfs.gup;

import static dev.daxfs.gup.GupFile.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.PageDescriptor;
import dev.daxfs.dax.PageDescriptors;
import dev.daxfs.dax.Pte;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random multi-threaded sequences of get, put, pin, unpin, map and unmap (with range unmaps and
 * fsyncs mixed in to force slow paths and write faults), while a checker thread samples every
 * page descriptor. Invariants: counts never negative and never below what the pins and mappings
 * hold; maybeDmaPinned true whenever a pin exists (checked by the checker on each snapshot and by
 * the pin's holder right before it unpins); at the end every page idle and every counter balanced.
 *
 * <p>Tries: {@code -Djqwik.tries.default} (60 in junit-platform.properties).
 */
class GupProperties {

  /** File pages; the last one is a hole until a write pin allocates it. */
  private static final int PAGES = 4;

  /** Times each thread runs its program, to give the threads time to overlap. */
  private static final int REPEATS = 8;

  enum Kind { GET, PUT, PIN, PIN_WRITE, UNPIN, UNPIN_DIRTY, MAP, UNMAP, ZAP, FSYNC }

  record Op(Kind kind, int page) {}

  @Provide
  Arbitrary<List<List<Op>>> programs() {
    Arbitrary<Op> op =
        Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, PAGES - 1))
            .as(Op::new);
    return op.list().ofMinSize(1).ofMaxSize(40).list().ofMinSize(2).ofMaxSize(3);
  }

  @Property
  void referencesBalanceAndPinsStayVisible(@ForAll("programs") List<List<Op>> programs) throws Exception {
    GupFile f = new GupFile(PAGES);
    Gup gup = new Gup();
    PageDescriptors pages = f.pages;
    CpuMapping shared = f.mapRw(PAGES);
    for (int i = 0; i < PAGES - 1; i++) {
      shared.storeLong((long) i * PAGE, i);
    }
    Queue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);

    Thread checker =
        new Thread(
            () -> {
              while (running.get()) {
                for (long pfn = 0; pfn < pages.pageCount(); pfn++) {
                  PageDescriptor d = pages.describe(pfn);
                  if (d.refcount() < 0
                      || d.refcount() < d.mapcount() + PageDescriptors.GUP_PIN_COUNTING_BIAS * d.pinCount()) {
                    violations.add("inconsistent counts: " + d);
                  }
                  if (d.pinCount() > 0 && !d.maybeDmaPinned()) {
                    violations.add("pinned but not maybeDmaPinned: " + d);
                  }
                }
              }
            },
            "checker");
    checker.start();

    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    for (int t = 0; t < programs.size(); t++) {
      List<Op> program = programs.get(t);
      PinOwner owner = gup.owner("worker-" + t);
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                  run(program, owner, gup, f, shared, violations);
                } catch (Throwable e) {
                  failures.add(e);
                }
              });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join(Duration.ofMinutes(1).toMillis());
    }
    running.set(false);
    checker.join(Duration.ofMinutes(1).toMillis());

    assertEquals(List.of(), List.copyOf(failures));
    assertEquals(List.of(), List.copyOf(violations));
    shared.close();
    for (long pfn = 0; pfn < pages.pageCount(); pfn++) {
      assertEquals(0, pages.refcount(pfn), "page " + pfn + " is not idle at the end");
    }
    GupStats stats = gup.stats();
    assertEquals(stats.pinsAcquired(), stats.pinsReleased());
    assertEquals(0, stats.outstanding());
    assertEquals(0, stats.misuseEvents());
    assertEquals(0, pages.misuseEvents());
  }

  private static void run(
      List<Op> program, PinOwner owner, Gup gup, GupFile f, CpuMapping shared, Queue<String> violations)
      throws Exception {
    ArrayDeque<PageRefs> gets = new ArrayDeque<>();
    ArrayDeque<PinVector> pins = new ArrayDeque<>();
    ArrayDeque<CpuMapping> maps = new ArrayDeque<>();
    for (int r = 0; r < REPEATS; r++) {
      for (Op op : program) {
        long addr = (long) op.page() * PAGE;
        int n = op.page() < PAGES - 1 ? 2 : 1;
        switch (op.kind()) {
          case GET -> gets.push(gup.getUserPages(shared, addr, n, 0));
          case PUT -> {
            if (!gets.isEmpty()) {
              gup.putUserPages(gets.pop());
            }
          }
          case PIN, PIN_WRITE -> {
            PinVector v = owner.newPinVector();
            gup.pinUserPages(v, shared, addr, n, op.kind() == Kind.PIN_WRITE ? Gup.FOLL_WRITE : 0);
            pins.push(checked(v, f, violations));
          }
          case UNPIN, UNPIN_DIRTY -> {
            if (!pins.isEmpty()) {
              PinVector h = checked(pins.pop(), f, violations);
              gup.unpinUserPages(h, op.kind() == Kind.UNPIN_DIRTY);
            }
          }
          case MAP -> {
            CpuMapping m = f.mapRw(PAGES);
            m.loadLong(addr);
            maps.push(m);
          }
          case UNMAP -> {
            if (!maps.isEmpty()) {
              maps.pop().close();
            }
          }
          case ZAP -> f.space.unmapRange(op.page(), op.page() + 1);
          case FSYNC -> f.space.writeback(0, PAGES);
        }
      }
    }
    while (!gets.isEmpty()) {
      gup.putUserPages(gets.pop());
    }
    while (!pins.isEmpty()) {
      gup.unpinUserPages(checked(pins.pop(), f, violations), false);
    }
    while (!maps.isEmpty()) {
      maps.pop().close();
    }
  }

  /** The holder of a pin checks, race-free, that its pages look pinned. */
  private static PinVector checked(PinVector h, GupFile f, Queue<String> violations) {
    for (int i = 0; i < h.nrPages(); i++) {
      long pfn = h.pfn(i);
      if (pfn != Pte.ZERO_PFN && (!f.pages.maybeDmaPinned(pfn) || f.pages.pinCount(pfn) == 0)) {
        violations.add("held pin of page " + pfn + " not visible: " + f.pages.describe(pfn));
      }
    }
    return h;
  }
}
