package dev.daxfs.tools.race;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The race's cuts: valid for their operation, aimed at the DMA, modelled exactly. */
class CutTest {

  private static final int P = Cut.PAGE;
  private static final long SIZE = 24L * P;

  @Test
  void randomCutsAreValidAndOverlapTheHotRange() {
    SplittableRandom rng = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      long hotStart = 32L * rng.nextLong(SIZE / 32 - 1);
      long hotEnd = Math.min(SIZE, hotStart + 32L * (1 + rng.nextInt(100)));
      RaceOp op = RaceOp.values()[rng.nextInt(RaceOp.values().length)];
      Cut c = Cut.random(op, rng, SIZE, hotStart, hotEnd);
      String what = c + " against [" + hotStart + ", " + hotEnd + ")";
      long hotFirst = hotStart / P;
      long hotLast = (hotEnd - 1) / P;
      assertTrue(c.breaks(hotFirst, hotLast), "the break misses the DMA: " + what);
      switch (op) {
        case TRUNCATE -> {
          assertTrue(c.offset() < hotEnd, "truncate keeps the DMA range: " + what);
          assertEquals(SIZE, c.offset() + c.length());
          assertEquals(0, c.offset() % Cut.GRAIN, what);
        }
        case PUNCH, ZERO -> {
          assertTrue(c.offset() < hotEnd && c.offset() + c.length() > hotStart, what);
          assertTrue(c.offset() + c.length() <= SIZE, "stays inside the file: " + what);
          assertEquals(0, c.offset() % Cut.GRAIN, what);
          assertEquals(0, c.length() % Cut.GRAIN, what);
        }
        case COLLAPSE -> {
          assertEquals(0, c.offset() % P, what);
          assertEquals(0, c.length() % P, what);
          assertTrue(c.offset() + c.length() < SIZE, "leaves a page after it: " + what);
        }
        default -> throw new AssertionError(op);
      }
    }
  }

  @Test
  void breakRangesFollowTheDesign() {
    Cut truncate = new Cut(RaceOp.TRUNCATE, P + 512, SIZE - P - 512, false);
    assertEquals(1, truncate.breakFirstPage(), "truncate breaks from the page holding EOF");
    assertEquals(Long.MAX_VALUE, truncate.breakEndPage());
    assertFalse(truncate.breaks(0, 0));
    Cut punch = new Cut(RaceOp.PUNCH, 2 * P + 512, P, false);
    assertEquals(2, punch.breakFirstPage());
    assertEquals(4, punch.breakEndPage(), "page-rounded, partial pages included");
    assertTrue(punch.breaks(3, 3));
    assertFalse(punch.breaks(4, 9));
    Cut collapse = new Cut(RaceOp.COLLAPSE, 2 * P, P, false);
    assertTrue(collapse.breaks(20, 20), "collapse breaks to EOF: later pages change index");
    assertFalse(collapse.breaks(0, 1));
  }

  @Test
  void theModelCutsAsTheOperationDoes() {
    byte[] data = new byte[4 * P];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i / 512 + 1);
    }
    byte[] truncated = new Cut(RaceOp.TRUNCATE, P + 512, 3 * P - 512, false).expected(data);
    assertEquals(P + 512, truncated.length);
    assertEquals(data[P + 511], truncated[P + 511]);

    byte[] punched = new Cut(RaceOp.PUNCH, 512, 1024, false).expected(data);
    assertEquals(data.length, punched.length);
    assertEquals(data[511], punched[511]);
    assertEquals(0, punched[512]);
    assertEquals(0, punched[1535]);
    assertEquals(data[1536], punched[1536]);

    byte[] zeroed = new Cut(RaceOp.ZERO, 3 * P, 2 * P, true).expected(data);
    assertEquals(data.length, zeroed.length, "a range past EOF with keep size does not grow");
    assertEquals(0, zeroed[4 * P - 1]);

    byte[] collapsed = new Cut(RaceOp.COLLAPSE, P, 2 * P, false).expected(data);
    assertEquals(2 * P, collapsed.length);
    assertEquals(data[0], collapsed[0]);
    assertEquals(data[3 * P], collapsed[P]);
    byte[] tail = java.util.Arrays.copyOfRange(data, 3 * P, 4 * P);
    assertArrayEquals(tail, java.util.Arrays.copyOfRange(collapsed, P, 2 * P));
  }
}
