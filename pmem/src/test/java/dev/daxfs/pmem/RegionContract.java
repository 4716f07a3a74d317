package dev.daxfs.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PmemRegion} backend must do. Each backend's test class extends this and says
 * how to make a zeroed region; the regions it makes are closed after each test.
 */
abstract class RegionContract {

  static final int MiB = 1 << 20;

  private final List<PmemRegion> opened = new ArrayList<>();

  /** A zeroed, writable region of {@code size} bytes (a multiple of 4 KiB, at least 1 MiB). */
  protected abstract PmemRegion create(long size) throws Exception;

  /** Offsets where this backend splits its memory (e.g. mapping segments), to test straddling. */
  protected long[] seams() {
    return new long[] {PmemRegion.PAGE_SIZE, 64 * 1024};
  }

  protected final PmemRegion region(long size) throws Exception {
    PmemRegion r = create(size);
    opened.add(r);
    return r;
  }

  protected final PmemRegion region() throws Exception {
    return region(MiB);
  }

  @AfterEach
  void closeRegions() {
    for (PmemRegion r : opened) {
      r.close();
    }
  }

  static byte[] random(int len, long seed) {
    byte[] b = new byte[len];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] read(PmemRegion r, long off, int len) {
    byte[] b = new byte[len];
    r.load(off, b, 0, len);
    return b;
  }

  // ---- basics --------------------------------------------------------------------------

  @Test
  void reportsItsSizeAndStartsZeroed() throws Exception {
    PmemRegion r = region();
    assertEquals(MiB, r.size());
    assertArrayEquals(new byte[MiB], read(r, 0, MiB));
    assertNotNull(r.flushModel());
    assertFalse(r.describe().isBlank());
    assertFalse(r.readOnly());
  }

  @Test
  void wordsAreLittleEndian() throws Exception {
    PmemRegion r = region();
    r.storeLong(64, 0x0807060504030201L);
    for (int i = 0; i < 8; i++) {
      assertEquals(i + 1, r.loadByte(64 + i));
    }
    r.storeInt(128, 0x44332211);
    assertEquals(0x11, r.loadByte(128));
    assertEquals(0x44, r.loadByte(131));
    assertEquals(0x44332211, r.loadInt(128));
    assertEquals(0x0807060504030201L, r.loadLong(64));
    r.storeByte(200, (byte) -7);
    assertEquals(-7, r.loadByte(200));
  }

  @Test
  void unalignedWordsAcrossLinesPagesAndSeams() throws Exception {
    PmemRegion r = region();
    List<Long> places = new ArrayList<>(List.of(61L, 63L, 4093L, 4095L, r.size() - 8, 1L));
    for (long seam : seams()) {
      for (long d = -7; d <= 0; d++) {
        places.add(seam + d);
      }
    }
    long v = 0x1122334455667788L;
    for (long off : places) {
      r.storeLong(off, v);
      assertEquals(v, r.loadLong(off), "long at " + off);
      for (int i = 0; i < 8; i++) {
        assertEquals((byte) (v >>> (8 * i)), r.loadByte(off + i), "byte " + i + " of long at " + off);
      }
      r.storeInt(off + 2, 0xCAFEBABE);
      assertEquals(0xCAFEBABE, r.loadInt(off + 2), "int at " + (off + 2));
      v = Long.rotateLeft(v, 9) ^ off;
    }
  }

  @Test
  void byteArraysRoundTripAtAnyOffsetAndSliceOfTheArray() throws Exception {
    PmemRegion r = region();
    byte[] data = random(10_000, 1);
    List<Long> places = new ArrayList<>(List.of(0L, 13L, 4090L, r.size() - 9_000));
    for (long seam : seams()) {
      if (seam >= 5_000) {
        places.add(seam - 5_000);
      }
    }
    for (long off : places) {
      r.store(off, data, 1_000, 9_000);
      byte[] back = new byte[9_100];
      r.load(off, back, 50, 9_000);
      assertArrayEquals(
          Arrays.copyOfRange(data, 1_000, 10_000), Arrays.copyOfRange(back, 50, 9_050), "at " + off);
      assertEquals(0, back[49]);
      assertEquals(0, back[9_050]);
    }
  }

  @Test
  void byteBuffersOfEveryKindRoundTripAndAdvance() throws Exception {
    PmemRegion r = region();
    byte[] data = random(9_000, 2);
    long off = seams()[seams().length - 1] - 4_000;

    ByteBuffer heap = ByteBuffer.wrap(data);
    r.store(off, heap);
    assertEquals(data.length, heap.position());
    assertArrayEquals(data, read(r, off, data.length));

    ByteBuffer direct = ByteBuffer.allocateDirect(9_000);
    r.load(off, direct);
    assertEquals(9_000, direct.position());
    direct.flip();
    byte[] fromDirect = new byte[9_000];
    direct.get(fromDirect);
    assertArrayEquals(data, fromDirect);

    byte[] other = random(9_000, 3);
    ByteBuffer readOnlySrc = ByteBuffer.wrap(other).asReadOnlyBuffer();
    r.store(off + 1, readOnlySrc);
    assertFalse(readOnlySrc.hasRemaining());
    assertArrayEquals(other, read(r, off + 1, 9_000));

    ByteBuffer directSrc = ByteBuffer.allocateDirect(9_000).put(data).flip();
    r.store(off + 3, directSrc);
    assertArrayEquals(data, read(r, off + 3, 9_000));

    // A slice of a heap buffer: the array offset must be honoured.
    byte[] backing = new byte[9_100];
    ByteBuffer slice = ByteBuffer.wrap(backing, 100, 9_000).slice();
    r.load(off + 3, slice);
    assertArrayEquals(data, Arrays.copyOfRange(backing, 100, 9_100));
    assertEquals(0, backing[99]);
  }

