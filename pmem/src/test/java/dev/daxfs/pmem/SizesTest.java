package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SizesTest {

  @Test
  void parsesNumbersWithBinaryUnits() {
    assertEquals(4096, Sizes.parse("4096"));
    assertEquals(4096, Sizes.parse("4k"));
    assertEquals(64L << 20, Sizes.parse("64M"));
    assertEquals(64L << 20, Sizes.parse("64MiB"));
    assertEquals(64L << 20, Sizes.parse("64 MB"));
    assertEquals(1L << 30, Sizes.parse("1g"));
    assertEquals(2L << 40, Sizes.parse("2T"));
    assertEquals(10, Sizes.parse("10 bytes"));
  }

  @Test
  void refusesWhatIsNotASize() {
    for (String bad : new String[] {"", "M", "-1", "1.5G", "12X", "9999999999999T"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
      assertEquals(true, e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Sizes.parse(null));
  }

  @Test
  void formatsWithTheLargestExactUnit() {
    assertEquals("1 MiB", Sizes.format(1L << 20));
    assertEquals("1.5 GiB", Sizes.format(3L << 29));
    assertEquals("512 KiB", Sizes.format(512 * 1024));
    assertEquals("1048577 bytes", Sizes.format((1L << 20) + 1));
    assertEquals("1 byte", Sizes.format(1));
    assertEquals("5 GiB", Sizes.format(5L << 30));
  }
}
