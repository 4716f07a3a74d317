package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daxfs.tools.bench.RatioFigure.Bound;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Draws charts of made-up figures and reads them back pixel by pixel. */
class BenchChartTest {

  @TempDir Path tmp;

  /** Pixels of exactly {@code color} in {@code image}. */
  static long pixels(BufferedImage image, Color color) {
    int rgb = color.getRGB() & 0xffffff;
    long n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xffffff) == rgb) {
          n++;
        }
      }
    }
    return n;
  }

  private static RatioFigure floor(String suite, String key, double value, double target) {
    return new RatioFigure(suite, key, value, Bound.AT_LEAST, target);
  }

  private static RatioFigure free(String suite, String key, double value) {
    return new RatioFigure(suite, key, value, Bound.NONE, RatioFigure.PARITY);
  }

  @Test
  void eachKindOfRatioGetsItsColourAndTheFileIsAPng() throws Exception {
    List<BenchChart.Panel> panels = List.of(
        new BenchChart.Panel("pmem", List.of(
            floor("pmem", "write_ratio_vs_raw", 0.95, 0.9),
            floor("pmem", "read_ratio_vs_raw", 0.5, 0.9)), null),
        new BenchChart.Panel("fsync", List.of(
            free("fsync", "wait_fsync_p50_ratio_vs_baseline", 1.2),
            free("fsync", "wait_fsync_p99_ratio_vs_baseline", 150)), null),
        new BenchChart.Panel("fuse", List.of(), "skipped: bindfs is not installed"));
    Path png = tmp.resolve("chart.png");
    BenchChart.write(png, "daxfs bench all", "a date and a machine", panels);

    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(BenchChart.WIDTH, image.getWidth());
    assertEquals(BenchChart.HEIGHT, image.getHeight());
    for (Color c : List.of(BenchChart.MET, BenchChart.MISSED, BenchChart.NO_TARGET)) {
      // More than the legend's 18 x 18 box: a bar too.
      assertTrue(pixels(image, c) > 18 * 18 * 2, c + ": " + pixels(image, c));
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(png), files.toList(), "no temporary file is left");
    }
  }

  @Test
  void aColourAppearsOnlyInTheLegendWhenNoBarHasIt() {
    BufferedImage image = BenchChart.draw("t", "s", List.of(new BenchChart.Panel("pmem",
        List.of(floor("pmem", "write_ratio_vs_raw", 0.95, 0.9)), null)));
    assertEquals(18 * 18, pixels(image, BenchChart.MISSED), "the legend's box alone");
    assertTrue(pixels(image, BenchChart.MET) > 18 * 18 * 2);
  }

  @Test
  void aWidePanelTakesARowOfItsOwn() {
    List<RatioFigure> many = new java.util.ArrayList<>();
    for (int i = 0; i < 22; i++) {
      many.add(free("fs", "op" + i + "_ratio_vs_raw", 1));
    }
    BenchChart.Panel pmem = new BenchChart.Panel("pmem",
        List.of(free("pmem", "a_ratio_vs_raw", 1), free("pmem", "b_ratio_vs_raw", 1)), null);
    BenchChart.Panel gup = new BenchChart.Panel("gup",
        List.of(free("gup", "pin_ratio_vs_atomic", 1)), null);
    BenchChart.Panel fs = new BenchChart.Panel("fs", many, null);
    assertEquals(List.of(List.of(pmem, gup), List.of(fs), List.of(pmem)),
        BenchChart.rows(List.of(pmem, gup, fs, pmem)));
  }

  @Test
  void scaleIsFourTimesParityOrThreeTimesTheHighestTarget() {
    assertEquals(4.0, BenchChart.scale(List.of(free("x", "a_ratio_vs_b", 150))));
    assertEquals(6.0, BenchChart.scale(List.of(
        new RatioFigure("gup", "pin_ratio_vs_atomic", 3, Bound.AT_MOST, 2.0))));
  }
}
