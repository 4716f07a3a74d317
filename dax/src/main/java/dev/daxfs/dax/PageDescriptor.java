package dev.daxfs.dax;

/**
 * A snapshot of one page's descriptor, read in one atomic step for the counts: for reports,
 * {@code daxfs inspect} and assertions. Owner inode 0 means the page belongs to no file.
 *
 * @param pfn region page frame number (region offset / 4096)
 * @param refcount references: one per CPU mapping, one per get, 1024 per pin
 * @param mapcount CPU mappings of the page
 * @param pinCount exact number of pins
 * @param watched whether the idle listener is told when the page becomes idle
 * @param ownerInode inode the filesystem assigned the page to, 0 for none
 * @param ownerIndex page index in that inode
 */
public record PageDescriptor(
    long pfn,
    int refcount,
    int mapcount,
    int pinCount,
    boolean watched,
    long ownerInode,
    long ownerIndex) {

  /** refcount 0: nothing maps, pins or references the page. */
  public boolean idle() {
    return refcount == 0;
  }

  /** References beyond the CPU mappings' own: a pin, a get, or an access in flight. */
  public boolean dmaBusy() {
    return refcount - mapcount != 0;
  }

  /** refcount at or above the pin bias: the page may be pinned for DMA. */
  public boolean maybeDmaPinned() {
    return refcount >= PageDescriptors.GUP_PIN_COUNTING_BIAS;
  }

  @Override
  public String toString() {
    return "page " + pfn + " {refcount " + refcount + ", mapcount " + mapcount + ", pins "
        + pinCount + (watched ? ", watched" : "")
        + (ownerInode == 0 ? ", no owner" : ", owner inode " + ownerInode + " index " + ownerIndex)
        + "}";
  }
}
