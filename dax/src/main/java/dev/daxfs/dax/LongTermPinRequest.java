package dev.daxfs.dax;

/**
 * A request for a long-term pin (FOLL_LONGTERM) or an ODP registration on a file range, as the
 * address space's {@link LongTermPinPolicy} sees it.
 *
 * @param space the file's address space
 * @param startIndex first file page index
 * @param endIndex one past the last file page index
 * @param write whether the device will write into the pages
 * @param odp whether the device takes invalidations instead of holding pins (On-Demand Paging)
 * @param holder who asks: the DMA device or registration; a policy compares it with the holders
 *     of layout leases by {@code equals}
 */
public record LongTermPinRequest(
    DaxAddressSpace space, long startIndex, long endIndex, boolean write, boolean odp, Object holder) {

  public LongTermPinRequest {
    if (space == null) {
      throw new IllegalArgumentException("long-term pin request needs an address space");
    }
    if (startIndex < 0 || endIndex <= startIndex) {
      throw new IllegalArgumentException(
          "long-term pin request needs 0 <= start < end, not [" + startIndex + ", " + endIndex + ")");
    }
  }
}
