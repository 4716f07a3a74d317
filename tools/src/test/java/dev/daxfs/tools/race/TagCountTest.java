package dev.daxfs.tools.race;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.daxfs.gup.DmaTag;
import org.junit.jupiter.api.Test;

/** Tag accounting, percentiles, patterns and page comparison used by the race. */
class TagCountTest {

  @Test
  void countsRecordsAndTheDifferencesBothWays() {
    byte[] expected = new byte[8192];
    System.arraycopy(DmaTag.pattern(1, 5, 4096), 0, expected, 0, 4096);
    byte[] found = expected.clone();
    // Two records of transfer 5 lost, one record of another transfer strayed in.
    java.util.Arrays.fill(found, 64, 128, (byte) 0);
    System.arraycopy(DmaTag.pattern(2, 9, 32), 0, found, 4096, 32);
    TagCount want = TagCount.of(expected);
    TagCount got = TagCount.of(found);
    assertEquals(128, want.total());
    assertEquals(127, got.total());
    assertEquals(2, got.missingFrom(want));
    assertEquals(1, got.beyond(want));
  }

  @Test
  void patternsNeverLookLikeTags() {
    byte[] p = DmaRace.pattern(1, 2, 'B', 1 << 20);
    assertEquals(0, TagCount.of(p).total());
    byte[] q = DmaRace.pattern(1, 3, 'B', 1 << 20);
    assertEquals(256, DmaRace.differingPages(p, q), "each round has its own bytes");
    assertEquals(0, DmaRace.differingPages(p, p.clone()));
    assertEquals(1, DmaRace.differingPages(p, java.util.Arrays.copyOf(p, p.length - 4096)),
        "a missing page differs");
  }

  @Test
  void percentilesAreNearestRankInMicroseconds() {
    Samples s = new Samples();
    assertNull(s.percentileMicros(50));
    for (int i = 1; i <= 200; i++) {
      s.add(i * 1000L);
    }
    assertEquals(100.0, s.percentileMicros(50));
    assertEquals(198.0, s.percentileMicros(99));
    assertEquals(200.0, s.maxMicros());
    assertEquals(200, s.count());
  }
}
