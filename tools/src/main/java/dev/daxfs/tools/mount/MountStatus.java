package dev.daxfs.tools.mount;

import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FsStats;
import dev.daxfs.fs.MountReport;
import dev.daxfs.fs.StatFs;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.tools.fuse.FuseMount;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What {@code daxfs stat} shows: the payload of the control socket's {@code stat} request.
 *
 * <p>Layout (JSON member names are stable; figures a layer does not have yet are absent, never
 * zero): {@code mountpoint}, {@code region}, {@code pid}, {@code mounted_at}; {@code space}
 * and {@code inodes}; {@code mount} (how the mount went: formatted, clean or recovered, why,
 * how long); the counters at top level ({@code layout_breaks}, {@code layout_waits},
 * {@code layout_wait_ms}, {@code layout_wait_max_ms}, {@code etxtbsy_refusals}, {@code
 * orphans_pending}, {@code log_cleanings}, {@code log_pages_freed}, ...); {@code fuse}. The
 * mount's DMA streams add {@code pins_acquired}, {@code pins_released}, {@code
 * pins_outstanding}, {@code misdirected_writes}, {@code odp_invalidations} and a {@code devices}
 * list, each device with its own {@code pins_acquired}, {@code pins_released} and {@code
 * pins_outstanding} ({@link DmaStreams#addStats}), and its leases {@code leases_held} and {@code
 * leases}, at top level through {@link #addSection}.
 */
final class MountStatus {

  private final Path mountpoint;
  private final Path regionPath;
  private final PmemRegion region;
  private final DaxFs fs;
  private final DaxFsFuse adapter;
  private final FuseMount fuse;
  private final dev.daxfs.tools.fuse.MountOptions fuseOptions;
  private final boolean formatted;
  private final MountSettings settings;
  private final Instant mountedAt = Instant.now();

  /** Further figures, each adding its members to the payload (the pin layer's, later). */
  private final List<Consumer<Map<String, Object>>> sections = new CopyOnWriteArrayList<>();

  MountStatus(Path mountpoint, Path regionPath, PmemRegion region, DaxFs fs, DaxFsFuse adapter,
      FuseMount fuse, dev.daxfs.tools.fuse.MountOptions fuseOptions, boolean formatted,
      MountSettings settings) {
    this.mountpoint = mountpoint;
    this.regionPath = regionPath;
    this.region = region;
    this.fs = fs;
    this.adapter = adapter;
    this.fuse = fuse;
    this.fuseOptions = fuseOptions;
    this.formatted = formatted;
    this.settings = settings;
  }

  /** Adds figures that another layer keeps (pins, devices); they appear at top level. */
  void addSection(Consumer<Map<String, Object>> section) {
    sections.add(section);
  }

  Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mountpoint", mountpoint.toString());
    m.put("region", regionPath.toString());
    m.put("backend", region.describe());
    m.put("data_checksums", fs.dataChecksums());
    m.put("pid", ProcessHandle.current().pid());
    m.put("mounted_at", mountedAt.toString());

    StatFs s = fs.statfs();
    long bs = s.blockSize();
    Map<String, Object> space = new LinkedHashMap<>();
    space.put("block_size", bs);
    space.put("total_bytes", s.blocks() * bs);
    space.put("used_bytes", (s.blocks() - s.freeBlocks()) * bs);
    space.put("free_bytes", s.freeBlocks() * bs);
    space.put("available_bytes", s.availableBlocks() * bs);
    m.put("space", space);
    Map<String, Object> inodes = new LinkedHashMap<>();
    inodes.put("total", s.files());
    inodes.put("used", s.files() - s.freeFiles());
    inodes.put("free", s.freeFiles());
    m.put("inodes", inodes);

    m.put("mount", mountSection(fs.mountReport()));

    FsStats st = fs.stats();
    m.put("layout_breaks", st.layoutBreaks.sum());
    m.put("layout_waits", st.layoutWaits.sum());
    m.put("layout_wait_ms", st.layoutWaitNanos.sum() / 1_000_000.0);
    m.put("layout_wait_max_ms", st.layoutWaitMaxNanos.get() / 1_000_000.0);
    m.put("layout_waits_in_progress", st.layoutWaitsInProgress.get());
    m.put("layout_waits_interrupted", st.layoutWaitsInterrupted.sum());
    m.put("layout_waits_timed_out", st.layoutWaitsTimedOut.sum());
    m.put("etxtbsy_refusals", st.leaseRefusals.sum());
    m.put("in_place_writes", st.inPlaceWrites.sum());
    m.put("in_place_writes_for_space", st.inPlaceForSpace.sum());
    m.put("locked_reads", st.lockedReads.sum());
    m.put("checksum_errors", st.checksumErrors.sum());
    m.put("media_errors", st.mediaErrors.sum());
    m.put("orphans_reaped", st.orphansReaped.sum());
    m.put("orphans_pending", fs.orphansPending());
    m.put("log_cleanings", st.logCleanings.sum());
    m.put("log_pages_freed", st.logPagesFreed.sum());
    for (Consumer<Map<String, Object>> section : sections) {
      section.accept(m);
    }

    Map<String, Object> f = new LinkedHashMap<>();
    f.put("libfuse", fuse.libfuseRelease());
    f.put("options", fuseOptions.toString());
    f.put("daxfs_options", settings.ownOptions());
    f.put("open_files", adapter.openFiles());
    f.put("kernel_inodes", adapter.kernelInodes());
    m.put("fuse", f);
    return m;
  }

  private Map<String, Object> mountSection(MountReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("how", formatted ? "formatted" : r.firstMount() ? "first mount" : r.clean() ? "clean"
        : "recovered");
    m.put("reason", formatted ? "the region was new and formatted at this mount" : r.reason());
    m.put("ms", r.nanos() / 1_000_000.0);
    m.put("journal_rollbacks", r.journalRollbacks());
    m.put("inodes_scanned", r.inodesScanned());
    m.put("orphans_freed", r.orphansFreed());
    m.put("damaged_inodes", r.damagedInodes());
    m.put("used_backup_superblock", r.usedBackupSuperblock());
    return m;
  }

  /** One line saying how a mount of an existing filesystem went. */
  static String describe(MountReport r) {
    String ms = String.format("%.1f ms", r.nanos() / 1_000_000.0);
    if (r.firstMount()) {
      return "first mount of a freshly formatted filesystem, in " + ms;
    }
    if (r.clean()) {
      return "mounted after a clean unmount in " + ms + " (" + r.reason() + ")";
    }
    StringBuilder sb = new StringBuilder("recovered in " + ms + " after an unclean shutdown: "
        + r.reason() + "; " + r.journalRollbacks() + " unfinished operations rolled back, "
        + r.orphansFreed() + " orphans freed");
    if (r.damagedInodes() > 0) {
      sb.append("; ").append(r.damagedInodes()).append(" damaged inodes answer EIO");
    }
    if (r.usedBackupSuperblock()) {
      sb.append("; the primary superblock was damaged and the backup was used");
    }
    return sb.toString();
  }
}
