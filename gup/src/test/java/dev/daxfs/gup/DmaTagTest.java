package dev.daxfs.gup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DmaTagTest {

  @Test
  void recordsRoundTrip() {
    byte[] buf = new byte[64];
    DmaTag tag = new DmaTag(3, 1L << 40, 7);
    tag.encode(buf, 32);
    assertEquals(Optional.of(tag), DmaTag.decode(buf, 32));
    assertEquals(Optional.empty(), DmaTag.decode(buf, 0), "zeroes are not a tag");
    assertEquals(Optional.empty(), DmaTag.decode(buf, 40), "out of range");
  }

  @Test
  void aDamagedRecordIsRejected() {
    byte[] buf = new byte[32];
    new DmaTag(1, 2, 3).encode(buf, 0);
    buf[17] ^= 1;
    assertTrue(DmaTag.decode(buf, 0).isEmpty());
  }

  @Test
  void aPatternTagsEveryRecordWithItsPage() {
    byte[] p = DmaTag.pattern(5, 9, 3 * 4096 + 10);
    assertEquals(new DmaTag(5, 9, 0), DmaTag.decode(p, 0).orElseThrow());
    assertEquals(new DmaTag(5, 9, 1), DmaTag.decode(p, 4096 + 64).orElseThrow());
    assertEquals(new DmaTag(5, 9, 2), DmaTag.decode(p, 2 * 4096 + 4064).orElseThrow());
  }
}
