package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.dax.CpuMapping;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A waiter in waitIdle returns after the last unpin, and times out otherwise. */
class WaitIdleTest {

  private final GupFile f = new GupFile(4);
  private final Gup gup = new Gup();

  @Test
  void theLastUnpinWakesTheWaiter() throws Exception {
    CpuMapping m = f.populated(4);
    long pfn = f.blocks.blockOf(0);
    PinVector a = gup.owner("a").newPinVector();
    PinVector b = gup.owner("b").newPinVector();
    gup.pinUserPages(a, m, 0, 1, 0);
    gup.pinUserPages(b, m, 0, 1, 0);
    m.close(); // only the pins hold the page now
    AtomicReference<Object> result = new AtomicReference<>();
    Thread waiter =
        new Thread(
            () -> {
              try {
                result.set(f.pages.waitIdle(pfn, Duration.ofMinutes(10)));
              } catch (Throwable e) {
                result.set(e);
              }
            });
    waiter.start();
    while (waiter.getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait();
    }
    gup.unpinUserPages(a, false);
    waiter.join(50);
    assertTrue(waiter.isAlive(), "one pin left: the waiter keeps waiting");
    assertEquals(null, result.get());
    gup.unpinUserPages(b, false);
    waiter.join(Duration.ofMinutes(1).toMillis());
    assertEquals(Boolean.TRUE, result.get());
  }

  @Test
  void theWaitTimesOutWhileAPinIsHeld() throws Exception {
    CpuMapping m = f.populated(4);
    long pfn = f.blocks.blockOf(1);
    PinVector h = gup.owner("a").newPinVector();
    gup.pinUserPages(h, m, 4096, 1, 0);
    m.close();
    assertFalse(f.pages.waitIdle(pfn, Duration.ofMillis(30)));
    gup.unpinUserPages(h, false);
    assertTrue(f.pages.waitIdle(pfn, Duration.ZERO));
  }
}
