package dev.daxfs.tools.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.markers.Marker;

/**
 * The chart of a {@code bench all} run as one PNG: a header with the title, date and machine,
 * then one panel per suite with a bar for each of its ratios, coloured by whether it meets its
 * target, a dash at the target itself, and a line at parity (1.0). A suite that did not run
 * gets a panel saying why. Drawn headless: no display is needed.
 */
final class BenchChart {

  /** Size of the image in pixels. */
  static final int WIDTH = 1800;

  static final int HEIGHT = 1500;

  /** A ratio that meets its target. */
  static final Color MET = new Color(0x2e7d32);

  /** A ratio that misses its target. */
  static final Color MISSED = new Color(0xc62828);

  /** A ratio without a target, drawn against parity. */
  static final Color NO_TARGET = new Color(0x5c7f99);

  /** The target dashes and the text. */
  private static final Color INK = new Color(0x202020);

  /** The parity line. */
  private static final Color PARITY_LINE = new Color(0x808080);

  /** Height of the header above the panels. */
  private static final int HEADER = 110;

  /** Gap around and between panels. */
  private static final int GAP = 10;

  /** Width a panel needs besides its bars (axis, title), in bars. */
  private static final int PANEL_OVERHEAD_BARS = 3;

  /** Bars that fit in one row before a row is full, unless one panel alone has more. */
  private static final int ROW_BARS = 24;

  /** Panels with more figures than this slant their labels. */
  private static final int SLANT_ABOVE = 4;

  static {
    // Set before the first AWT class loads; a launcher flag would do too, this needs none.
    System.setProperty("java.awt.headless", "true");
  }

  /** One suite's panel: its figures, or, when it did not run, why (then figures is empty). */
  record Panel(String suite, List<RatioFigure> figures, String note) {
    Panel {
      figures = List.copyOf(figures);
    }

    /** Whether its labels slant, there being too many to stand side by side. */
    boolean slanted() {
      return figures.size() > SLANT_ABOVE;
    }

    /** The horizontal space the panel asks for, in bars. */
    int weight() {
      return Math.max(figures.size(), 2) + PANEL_OVERHEAD_BARS;
    }
  }

  private BenchChart() {}

