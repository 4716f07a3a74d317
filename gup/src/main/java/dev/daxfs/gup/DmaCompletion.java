package dev.daxfs.gup;

/**
 * How a DMA transfer ended.
 *
 * @param device the device's name
 * @param sequence the transfer's sequence number on the device (its tag)
 * @param bytes bytes moved
 * @param pages pages touched
 * @param misdirectedWrites page writes that landed on a page no longer owned by the addressed
 *     (inode, index)
 * @param odpRetries times an ODP transfer found its pages invalidated and resolved them again
 */
public record DmaCompletion(
    String device, long sequence, long bytes, int pages, int misdirectedWrites, int odpRetries) {}
