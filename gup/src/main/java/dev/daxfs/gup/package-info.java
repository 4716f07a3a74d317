/**
 * get_user_pages and pin_user_pages over daxfs mappings, their counters, and the DMA device
 * emulator.
 *
 * <ul>
 *   <li>{@link dev.daxfs.gup.Gup}: {@code pinUserPages}/{@code unpinUserPages} (FOLL_PIN, with
 *       FOLL_WRITE and FOLL_LONGTERM) into a caller's reusable {@link dev.daxfs.gup.PinVector},
 *       {@code getUserPages}/{@code putUserPages} (FOLL_GET), the lock-free fast path with
 *       revalidation, and pins_acquired / pins_released.
 *   <li>{@link dev.daxfs.gup.DmaEmulator} and {@link dev.daxfs.gup.DmaDevice}: named devices
 *       (ODP or pinning, bandwidth, hold, write timing), asynchronous short-term transfers,
 *       long-term {@link dev.daxfs.gup.DmaRegistration}s, tagged writes
 *       ({@link dev.daxfs.gup.DmaTag}) and misdirected-write detection.
 * </ul>
 *
 * gup reaches files only through {@link dev.daxfs.dax.CpuMapping}s; it takes no filesystem lock
 * of its own. Unpins run on whatever thread ends a transfer and take no lock at all.
 */
package dev.daxfs.gup;