  /**
   * Draws {@code panels} under {@code title} and {@code subtitle} into {@code file}, a PNG of
   * {@link #WIDTH} x {@link #HEIGHT}; the file appears whole or not at all.
   */
  static void write(Path file, String title, String subtitle, List<Panel> panels)
      throws IOException {
    BufferedImage image = draw(title, subtitle, panels);
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      if (!ImageIO.write(image, "png", tmp.toFile())) {
        throw new IOException("this Java has no PNG writer");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The chart as an image. */
  static BufferedImage draw(String title, String subtitle, List<Panel> panels) {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
          RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      header(g, title, subtitle);
      List<List<Panel>> rows = rows(panels);
      // A row whose labels slant needs room for them below its bars.
      double[] shares = new double[rows.size()];
      double total = 0;
      for (int i = 0; i < rows.size(); i++) {
        shares[i] = rows.get(i).stream().anyMatch(Panel::slanted) ? 1.5 : 1.0;
        total += shares[i];
      }
      int y = HEADER;
      for (int i = 0; i < rows.size(); i++) {
        List<Panel> row = rows.get(i);
        int rowHeight = (int) ((HEIGHT - HEADER - GAP) * shares[i] / total);
        int weights = row.stream().mapToInt(Panel::weight).sum();
        int x = GAP;
        int usable = WIDTH - GAP * (row.size() + 1);
        for (Panel p : row) {
          int w = (int) ((long) usable * p.weight() / weights);
          Graphics2D pg = (Graphics2D) g.create(x, y, w, rowHeight - GAP);
          try {
            panel(pg, p, w, rowHeight - GAP);
          } finally {
            pg.dispose();
          }
          x += w + GAP;
        }
        y += rowHeight;
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  /** Panels in order, a row filled until the next would pass {@link #ROW_BARS}. */
  static List<List<Panel>> rows(List<Panel> panels) {
    int capacity = Math.max(ROW_BARS, panels.stream().mapToInt(Panel::weight).max().orElse(0));
    List<List<Panel>> rows = new ArrayList<>();
    List<Panel> row = new ArrayList<>();
    int used = 0;
    for (Panel p : panels) {
      if (!row.isEmpty() && used + p.weight() > capacity) {
        rows.add(row);
        row = new ArrayList<>();
        used = 0;
      }
      row.add(p);
      used += p.weight();
    }
    if (!row.isEmpty()) {
      rows.add(row);
    }
    return rows;
  }

  private static void header(Graphics2D g, String title, String subtitle) {
    g.setColor(INK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 26));
    g.drawString(title, GAP * 2, 36);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    g.drawString(subtitle, GAP * 2, 62);
    // The legend, drawn once for every panel.
    int x = GAP * 2;
    int y = 92;
    x = legendBox(g, x, y, MET, "meets its target");
    x = legendBox(g, x, y, MISSED, "misses its target");
    x = legendBox(g, x, y, NO_TARGET, "no target");
    g.setColor(INK);
    g.setStroke(new BasicStroke(3f));
    g.draw(new Line2D.Double(x, y - 5, x + 28, y - 5));
    x = legendText(g, x + 36, y, "target (>= floor, <= ceiling, written under each bar)");
    g.setColor(PARITY_LINE);
    g.setStroke(new BasicStroke(1f));
    g.draw(new Line2D.Double(x, y - 5, x + 28, y - 5));
    legendText(g, x + 36, y, "parity with the baseline (1.0)");
  }

  private static int legendBox(Graphics2D g, int x, int y, Color color, String text) {
    g.setColor(color);
    g.fillRect(x, y - 14, 18, 18);
    return legendText(g, x + 26, y, text);
  }

  private static int legendText(Graphics2D g, int x, int y, String text) {
    g.setColor(INK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    g.drawString(text, x, y);
    return x + g.getFontMetrics().stringWidth(text) + 30;
  }

  private static void panel(Graphics2D g, Panel p, int w, int h) {
    if (p.figures().isEmpty()) {
      g.setColor(new Color(0xf4f4f4));
      g.fillRect(0, 0, w, h);
      g.setColor(PARITY_LINE);
      g.drawRect(0, 0, w - 1, h - 1);
      g.setColor(INK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(p.suite(), 12, 24);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
      wrap(g, p.note() == null ? "no ratios reported" : p.note(), 12, 50, w - 24);
      return;
    }
    chart(p, w, h).paint(g, w, h);
  }

  /** Draws {@code text} from (x, y) in lines no wider than {@code width}. */
  private static void wrap(Graphics2D g, String text, int x, int y, int width) {
    FontMetrics m = g.getFontMetrics();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && m.stringWidth(line + " " + word) > width) {
        g.drawString(line.toString(), x, y);
        y += m.getHeight();
        line.setLength(0);
      }
      line.append(line.length() == 0 ? "" : " ").append(word);
    }
    g.drawString(line.toString(), x, y);
  }

  /**
   * A suite's bars as an XChart category chart: three overlapped bar series (met, missed, no
   * target), each holding a figure's value in its own category and null elsewhere, and a
   * scatter series whose marker is a dash at each target.
   */
  static CategoryChart chart(Panel p, int w, int h) {
    CategoryChart c = new CategoryChartBuilder().width(w).height(h)
        .title(p.suite() + (p.note() == null ? "" : ": " + p.note()))
        .yAxisTitle("ratio").build();
    CategoryStyler s = c.getStyler();
    s.setOverlapped(true);
    s.setLegendVisible(false);
    s.setLabelsVisible(true);
    s.setLabelsPosition(0.9);
    s.setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setDecimalPattern("0.0#");
    s.setYAxisDecimalPattern("0.0#");
    s.setYAxisMin(0.0);
    s.setXAxisLabelRotation(p.slanted() ? 45 : 0);
    s.setXAxisMaxLabelCount(Math.max(2, p.figures().size()));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotGridVerticalLinesVisible(false);
    s.setAnnotationLineColor(PARITY_LINE);
    s.setAnnotationLineStroke(new BasicStroke(1f));
    s.setChartPadding(6);
    s.setChartTitleBoxVisible(false);

    List<String> labels = new ArrayList<>();
    List<Double> met = new ArrayList<>();
    List<Double> missed = new ArrayList<>();
    List<Double> none = new ArrayList<>();
    List<Double> targets = new ArrayList<>();
    double scale = scale(p.figures());
    double top = RatioFigure.PARITY;
    for (RatioFigure f : p.figures()) {
      String label = f.label();
      if (!f.targetText().isEmpty()) {
        label += " (" + f.targetText() + ")";
      }
      if (f.value() > scale) {
        label += String.format(Locale.ROOT, " = %.1f, off scale", f.value());
      }
      labels.add(label);
      boolean target = f.bound() != RatioFigure.Bound.NONE;
      met.add(target && f.met() ? f.value() : null);
      missed.add(target && !f.met() ? f.value() : null);
      none.add(target ? null : f.value());
      targets.add(target ? f.target() : null);
      top = Math.max(top, Math.min(scale, Math.max(f.value(), f.target())));
    }
    // Room above the tallest bar or target for its label.
    s.setYAxisMax(top * 1.12);
    bars(c, "met", labels, met, MET);
    bars(c, "missed", labels, missed, MISSED);
    bars(c, "none", labels, none, NO_TARGET);
    if (targets.stream().anyMatch(t -> t != null)) {
      CategorySeries t = c.addSeries("target", labels, targets);
      t.setChartCategorySeriesRenderStyle(CategorySeriesRenderStyle.Scatter);
      double half = Math.max(6, 0.3 * w / (p.figures().size() + PANEL_OVERHEAD_BARS));
      t.setMarker(new Dash(half));
      t.setMarkerColor(INK);
    }
    c.addAnnotation(new AnnotationLine(RatioFigure.PARITY, false, false));
    return c;
  }

  /**
   * The highest ratio a panel shows: four times parity or three times its highest target, so
   * that one figure far off (an fsync p99 a hundred times its baseline's) does not flatten the
   * others; a bar above it is cut at the top and its label gives its value.
   */
  static double scale(List<RatioFigure> figures) {
    double target = RatioFigure.PARITY;
    for (RatioFigure f : figures) {
      target = Math.max(target, f.target());
    }
    return Math.max(4 * RatioFigure.PARITY, 3 * target);
  }

  private static void bars(CategoryChart c, String name, List<String> labels, List<Double> values,
      Color color) {
    CategorySeries series = c.addSeries(name, labels, values);
    series.setChartCategorySeriesRenderStyle(CategorySeriesRenderStyle.Bar);
    series.setFillColor(color);
  }

  /** A horizontal dash centred on a target. */
  private static final class Dash extends Marker {

    /** Half the dash's length, in pixels. */
    private final double half;

    Dash(double half) {
      this.half = half;
    }

    @Override
    public void paint(Graphics2D g, double x, double y, int markerSize) {
      g.setStroke(new BasicStroke(3f));
      g.draw(new Line2D.Double(x - half, y, x + half, y));
    }
  }
}