  @Test
  void copyHandlesOverlapInBothDirections() throws Exception {
    PmemRegion r = region();
    byte[] data = random(8_192, 4);
    r.store(10_000, data, 0, data.length);
    r.copy(10_000, 10_100, 8_192); // destination above source
    assertArrayEquals(data, read(r, 10_100, 8_192));
    r.copy(10_100, 10_003, 8_192); // destination below source
    assertArrayEquals(data, read(r, 10_003, 8_192));
    long seam = seams()[seams().length - 1];
    r.copy(10_003, seam - 3_000, 8_192); // across a seam
    assertArrayEquals(data, read(r, seam - 3_000, 8_192));
  }

  @Test
  void largeOverlappingCopyIsAMemmove() throws Exception {
    PmemRegion r = region(4 * MiB);
    byte[] data = random(3 * MiB, 5);
    r.store(0, data, 0, data.length);
    r.copy(0, 4_096 + 8, 3 * MiB); // larger than one copy chunk, destination above
    assertArrayEquals(data, read(r, 4_104, 3 * MiB));
    r.copy(4_104, 1, 3 * MiB);
    assertArrayEquals(data, read(r, 1, 3 * MiB));
  }

  @Test
  void fillSetsExactlyTheRange() throws Exception {
    PmemRegion r = region();
    r.fill(100, 70_000, (byte) 0x5A);
    assertEquals(0, r.loadByte(99));
    assertEquals(0x5A, r.loadByte(100));
    assertEquals(0x5A, r.loadByte(70_099));
    assertEquals(0, r.loadByte(70_100));
    byte[] expect = new byte[70_000];
    Arrays.fill(expect, (byte) 0x5A);
    assertArrayEquals(expect, read(r, 100, 70_000));
    r.fillPersist(0, 64, (byte) 1);
    assertEquals(0x0101010101010101L, r.loadLong(8));
  }

  @Test
  void compareAndSwapReplacesOnlyTheExpectedValue() throws Exception {
    PmemRegion r = region();
    r.storeLong(4_096, 7);
    assertFalse(r.compareAndSwapLong(4_096, 8, 9));
    assertEquals(7, r.loadLong(4_096));
    assertTrue(r.compareAndSwapLong(4_096, 7, -1));
    assertEquals(-1, r.loadLong(4_096));
    assertEquals(0, r.loadLong(4_104), "the CAS touched only its own word");
    assertThrows(IllegalArgumentException.class, () -> r.compareAndSwapLong(4_097, 0, 1));
  }

