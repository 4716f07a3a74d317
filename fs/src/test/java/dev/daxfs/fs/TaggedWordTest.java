package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TaggedWordTest {

  private static final long SALT = TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, 42);

  @Test
  void roundTripsEveryKindOfValue() {
    SplittableRandom rnd = new SplittableRandom(1);
    long[] fixed = {1, 2, 4095, 4096, 1L << 32, TaggedWord.MAX_VALUE};
    for (long v : fixed) {
      assertEquals(v, TaggedWord.decode(TaggedWord.encode(v, SALT), SALT));
    }
    for (int i = 0; i < 10_000; i++) {
      long v = rnd.nextLong(1, TaggedWord.MAX_VALUE + 1);
      long salt = rnd.nextLong();
      long w = TaggedWord.encode(v, salt);
      assertEquals(v, w & TaggedWord.MAX_VALUE, "the value sits in the low 48 bits");
      assertEquals(v, TaggedWord.decode(w, salt));
    }
  }

  @Test
  void zeroIsTheNullWordUnderEverySalt() {
    assertEquals(TaggedWord.NULL, TaggedWord.encode(0, SALT));
    assertEquals(0, TaggedWord.decode(TaggedWord.NULL, SALT));
    assertEquals(0, TaggedWord.decode(TaggedWord.NULL, 12345));
  }

  @Test
  void aWordWithAZeroValueButATagIsDamage() {
    assertEquals(-1, TaggedWord.decode(0xABCDL << 48, SALT));
  }

  @Test
  void refusesValuesItCannotHold() {
    assertThrows(IllegalArgumentException.class, () -> TaggedWord.encode(-1, SALT));
    assertThrows(IllegalArgumentException.class,
        () -> TaggedWord.encode(TaggedWord.MAX_VALUE + 1, SALT));
  }

  @Test
  void everyFlippedTagBitIsCaught() {
    SplittableRandom rnd = new SplittableRandom(2);
    for (int i = 0; i < 1000; i++) {
      long v = rnd.nextLong(1, TaggedWord.MAX_VALUE + 1);
      long w = TaggedWord.encode(v, SALT);
      for (int bit = 48; bit < 64; bit++) {
        assertEquals(-1, TaggedWord.decode(w ^ (1L << bit), SALT), "bit " + bit);
      }
    }
  }

  @Test
  void flippedValueBitsAreAlmostAlwaysCaught() {
    SplittableRandom rnd = new SplittableRandom(3);
    int passed = 0;
    int trials = 0;
    for (int i = 0; i < 1000; i++) {
      long v = rnd.nextLong(1, TaggedWord.MAX_VALUE + 1);
      long w = TaggedWord.encode(v, SALT);
      for (int bit = 0; bit < 48; bit++) {
        long bad = w ^ (1L << bit);
        trials++;
        if ((bad & TaggedWord.MAX_VALUE) != 0 && TaggedWord.decode(bad, SALT) >= 0) {
          passed++;
        }
      }
    }
    // 48,000 damaged words; a 16-bit check lets through about one in 65,536.
    assertTrue(passed <= 5, passed + " of " + trials + " damaged words passed their check");
  }

  @Test
  void aWordMovedToAnotherPlaceOrPurposeFailsItsCheck() {
    SplittableRandom rnd = new SplittableRandom(4);
    int passed = 0;
    for (int i = 0; i < 10_000; i++) {
      long v = rnd.nextLong(1, TaggedWord.MAX_VALUE + 1);
      long w = TaggedWord.encode(v, TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, i));
      if (TaggedWord.decode(w, TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, i + 1)) >= 0) {
        passed++;
      }
      if (TaggedWord.decode(w, TaggedWord.salt(TaggedWord.SALT_LOG_HEAD, i)) >= 0) {
        passed++;
      }
    }
    assertTrue(passed <= 3, passed + " of 20000 misplaced words passed their check");
  }

  @Test
  void saltsDependOnPurposeAndOwner() {
    assertNotEquals(TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, 1),
        TaggedWord.salt(TaggedWord.SALT_LOG_HEAD, 1));
    assertNotEquals(TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, 1),
        TaggedWord.salt(TaggedWord.SALT_LOG_TAIL, 2));
  }
}
