package dev.daxfs.dax;

/** What {@link CpuMapping#followPage} takes on the page it resolved, while it is still locked. */
public enum PageGrab {
  /** Nothing: an ODP device mirrors the page and relies on invalidations instead. */
  NONE,
  /** One plain reference (FOLL_GET), released by {@link PageDescriptors#put}. */
  GET,
  /** One pin (FOLL_PIN), released by {@link PageDescriptors#unpin}. */
  PIN
}
