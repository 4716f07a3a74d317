package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code *_ratio_vs_*} figure of a suite's report, with the target the suite sets for it:
 * a floor (throughput: at least this share of the baseline), a ceiling (cost: at most this
 * multiple of the limit), or none (the figure is shown against parity, 1.0).
 */
record RatioFigure(String suite, String key, double value, Bound bound, double target) {

  /** Which side of its target a figure must be on. */
  enum Bound {
    AT_LEAST(">="),
    AT_MOST("<="),
    NONE("");

    /** How the table and the chart write the bound. */
    final String symbol;

    Bound(String symbol) {
      this.symbol = symbol;
    }
  }

  /** Where a figure with no target of its own is drawn against: as fast as the baseline. */
  static final double PARITY = 1.0;

  RatioFigure {
    if (bound == Bound.NONE && target != PARITY) {
      throw new IllegalArgumentException(key + ": a figure without a target is drawn at parity");
    }
  }

  /** Whether the figure meets its target; true when it has none. */
  boolean met() {
    return switch (bound) {
      case AT_LEAST -> value >= target;
      case AT_MOST -> value <= target;
      case NONE -> true;
    };
  }

  /** The key without "_ratio": "rand_read_4k vs raw". */
  String label() {
    int at = key.indexOf("_ratio_vs_");
    return key.substring(0, at) + " vs " + key.substring(at + "_ratio_vs_".length());
  }

  /** ">= 0.7", "<= 2.0" or "". */
  String targetText() {
    return bound == Bound.NONE ? "" : String.format(Locale.ROOT, "%s %.1f", bound.symbol, target);
  }

  /**
   * Every numeric top-level {@code *_ratio_vs_*} field of {@code report}, in report order, each
   * with the target its suite sets (of fs's checksummed subject, only what checksums cost
   * against plain daxfs: its ratios to the baselines stay in the report): fs lists its floors under "targets", gup names the ceiling
   * of pin_ratio_vs_atomic, pmem's floor covers both its ratios, and fuse's peer floor covers
   * every ratio against bindfs.
   */
  static List<RatioFigure> of(String suite, JsonNode report) {
    Map<String, Double> floors = new HashMap<>();
    Map<String, Double> ceilings = new HashMap<>();
    for (JsonNode t : report.path("targets")) {
      if (t.path("at_least").isNumber()) {
        floors.put(t.path("figure").asText(), t.path("at_least").asDouble());
      }
    }
    if (report.path("pin_ratio_target").isNumber()) {
      ceilings.put("pin_ratio_vs_atomic", report.path("pin_ratio_target").asDouble());
    }
    List<RatioFigure> figures = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = report.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = f.getKey();
      if (!key.contains("_ratio_vs_") || !f.getValue().isNumber()
          || key.contains("_crc_ratio_vs_") && !key.endsWith("_vs_daxfs")) {
        continue;
      }
      double value = f.getValue().asDouble();
      if (floors.containsKey(key)) {
        figures.add(new RatioFigure(suite, key, value, Bound.AT_LEAST, floors.get(key)));
      } else if (ceilings.containsKey(key)) {
        figures.add(new RatioFigure(suite, key, value, Bound.AT_MOST, ceilings.get(key)));
      } else if (suite.equals("pmem") && report.path("ratio_target").isNumber()) {
        figures.add(new RatioFigure(suite, key, value, Bound.AT_LEAST,
            report.path("ratio_target").asDouble()));
      } else if (suite.equals("fuse") && key.endsWith("_vs_bindfs")) {
        figures.add(new RatioFigure(suite, key, value, Bound.AT_LEAST,
            FuseBench.PEER_RATIO_TARGET));
      } else {
        figures.add(new RatioFigure(suite, key, value, Bound.NONE, PARITY));
      }
    }
    return figures;
  }
}
