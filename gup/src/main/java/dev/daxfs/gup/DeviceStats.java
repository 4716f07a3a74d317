package dev.daxfs.gup;

/**
 * A device's counters at one moment.
 *
 * @param name device name
 * @param odp whether the device does On-Demand Paging
 * @param transfersSubmitted transfers accepted
 * @param transfersCompleted transfers that finished normally
 * @param transfersFailed transfers that finished with an error
 * @param bytesWritten bytes written into memory
 * @param bytesRead bytes read from memory
 * @param misdirectedWrites page writes that landed on a page no longer owned by what they addressed
 * @param odpRetries ODP resolutions repeated after an invalidation
 * @param outstandingPins pages the device holds pinned
 * @param registrations open long-term registrations
 */
public record DeviceStats(
    String name,
    boolean odp,
    long transfersSubmitted,
    long transfersCompleted,
    long transfersFailed,
    long bytesWritten,
    long bytesRead,
    long misdirectedWrites,
    long odpRetries,
    long outstandingPins,
    int registrations) {}
