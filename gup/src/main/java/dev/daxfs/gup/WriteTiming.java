package dev.daxfs.gup;

/** When, within a transfer's hold, an emulated device writes its data into memory. */
public enum WriteTiming {
  /** All data lands at the end of the hold, just before the unpin. */
  AT_END,
  /** Page by page, evenly spread over the hold: page k of n lands at (k+1)/n of it. */
  SPREAD
}
