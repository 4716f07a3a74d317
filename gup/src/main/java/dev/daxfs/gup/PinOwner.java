package dev.daxfs.gup;

/**
 * Who holds pins: a DMA device, a driver, a test. Pins are counted per owner, which is what
 * "outstanding pins per device" reports; a long-term pin's policy check names the owner as the
 * holder unless the caller names another one. Made by {@link Gup#owner}.
 */
public final class PinOwner {

  /** The gup instance that counts for this owner. */
  private final Gup gup;

  /** Name, unique within its gup instance. */
  private final String name;

  /** Pages pinned and unpinned by this owner. */
  final PinCounters counters = new PinCounters();

  PinOwner(Gup gup, String name) {
    this.gup = gup;
    this.name = name;
  }

  Gup gup() {
    return gup;
  }

  /**
   * A new, empty pin vector whose pins this owner holds: made once and reused for pin after pin
   * (see {@link PinVector}).
   */
  public PinVector newPinVector() {
    return new PinVector(this);
  }

  /** The owner's name. */
  public String name() {
    return name;
  }

  /** Pages this owner pinned so far. */
  public long pinsAcquired() {
    return counters.acquired();
  }

  /** Pages this owner unpinned so far. */
  public long pinsReleased() {
    return counters.released();
  }

  /** Pages this owner holds pinned now. */
  public long outstandingPins() {
    return counters.acquired() - counters.released();
  }

  @Override
  public String toString() {
    return name;
  }
}
