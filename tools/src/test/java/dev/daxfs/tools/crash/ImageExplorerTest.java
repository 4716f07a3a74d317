package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.pmem.CrashImageOptions;
import dev.daxfs.pmem.CrashPoint;
import dev.daxfs.pmem.CrashRecordingRegion;
import dev.daxfs.pmem.HeapRegion;
import dev.daxfs.pmem.PmemRegion;
import java.math.BigInteger;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageExplorerTest {

  /** Six in-flight lines: 0 to 5, each holding 1s where the media holds 0s. */
  private static CrashPoint point(int units, int maxEnumerated) {
    CrashRecordingRegion r = new CrashRecordingRegion(new HeapRegion(64 * 64));
    for (int u = 0; u < units; u++) {
      r.fill(64L * u, 64, (byte) 1);
      r.flush(64L * u, 64);
    }
    return r.crashPoint(new CrashImageOptions(maxEnumerated, 2, 0, false));
  }

  /**
   * A check that reads line 0, reads line 1 only when line 0 is applied, and fails when both
   * are; it never reads lines 2 to 5.
   */
  private static ImageChecker.Verdict check(PmemRegion image, int[] calls) {
    calls[0]++;
    ReadTrackingRegion r = new ReadTrackingRegion(image);
    boolean a = r.loadByte(0) == 1;
    boolean b = a && r.loadByte(64) == 1;
    return new ImageChecker.Verdict(r.linesRead(), a && b ? "state" : null, a && b ? "both"
        : null, null);
  }

  @Test
  void everyImageIsCoveredWithAMountPerReadPath() {
    for (int enumerated : new int[] {30, 2}) {
      CrashPoint p = point(6, enumerated);
      ImageExplorer x = new ImageExplorer(p);
      int[] calls = {0};
      ImageExplorer.Outcome o = x.explore(img -> check(img, calls), 100, 4, 0);
      assertTrue(o.exhaustive());
      assertEquals(BigInteger.valueOf(64), o.total());
      assertEquals(BigInteger.valueOf(64), o.covered());
      assertEquals(calls[0], o.mounts());
      assertTrue(o.mounts() <= 4, "none, all, line 0 alone, lines 0 and 1: " + o.mounts());
      List<ImageExplorer.Failure> f = o.failures();
      assertEquals(1, f.size());
      assertTrue(f.get(0).applied().get(0) && f.get(0).applied().get(1));
      assertEquals(BigInteger.valueOf(16), f.get(0).equivalent(),
          "the 16 images with lines 0 and 1 applied");
    }
  }

  @Test
  void imagesAreThePointsImagesWhetherEnumeratedOrComposed() {
    CrashPoint enumerated = point(6, 30);
    CrashPoint sampled = point(6, 2);
    BitSet applied = new BitSet();
    applied.set(1);
    applied.set(4);
    PmemRegion a = new ImageExplorer(enumerated).image(applied);
    PmemRegion b = new ImageExplorer(sampled).image(applied);
    for (int line = 0; line < 8; line++) {
      byte want = (byte) (applied.get(line) ? 1 : 0);
      assertEquals(want, a.loadByte(64L * line + 3));
      assertEquals(want, b.loadByte(64L * line + 3));
    }
  }

  @Test
  void beyondTheBudgetImagesAreSampled() {
    CrashPoint p = point(12, 30);
    ImageExplorer x = new ImageExplorer(p);
    int[] calls = {0};
    // Reads every line: no two images are alike.
    ImageExplorer.Outcome o = x.explore(img -> {
      calls[0]++;
      ReadTrackingRegion r = new ReadTrackingRegion(img);
      r.load(0, new byte[64 * 12], 0, 64 * 12);
      return new ImageChecker.Verdict(r.linesRead(), null, null, null);
    }, 10, 5, 7);
    assertFalse(o.exhaustive());
    assertEquals(calls[0], o.mounts());
    assertTrue(o.mounts() >= 10 && o.mounts() <= 15, "10 explored and up to 5 sampled: "
        + o.mounts());
    assertTrue(o.covered().compareTo(o.total()) < 0);
  }

  @Test
  void masksRoundTrip() {
    BitSet b = new BitSet();
    b.set(0);
    b.set(5);
    b.set(70);
    assertEquals(b, ImageExplorer.parseMask(ImageExplorer.mask(b)));
    assertEquals("21", ImageExplorer.mask(BitSet.valueOf(new long[] {0x21})));
    assertEquals("0", ImageExplorer.mask(new BitSet()));
    assertEquals(new BitSet(), ImageExplorer.parseMask("0"));
  }
}
