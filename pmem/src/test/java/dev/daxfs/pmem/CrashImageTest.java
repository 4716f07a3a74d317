package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A crash image is a region like any other: the whole contract holds on it. */
class CrashImageTest extends RegionContract {

  @Override
  protected PmemRegion create(long size) {
    CrashImage image = new CrashRecordingRegion(new HeapRegion(size)).crashPoint().image(0);
    assertEquals(0, image.ownedPages());
    return image;
  }

  @Test
  void writesCopyOnlyThePagesTheyTouch() throws Exception {
    CrashImage image = (CrashImage) region(4 * MiB);
    image.storeLong(10, 1);
    assertEquals(1, image.ownedPages());
    image.storeLong(20, 1);
    assertEquals(1, image.ownedPages());
    image.fill(8_190, 10, (byte) 1); // pages 1 and 2
    assertEquals(3, image.ownedPages());
    image.load(0, new byte[MiB], 0, MiB); // loads copy nothing
    assertEquals(3, image.ownedPages());
    image.copy(0, 3 * MiB, 4_096); // exactly one destination page
    assertEquals(4, image.ownedPages());
    image.copy(0, 3 * MiB + 1, 4_096); // that page again and the next
    assertEquals(5, image.ownedPages());
  }
}
