package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CrashRecordingRegionTest extends RegionContract {

  @Override
  protected PmemRegion create(long size) {
    return new CrashRecordingRegion(new HeapRegion(size));
  }

  private CrashRecordingRegion recorder() throws Exception {
    return (CrashRecordingRegion) region();
  }

  private static long line(PmemRegion r, long off) {
    return r.loadLong(off);
  }

  /** The values of the longs at {@code offs} in each image of the point, as strings. */
  private static Set<String> outcomes(CrashPoint p, long... offs) {
    Set<String> out = new HashSet<>();
    for (CrashImage image : p.images()) {
      StringBuilder s = new StringBuilder();
      for (long off : offs) {
        s.append(image.loadLong(off)).append(' ');
      }
      out.add(s.toString().trim());
    }
    return out;
  }

  // ---- line states ---------------------------------------------------------------------

  @Test
  void aLineGoesFromDirtyToFlushedToPersisted() throws Exception {
    CrashRecordingRegion r = recorder();
    assertEquals(LineState.PERSISTED, r.lineState(100));
    r.storeLong(128, 1);
    assertEquals(LineState.DIRTY, r.lineState(128));
    assertEquals(LineState.DIRTY, r.lineState(191));
    assertEquals(LineState.PERSISTED, r.lineState(192));
    r.flush(130, 1);
    assertEquals(LineState.FLUSHED, r.lineState(128));
    r.flush(0, 4_096); // flushing clean lines changes nothing
    assertEquals(LineState.PERSISTED, r.lineState(0));
    assertEquals(1, r.inFlightLines());
    r.fence();
    assertEquals(LineState.PERSISTED, r.lineState(128));
    assertEquals(0, r.inFlightLines());
    assertEquals(1, r.stores());
    assertEquals(2, r.flushes());
    assertEquals(1, r.fences());
  }

  @Test
  void everyKindOfStoreIsRecorded() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeByte(0, (byte) 1);
    r.storeInt(64, 1);
    r.store(128, new byte[] {1}, 0, 1);
    r.store(192, java.nio.ByteBuffer.wrap(new byte[] {1}));
    r.copy(0, 256, 1);
    r.fill(320, 1, (byte) 1);
    assertTrue(r.compareAndSwapLong(384, 0, 1));
    assertFalse(r.compareAndSwapLong(448, 5, 1)); // failed CAS stores nothing
    for (long off = 0; off <= 384; off += 64) {
      assertEquals(LineState.DIRTY, r.lineState(off), "line " + off);
    }
    assertEquals(LineState.PERSISTED, r.lineState(448));
    assertEquals(7, r.stores());
    assertEquals(7, r.crashPoint().units());
  }

  @Test
  void aStoreSpanningLinesDirtiesEachOfThem() throws Exception {
    CrashRecordingRegion r = recorder();
    r.store(60, new byte[200], 0, 200); // lines 0..4 (bytes 60..259)
    assertEquals(5, r.inFlightLines());
    r.persist(64, 64); // only line 1
    assertEquals(LineState.DIRTY, r.lineState(0));
    assertEquals(LineState.PERSISTED, r.lineState(64));
    assertEquals(LineState.DIRTY, r.lineState(256));
  }

  // ---- crash images --------------------------------------------------------------------

  @Test
  void everySubsetOfInFlightLinesIsAnImage() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 10);
    r.persist(0, 8);
    r.storeLong(0, 11); // dirty
    r.storeLong(64, 21);
    r.flush(64, 8); // flushed, not fenced
    r.storeLong(4_096, 31); // dirty, another page
    CrashPoint p = r.crashPoint();
    assertEquals(3, p.units());
    assertTrue(p.enumerated());
    assertEquals(8, p.imageCount());
    assertEquals(
        Set.of("10 0 0", "11 0 0", "10 21 0", "11 21 0", "10 0 31", "11 0 31", "10 21 31", "11 21 31"),
        outcomes(p, 0, 64, 4_096));
    CrashImage none = p.image(0);
    assertEquals(10, none.loadLong(0), "not applied: the persisted value, not zero");
    assertEquals(List.of(), none.applied());
    assertEquals(List.of(new Range(0, 64), new Range(64, 64), new Range(4_096, 64)), none.notApplied());
    CrashImage all = p.image(7);
    assertEquals(11, all.loadLong(0));
    assertEquals(31, all.loadLong(4_096));
    assertEquals(3, all.applied().size());
    assertEquals(LineState.DIRTY, p.inFlightState(0));
    assertEquals(LineState.FLUSHED, p.inFlightState(1));
    assertThrows(IndexOutOfBoundsException.class, () -> p.image(8));
  }

  @Test
  void persistedLinesAreExactInEveryImage() throws Exception {
    CrashRecordingRegion r = recorder();
    byte[] data = random(4_096, 30);
    r.storePersist(8_192, data, 0, data.length);
    r.storeLong(0, 1);
    r.storeLong(64, 2);
    for (CrashImage image : r.crashPoint().images()) {
      assertArrayEquals(data, read(image, 8_192, data.length));
    }
  }

  @Test
  void aLineStoredWithItsOldBytesIsInFlightButNoUnit() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 0); // the same bytes again
    assertEquals(LineState.DIRTY, r.lineState(0));
    CrashPoint p = r.crashPoint();
    assertEquals(1, p.inFlightLines().size());
    assertEquals(0, p.units());
    assertEquals(1, p.imageCount());
  }

  @Test
  void aStoreAfterTheFlushDoesNotUndoIt() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 1);
    r.persist(0, 8);
    r.storeLong(0, 2);
    r.flush(0, 8);
    r.storeLong(0, 3); // after the flush, before the fence
    assertEquals(LineState.DIRTY, r.lineState(0));
    assertEquals(Set.of("1", "3"), outcomes(r.crashPoint(), 0));
    r.fence(); // makes 2 (the contents as of the flush) durable; 3 is still dirty
    assertEquals(LineState.DIRTY, r.lineState(0));
    assertEquals(Set.of("2", "3"), outcomes(r.crashPoint(), 0));
    r.persist(0, 8);
    assertEquals(Set.of("3"), outcomes(r.crashPoint(), 0));
  }

  @Test
  void aSecondFlushSupersedesTheFirstVersion() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 2);
    r.flush(0, 8);
    r.storeLong(0, 3);
    r.flush(0, 8);
    r.fence();
    assertEquals(LineState.PERSISTED, r.lineState(0));
    assertEquals(Set.of("3"), outcomes(r.crashPoint(), 0));
  }

  @Test
  void tornImagesVaryEachChangedWord() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 1);
    r.storeLong(8, 2);
    r.storeLong(56, 3);
    r.storeLong(16, 0); // unchanged word: no unit
    CrashPoint whole = r.crashPoint();
    assertEquals(1, whole.units());
    assertEquals(Set.of("0 0 0", "1 2 3"), outcomes(whole, 0, 8, 56));
    CrashPoint torn = r.crashPoint(CrashImageOptions.DEFAULT.withTorn(true));
    assertEquals(3, torn.units());
    assertEquals(new Range(56, 8), torn.unit(2));
    assertEquals(8, outcomes(torn, 0, 8, 56).size());
    assertTrue(torn.image(5).describe().contains("2 of 3 in-flight words applied"), torn.image(5).describe());
  }

  @Test
  void manyInFlightLinesAreSampledWithNothingAndEverythingFirst() throws Exception {
    CrashRecordingRegion r = recorder();
    for (int i = 0; i < 20; i++) {
      r.storeLong(i * 64L, i + 1);
    }
    CrashImageOptions options = CrashImageOptions.DEFAULT.withMaxEnumerated(4).withSamples(16).withSeed(7);
    CrashPoint p = r.crashPoint(options);
    assertFalse(p.enumerated());
    assertEquals(16, p.imageCount());
    assertEquals(20, p.image(0).notApplied().size());
    assertEquals(20, p.image(1).applied().size());
    Set<List<Range>> masks = new HashSet<>();
    for (CrashImage image : p.images()) {
      masks.add(image.applied());
    }
    assertTrue(masks.size() >= 14, "samples vary: " + masks.size());
    // The same seed gives the same images, another seed others.
    CrashPoint again = r.crashPoint(options);
    CrashPoint other = r.crashPoint(options.withSeed(8));
    for (int i = 0; i < 16; i++) {
      assertEquals(p.image(i).applied(), again.image(i).applied());
    }
    List<List<Range>> a = new ArrayList<>();
    List<List<Range>> b = new ArrayList<>();
    for (int i = 2; i < 16; i++) {
      a.add(p.image(i).applied());
      b.add(other.image(i).applied());
    }
    assertNotEquals(a, b);
  }

  @Test
  void imageOptionsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> CrashImageOptions.DEFAULT.withSamples(1));
    assertThrows(IllegalArgumentException.class, () -> CrashImageOptions.DEFAULT.withMaxEnumerated(31));
    assertThrows(IllegalArgumentException.class, () -> CrashImageOptions.DEFAULT.withMaxEnumerated(-1));
  }

  @Test
  void aCrashPointStaysAsItWasWhileRecordingGoesOn() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 1);
    CrashPoint p = r.crashPoint();
    r.storeLong(0, 2);
    r.storeLong(64, 5);
    r.persist(0, 128);
    assertEquals(Set.of("0 0", "1 0"), outcomes(p, 0, 64));
    assertEquals("after fence 0 (1 stores recorded)", p.label());
  }

  @Test
  void fenceListenersSeeEachFenceBeforeItTakesEffect() throws Exception {
    CrashRecordingRegion r = recorder();
    List<String> seen = new ArrayList<>();
    CrashRecordingRegion.FenceListener listener = (fence, region) -> {
      CrashPoint p = region.crashPoint();
      seen.add(fence + ":" + p.label() + ":" + outcomes(p, 0));
    };
    r.addFenceListener(listener);
    r.storeLong(0, 1);
    r.flush(0, 8);
    r.fence(); // before it: 1 may or may not have reached the media
    r.storeLong(0, 2);
    r.persist(0, 8);
    r.removeFenceListener(listener);
    r.fence();
    assertEquals(List.of(
        "1:before fence 1:[0, 1]",
        "2:before fence 2:[1, 2]"), seen);
    assertEquals(3, r.fences());
  }

  @Test
  void imagesAreIndependentWritableRegions() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 1);
    CrashPoint p = r.crashPoint();
    CrashImage a = p.image(0);
    CrashImage b = p.image(0);
    a.storeLong(0, 99);
    a.storeLong(100_000, 98);
    assertEquals(0, b.loadLong(0));
    assertEquals(0, b.loadLong(100_000));
    assertEquals(1, r.loadLong(0));
    assertEquals(0, p.image(0).loadLong(0));
    assertTrue(a.describe().startsWith("crash image 0 of 2 after fence 0"), a.describe());
  }

  @Test
  void anImageCostsThePagesItChangesNotTheRegion() {
    long size = 64L << 20;
    HeapRegion media = new HeapRegion(size);
    media.fill(0, size, (byte) 0x5A); // a full region, not a sparse one
    CrashRecordingRegion r = new CrashRecordingRegion(media);
    r.storeLong(0, 1);
    r.storeLong(64, 1); // same page
    r.storeLong(40L << 20, 1); // another page
    CrashPoint p = r.crashPoint();
    long total = 0;
    for (CrashImage image : p.images()) {
      total += image.ownedPages();
      assertEquals(0x5A5A5A5A5A5A5A5AL, image.loadLong(1L << 20));
    }
    // 8 images over 2 pages: page 0 is copied by the 6 images that apply line 0 or line 1,
    // page 10240 by the 4 that apply its line; nothing else is ever copied.
    assertEquals(6 + 4, total);
    r.close();
  }

  @Test
  void recordingOverAnImageSharesItsPages() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 1);
    CrashImage image = r.crashPoint().image(1);
    CrashRecordingRegion again = new CrashRecordingRegion(image);
    assertEquals(0, image.ownedPages(), "freezing for the new recorder made the image's pages shared");
    again.storeLong(0, 2);
    assertEquals(Set.of("1", "2"), outcomes(again.crashPoint(), 0));
    assertTrue(again.describe().startsWith("crash-recording crash image 1 of 2"), again.describe());
  }

  @Test
  void recordingWorksOverAnEmulatedRegion() throws Exception {
    try (ShmDir dir = new ShmDir();
        CrashRecordingRegion r = new CrashRecordingRegion(Regions.open(dir.resolve("rec"),
            RegionOptions.create(MiB).withBackend(RegionOptions.Backend.EMULATED)))) {
      r.storeLong(512, 7);
      assertEquals(Set.of("0", "7"), outcomes(r.crashPoint(), 512));
      assertEquals(FlushModel.FREE, r.flushModel());
      assertTrue(r.describe().startsWith("crash-recording emulated pmem"), r.describe());
    }
  }

  @Test
  void closingTheRecorderClosesTheMedia() {
    HeapRegion media = new HeapRegion(MiB);
    new CrashRecordingRegion(media).close();
    assertThrows(IllegalStateException.class, () -> media.loadByte(0));
  }

  @Test
  void concurrentStoresAndPersistsAreAllTracked() throws Exception {
    CrashRecordingRegion r = recorder();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] threads = new Thread[2];
    for (int t = 0; t < threads.length; t++) {
      long base = t * 256 * 1024L;
      threads[t] = new Thread(() -> {
        try {
          for (int i = 0; i < 2_000; i++) {
            long off = base + (i % 1_000) * 64L;
            r.storeLong(off, i);
            r.persist(off, 8);
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(null, failure.get());
    assertEquals(0, r.inFlightLines());
    assertEquals(4_000, r.stores());
    CrashPoint p = r.crashPoint();
    assertEquals(1, p.imageCount());
    assertArrayEquals(read(r, 0, MiB), read(p.image(0), 0, MiB), "the shadow is the media");
  }

  // ---- durability assertions -----------------------------------------------------------

  @Test
  void assertPersistedNamesEachOffendingLine() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(4_096, 1);
    r.persist(4_096, 8);
    r.storeLong(0, 1);
    r.storeLong(128, 1);
    r.flush(128, 8);
    r.assertPersisted(4_096, 64);
    r.assertPersisted(64, 64);
    assertTrue(r.isPersisted(64, 64));
    assertFalse(r.isPersisted(0, 4_096));
    AssertionError e = assertThrows(AssertionError.class, () -> r.assertPersisted(0, 8_192));
    assertEquals("[0, 8192) is not durable: 2 lines have stores not yet flushed and fenced: "
        + "line [0, 64) dirty (stored, not flushed), line [128, 192) flushed, not fenced", e.getMessage());
    r.fence();
    e = assertThrows(AssertionError.class, () -> r.assertPersisted(0, 64));
    assertEquals("[0, 64) is not durable: 1 line has stores not yet flushed and fenced: "
        + "line [0, 64) dirty (stored, not flushed)", e.getMessage());
    r.persist(0, 8);
    r.assertPersisted(0, MiB);
  }

  @Test
  void assertPersistedSummarisesLongLists() throws Exception {
    CrashRecordingRegion r = recorder();
    r.fill(0, 20 * 64, (byte) 1);
    AssertionError e = assertThrows(AssertionError.class, () -> r.assertPersisted(0, MiB));
    assertTrue(e.getMessage().contains("20 lines have") && e.getMessage().endsWith(" and 12 more"),
        e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> r.assertPersisted(MiB - 8, 64));
  }

  // ---- media errors --------------------------------------------------------------------

  @Test
  void poisonIsOnTheMediaInEveryImage() throws Exception {
    CrashRecordingRegion r = recorder();
    r.storeLong(0, 1);
    r.poison(4_096, 64);
    for (CrashImage image : r.crashPoint().images()) {
      assertEquals(List.of(new Range(4_096, 64)), image.poisoned());
      assertThrows(MediaErrorException.class, () -> image.loadLong(4_096));
    }
  }

  @Test
  void aWholeLineStoreClearsPoisonOnTheMediaOnlyOnceDurable() throws Exception {
    CrashRecordingRegion r = recorder();
    r.poison(0, 64);
    r.store(0, random(64, 31), 0, 64); // clears it for loads now
    assertEquals(List.of(), r.poisoned());
    CrashPoint p = r.crashPoint();
    assertEquals(2, p.imageCount());
    assertEquals(List.of(new Range(0, 64)), p.image(0).poisoned(), "old contents: still lost");
    assertEquals(List.of(), p.image(1).poisoned(), "new contents applied: clean");
    r.persist(0, 64);
    assertEquals(List.of(), r.crashPoint().image(0).poisoned());
  }

  @Test
  void poisonOnTheRecordedMediaIsInherited() {
    HeapRegion media = new HeapRegion(MiB);
    media.storeLong(0, 3);
    media.poison(640, 10);
    CrashRecordingRegion r = new CrashRecordingRegion(media);
    assertEquals(List.of(new Range(640, 64)), r.poisoned());
    assertThrows(MediaErrorException.class, () -> r.loadByte(641));
    assertEquals(3, r.loadLong(0));
    CrashImage image = r.crashPoint().image(0);
    assertEquals(List.of(new Range(640, 64)), image.poisoned());
    assertEquals(3, image.loadLong(0));
    r.fill(640, 64, (byte) 1);
    r.persist(640, 64);
    assertEquals(List.of(), r.crashPoint().image(0).poisoned());
    assertEquals(0x0101010101010101L, r.crashPoint().image(0).loadLong(640));
  }
}