  @Test
  void compareAndSwapIsAtomicUnderContention() throws Exception {
    PmemRegion r = region();
    int perThread = 50_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Runnable bump = () -> {
      try {
        for (int i = 0; i < perThread; i++) {
          long v;
          do {
            v = r.loadLong(512);
          } while (!r.compareAndSwapLong(512, v, v + 1));
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    };
    Thread a = new Thread(bump);
    Thread b = new Thread(bump);
    a.start();
    b.start();
    a.join();
    b.join();
    assertEquals(null, failure.get());
    assertEquals(2L * perThread, r.loadLong(512));
  }

  @Test
  void crc32cMatchesTheJdkOverAnyRange() throws Exception {
    PmemRegion r = region();
    byte[] data = random(200_000, 6);
    r.store(1, data, 0, data.length);
    for (int[] range : new int[][] {{1, 0}, {1, 1}, {1, 64}, {7, 4_096}, {1, 200_000}}) {
      CRC32C jdk = new CRC32C();
      jdk.update(data, range[0] - 1, range[1]);
      assertEquals((int) jdk.getValue(), r.crc32c(range[0], range[1]), Arrays.toString(range));
    }
  }

  @Test
  void persistHelpersStoreAndCopy() throws Exception {
    PmemRegion r = region();
    byte[] data = random(300, 7);
    r.storePersist(1_000, data, 0, 300);
    assertArrayEquals(data, read(r, 1_000, 300));
    r.copyPersist(1_000, 5_000, 300);
    assertArrayEquals(data, read(r, 5_000, 300));
    r.flush(0, r.size());
    r.fence();
    r.persist(r.size() - 1, 1);
    r.flush(0, 0);
  }

  // ---- bad arguments -------------------------------------------------------------------

  @Test
  void everyAccessOutsideTheRegionIsRefusedAndChangesNothing() throws Exception {
    PmemRegion r = region();
    long end = r.size();
    byte[] buf = new byte[16];
    List<Runnable> bad = List.of(
        () -> r.loadByte(-1),
        () -> r.loadByte(end),
        () -> r.loadInt(end - 3),
        () -> r.loadLong(end - 7),
        () -> r.loadLong(Long.MAX_VALUE),
        () -> r.storeByte(end, (byte) 1),
        () -> r.storeInt(-4, 1),
        () -> r.storeLong(end - 4, 1),
        () -> r.load(end - 8, buf, 0, 16),
        () -> r.store(end - 8, buf, 0, 16),
        () -> r.load(0, buf, 8, 16),
        () -> r.store(0, buf, -1, 4),
        () -> r.load(end - 1, ByteBuffer.allocate(2)),
        () -> r.store(Long.MAX_VALUE - 1, ByteBuffer.allocate(4)),
        () -> r.copy(end - 10, 0, 11),
        () -> r.copy(0, end - 10, 11),
        () -> r.fill(10, end, (byte) 1),
        () -> r.fill(10, -1, (byte) 1),
        () -> r.compareAndSwapLong(end, 0, 1),
        () -> r.crc32c(1, end),
        () -> r.flush(end, 1),
        () -> r.flush(0, -1),
        () -> r.persist(-64, 64),
        () -> r.poison(end - 32, 64));
    for (int i = 0; i < bad.size(); i++) {
      int n = i;
      assertThrows(IndexOutOfBoundsException.class, () -> bad.get(n).run(), "case " + n);
    }
    assertArrayEquals(new byte[MiB], read(r, 0, MiB), "a refused access changed nothing");
  }

  @Test
  void aClosedRegionRefusesEverything() throws Exception {
    PmemRegion r = create(MiB);
    r.close();
    r.close(); // twice is harmless
    assertThrows(IllegalStateException.class, () -> r.loadLong(0));
    assertThrows(IllegalStateException.class, () -> r.storeLong(0, 1));
    assertThrows(IllegalStateException.class, () -> r.load(0, new byte[1], 0, 1));
    assertThrows(IllegalStateException.class, () -> r.flush(0, 64));
    assertThrows(IllegalStateException.class, r::fence);
    assertThrows(IllegalStateException.class, () -> r.crc32c(0, 1));
  }

  // ---- media errors --------------------------------------------------------------------

  @Test
  void loadsFromAPoisonedLineFailWithItsOffset() throws Exception {
    PmemRegion r = region();
    r.storeLong(4_160, 42);
    r.poison(4_170, 1); // poisons the whole line [4160, 4224)
    assertEquals(List.of(new Range(4_160, 64)), r.poisoned());
    MediaErrorException e = assertThrows(MediaErrorException.class, () -> r.loadLong(4_160));
    assertEquals(4_160, e.offset());
    // The offset is the first poisoned byte the load touched.
    assertEquals(4_223, assertThrows(MediaErrorException.class, () -> r.loadByte(4_223)).offset());
    assertThrows(MediaErrorException.class, () -> r.loadInt(4_158)); // straddles into it
    assertEquals(
        4_160, assertThrows(MediaErrorException.class, () -> r.load(0, new byte[8_192], 0, 8_192)).offset());
    assertThrows(MediaErrorException.class, () -> r.load(4_100, ByteBuffer.allocateDirect(100)));
    assertThrows(MediaErrorException.class, () -> r.crc32c(0, r.size()));
    assertThrows(MediaErrorException.class, () -> r.copy(4_160, 0, 64));
    assertThrows(MediaErrorException.class, () -> r.compareAndSwapLong(4_160, 42, 1));
    // Neighbours are fine.
    assertEquals(0, r.loadLong(4_152));
    assertEquals(0, r.loadLong(4_224));
  }

  @Test
  void onlyAStoreCoveringTheWholeLineClearsPoison() throws Exception {
    PmemRegion r = region();
    r.poison(0, 256); // lines 0..3
    r.storeLong(0, 1); // partial: line 0 stays poisoned
    r.store(60, new byte[68], 0, 68); // covers line 1 [64,128) fully
    r.fill(128, 64, (byte) 9); // line 2
    assertEquals(List.of(new Range(0, 64), new Range(192, 64)), r.poisoned());
    assertEquals(0, r.loadLong(64));
    assertEquals(0x0909090909090909L, r.loadLong(128));
    r.copy(1_024, 192, 64); // a copy is a store too
    assertEquals(List.of(new Range(0, 64)), r.poisoned());
    assertThrows(MediaErrorException.class, () -> r.loadByte(0));
    r.store(0, ByteBuffer.allocate(64));
    assertEquals(List.of(), r.poisoned());
    assertEquals(0, r.loadLong(0));
  }

  @Test
  void thePoisonListIsSortedAndMerged() throws Exception {
    PmemRegion r = region();
    r.poison(640, 64);
    r.poison(0, 1);
    r.poison(64, 64);
    r.poison(700, 100); // lines 640..768 -> [640, 832)
    assertEquals(List.of(new Range(0, 128), new Range(640, 192)), r.poisoned());
  }
}
