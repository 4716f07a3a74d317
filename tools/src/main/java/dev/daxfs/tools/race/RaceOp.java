package dev.daxfs.tools.race;

/** The operations the race runs against DMA: each breaks the layout of a range first. */
enum RaceOp {
  /** Shrinking setattr: breaks [new size rounded down to a page, EOF). */
  TRUNCATE,
  /** fallocate PUNCH_HOLE | KEEP_SIZE: breaks the page-rounded range. */
  PUNCH,
  /** fallocate ZERO_RANGE: breaks the page-rounded range. */
  ZERO,
  /** fallocate COLLAPSE_RANGE: breaks [offset, EOF), since every later page changes index. */
  COLLAPSE;

  /** The name reports use. */
  String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
