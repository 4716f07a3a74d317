package dev.daxfs.gup;

/**
 * One page's worth of a DMA write as the emulator performed it, and whether it was misdirected:
 * the page no longer belonged to the (inode, index) the transfer pinned or resolved.
 *
 * @param device the writing device's name
 * @param sequence the transfer's sequence number on the device
 * @param pfn the page frame written
 * @param offsetInPage first byte written within the page
 * @param length bytes written
 * @param inode the inode the transfer addressed
 * @param index the file page index the transfer addressed
 * @param ownerInode the page's owner inode when the data landed (0: none)
 * @param ownerIndex the page's owner index when the data landed
 * @param misdirected whether the owner differed from (inode, index)
 */
public record DmaWrite(
    String device,
    long sequence,
    long pfn,
    int offsetInPage,
    int length,
    long inode,
    long index,
    long ownerInode,
    long ownerIndex,
    boolean misdirected) {}
