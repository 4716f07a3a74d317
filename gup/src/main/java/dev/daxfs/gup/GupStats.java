package dev.daxfs.gup;

import java.util.Map;

/**
 * gup's counters at one moment: Linux's nr_foll_pin_acquired and nr_foll_pin_released (in
 * pages), the pages each owner holds pinned, and the misuses gup refused.
 *
 * @param pinsAcquired pages pinned, all owners ({@code pins_acquired})
 * @param pinsReleased pages unpinned, all owners ({@code pins_released})
 * @param misuseEvents unpins of an empty pin vector, pins into a full one, second puts of a
 *     reference set, and descriptor misuses found while unpinning
 * @param outstandingByOwner pages held pinned, by owner name
 */
public record GupStats(
    long pinsAcquired, long pinsReleased, long misuseEvents, Map<String, Long> outstandingByOwner) {

  public GupStats {
    outstandingByOwner = Map.copyOf(outstandingByOwner);
  }

  /** Pages pinned now, all owners. */
  public long outstanding() {
    return pinsAcquired - pinsReleased;
  }
}
