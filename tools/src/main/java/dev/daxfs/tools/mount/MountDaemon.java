package dev.daxfs.tools.mount;

import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.MkfsOptions;
import dev.daxfs.fs.MountReport;
import dev.daxfs.gup.DmaEmulator;
import dev.daxfs.gup.Gup;
import dev.daxfs.pmem.PmemRegion;
import dev.daxfs.pmem.RegionException;
import dev.daxfs.pmem.RegionOptions;
import dev.daxfs.pmem.Regions;
import dev.daxfs.pmem.Sizes;
import dev.daxfs.tools.control.ControlException;
import dev.daxfs.tools.control.ControlHandler;
import dev.daxfs.tools.control.ControlServer;
import dev.daxfs.tools.fuse.FuseException;
import dev.daxfs.tools.fuse.FuseMount;
import dev.daxfs.tools.fuse.FuseMountException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The process that serves a mounted daxfs: it opens (or creates and formats) the region, mounts
 * daxfs on it, mounts that through FUSE, serves the control socket, and when the mount ends
 * (daxfs umount, fusermount3 -u, SIGINT or SIGTERM) unmounts daxfs cleanly so that the next
 * mount is the fast one.
 *
 * <pre>{@code
 * MountDaemon d = MountDaemon.start(request, out);   // live when this returns
 * int status = d.serveUntilUnmounted();              // 0 after a clean unmount
 * }</pre>
 */
public final class MountDaemon {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.mount");

  /** The FUSE subtype of daxfs mounts: /proc/self/mountinfo lists them as fuse.daxfs. */
  static final String FUSE_SUBTYPE = "daxfs";

  /**
   * Readahead window of sequential readers through the mount, in KiB: four of the largest READ
   * requests (1 MiB), so that the kernel keeps several in flight while workers serve them.
   */
  static final int READAHEAD_KIB = 4096;

  /** Seconds an unmount request waits for the filesystem to be put away. */
  static final long UNMOUNT_SECONDS = 60;

  /**
   * What to mount.
   *
   * @param mountpoint where (created if missing)
   * @param region the region file (created and formatted if missing)
   * @param size the size to create it with, or to expect of an existing one; null: 1 GiB when
   *     creating, any when it exists
   * @param dataChecksums format with data checksums (only when formatting)
   * @param settings the -o options
   * @param log the log file of a detached mount (recorded for later commands), or null
   */
  public record Request(Path mountpoint, Path region, Long size, boolean dataChecksums,
      MountSettings settings, Path log) {}

  /** How the filesystem was put away, as the unmount request reports it. */
  public record Unmounted(boolean clean, String message) {}

  private final Path mountpoint;
  private final Path regionPath;
  private final PmemRegion region;
  private final DaxFs fs;
  private final DaxFsFuse adapter;
  private final FuseMount fuse;
  private final RuntimeDir.MountFiles files;
  private final MountStatus status;
  private final PrintWriter out;

  /** The mount's DMA emulator: its devices pin through their own {@link Gup}. */
  private final DmaEmulator dma;

  /** DMA streams started through the control socket; stopped first when the mount ends. */
  private final DmaStreams streams;

  /** Layout leases held by control sessions; released when the mount ends. */
  private final SessionLeases leases;

  /** The control server; set once started, before the mount is announced. */
  private volatile ControlServer control;

  /** Completed once the filesystem has been put away (cleanly or not). */
  private final CompletableFuture<Unmounted> unmounted = new CompletableFuture<>();

  /**
   * Completed when stop has finished, control socket included: the process may exit only then,
   * or an unmount request's answer could be cut off.
   */
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  /** Guarded by this: stop has begun. */
  private boolean stopping;

  private final Thread exitHook = new Thread(this::stop, "daxfs-unmount-on-exit");

  private MountDaemon(Path mountpoint, Path regionPath, PmemRegion region, DaxFs fs,
      DaxFsFuse adapter, FuseMount fuse, RuntimeDir.MountFiles files, MountStatus status,
      PrintWriter out) {
    this.mountpoint = mountpoint;
    this.regionPath = regionPath;
    this.region = region;
    this.fs = fs;
    this.adapter = adapter;
    this.fuse = fuse;
    this.files = files;
    this.status = status;
    this.out = out;
    this.dma = new DmaEmulator(new Gup());
    // The control socket is the owner's alone, so its requests act as the owner.
    Cred owner = Cred.of((int) Math.max(0, RuntimeDir.uid()),
        (int) Math.max(0, RuntimeDir.gid()));
    this.streams = new DmaStreams(fs, owner, dma, this::dropCachedPages);
    this.leases = new SessionLeases(fs, owner);
    status.addSection(streams::addStats);
    status.addSection(m -> {
      m.put("leases_held", leases.size() + streams.leases());
      m.put("leases", leases.describe());
    });
  }

  /**
   * Drops the kernel's cached pages of a range a device wrote ({@link KernelCache}). Once the
   * session is gone there is nothing left to drop.
   */
  private void dropCachedPages(long ino, long offset, long length) {
    try {
      fuse.notifyInvalInode(ino, offset, length);
    } catch (FuseException e) {
      if (e.errno() != dev.daxfs.tools.fuse.Errno.ENOTCONN) {
        throw new IllegalStateException("the kernel refused to drop cached pages of inode "
            + ino + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Mounts and returns once the mount is live and its control socket answers. Progress and the
   * mount's report go to {@code out}.
   *
   * @throws MountException with one sentence when the mount is refused or fails
   */
  public static MountDaemon start(Request req, PrintWriter out) throws MountException {
    RuntimeDir rt = RuntimeDir.forCurrentUser();
    Path mp;
    RuntimeDir.MountFiles files;
    try {
      rt.prepare();
      mp = MountPoints.canonical(req.mountpoint());
      files = rt.files(mp);
    } catch (IOException | IllegalStateException e) {
      throw new MountException(e.getMessage());
    }
    if (req.log() != null) {
      out.println("---- daxfs mount " + mp + ", pid " + ProcessHandle.current().pid() + ", "
          + java.time.Instant.now());
    }
    prepareMountpoint(mp, files, out);
    // Every refusal that can be known before the region is touched comes first, so a refused
    // mount never leaves a region behind (a new one would be a 1 GiB file in /dev/shm).
    dev.daxfs.tools.fuse.MountOptions fuseOptions = fuseOptions(req);
    try {
      FuseMount.check(mp, fuseOptions);
    } catch (FuseMountException e) {
      throw new MountException(e.getMessage());
    }

    Opened opened = openRegion(req, rt, out);
    PmemRegion region = opened.region;
    DaxFs fs;
    try {
      fs = DaxFs.mount(region, req.settings().fsOptions());
    } catch (RuntimeException e) {
      discard(opened, req.region(), out);
      throw new MountException("cannot mount the filesystem on " + req.region() + ": "
          + e.getMessage());
    }
    report(out, req, opened, fs.mountReport());

    DaxFsFuse adapter = new DaxFsFuse(fs);
    FuseMount fuse;
    try {
      fuse = FuseMount.mount(mp, adapter, fuseOptions);
    } catch (FuseMountException | RuntimeException e) {
      adapter.releaseAll();
      fs.unmount();
      discard(opened, req.region(), out);
      throw new MountException(e.getMessage());
    }
    MountStatus status = new MountStatus(mp, req.region(), region, fs, adapter, fuse,
        fuseOptions, opened.formatted, req.settings());
    MountDaemon d = new MountDaemon(mp, req.region(), region, fs, adapter, fuse, files, status,
        out);
    Runtime.getRuntime().addShutdownHook(d.exitHook);
    // Said before the control socket answers: a detached parent copies this output once it does.
    out.println("daxfs: mounted " + mp + " (pid " + ProcessHandle.current().pid()
        + ", control socket " + files.socket() + ")");
    out.flush();
    try {
      d.control = ControlServer.start(files.socket(), d.handlers(),
          Map.of("pid", ProcessHandle.current().pid(), "mountpoint", mp.toString()));
      new MountRecord(mp.toString(), ProcessHandle.current().pid(), req.region().toString(),
          files.socket().toString(), req.log() == null ? null : req.log().toString(),
          System.currentTimeMillis()).write(files.record());
    } catch (IOException e) {
      d.stop();
      throw new MountException(e.getMessage());
    }
    return d;
  }

  /** The options handed to the FUSE binding. */
  private static dev.daxfs.tools.fuse.MountOptions fuseOptions(Request req) {
    MountSettings s = req.settings();
    boolean root = RuntimeDir.uid() == 0;
    // Other users reach a root mount; the kernel then checks their permissions from the mode
    // bits, as on any filesystem. Whenever others may enter, the kernel checks.
    boolean others = root || s.allowOther;
    dev.daxfs.tools.fuse.MountOptions o = dev.daxfs.tools.fuse.MountOptions.defaults()
        .withFsname(req.region().toString().replace(',', '_'))
        .withSubtype(FUSE_SUBTYPE)
        .withAttrTimeout(DaxFsFuse.TIMEOUT_SECONDS)
        .withReadaheadKib(READAHEAD_KIB)
        .withAllowOther(others)
        .withDefaultPermissions(others)
        .withDebug(s.debug)
        .withOptions(s.libfuse);
    if (s.threads > 0) {
      o = o.withThreads(s.threads);
    }
    return o;
  }

  /**
   * Closes a region this mount could not use; deletes it when this mount created it, so that a
   * failed first mount leaves nothing behind. A region that existed before is never deleted.
   */
  private static void discard(Opened opened, Path path, PrintWriter out) {
    closeQuietly(opened.region);
    if (opened.formatted) {
      try {
        Files.deleteIfExists(path);
        out.println("daxfs: removed region " + path + ", created by this mount");
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot remove the region " + path + " this mount created", e);
      }
    }
  }

  /** Refuses a mount point in use; removes a mount left by a daxfs process that died. */
  private static void prepareMountpoint(Path mp, RuntimeDir.MountFiles files, PrintWriter out)
      throws MountException {
    Optional<MountRecord> rec = MountRecord.read(files.record());
    if (rec.isPresent() && rec.get().alive()) {
      throw new MountException(mp + " is already mounted by daxfs (pid " + rec.get().pid()
          + "): run daxfs umount " + mp + " first");
    }
    if (MountPoints.isDeadFuseMount(mp)) {
      // Without a record, the mount table still says whether it was this user's daxfs.
      if (rec.isEmpty() && !MountPoints.isOwnDeadDaxfsMount(mp)) {
        throw new MountException(mp + " is a FUSE mount whose filesystem is gone, and not "
            + "one this user's daxfs left: run fusermount3 -u " + mp + " first");
      }
      try {
        MountPoints.detach(mp);
      } catch (IOException e) {
        throw new MountException(e.getMessage());
      }
      out.println("daxfs: removed the stale mount on " + mp + " left by "
          + rec.map(r -> "daxfs pid " + r.pid()).orElse("a daxfs process of this user")
          + ", which ended without unmounting");
    }
    if (rec.isPresent()) {
      try {
        Files.deleteIfExists(files.record());
      } catch (IOException e) {
        // A leftover record of a dead process is harmless; the new one replaces it.
      }
    }
    if (!Files.exists(mp)) {
      try {
        Files.createDirectories(mp);
        out.println("daxfs: created mount point " + mp);
      } catch (IOException e) {
        throw new MountException("cannot create mount point " + mp + ": "
            + FileErrors.reason(e, mp));
      }
    } else if (!Files.isDirectory(mp)) {
      throw new MountException("mount point " + mp + " is not a directory");
    }
  }

  /** The region and whether it was formatted now. */
  private record Opened(PmemRegion region, boolean formatted) {}

  private static Opened openRegion(Request req, RuntimeDir rt, PrintWriter out)
      throws MountException {
    Path path = req.region();
    boolean exists = Files.exists(path);
    RegionOptions opts;
    if (exists) {
      opts = RegionOptions.existing().withExclusiveLock();
      if (req.size() != null) {
        opts = opts.withExpectedSize(req.size());
      }
    } else {
      opts = RegionOptions.create(req.size() == null ? Sizes.GiB : req.size())
          .withExclusiveLock();
    }
    PmemRegion region;
    try {
      region = Regions.open(path, opts);
    } catch (RegionException e) {
      String m = e.getMessage();
      if (m != null && m.contains("in use by another daxfs process")) {
        m += whoUses(rt, path);
      }
      throw new MountException(m);
    }
    if (exists) {
      if (!DaxFs.holdsFilesystem(region)) {
        closeQuietly(region);
        throw new MountException("region " + path + " exists but holds no daxfs filesystem, "
            + "and mount does not format over it: format it with daxfs mkfs " + path
            + ", or choose another --pmem");
      }
      return new Opened(region, false);
    }
    try {
      long uid = RuntimeDir.uid();
      long gid = RuntimeDir.gid();
      DaxFs.mkfs(region, MkfsOptions.defaults()
          .dataChecksums(req.dataChecksums())
          .rootOwner((int) Math.max(0, uid), (int) Math.max(0, gid)));
    } catch (RuntimeException e) {
      closeQuietly(region);
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // The next mount refuses the unformatted file and says how to format it.
      }
      throw new MountException("cannot format region " + path + ": " + e.getMessage());
    }
    out.println("daxfs: formatted new region " + path + " (" + Sizes.format(region.size())
        + (req.dataChecksums() ? ", data checksums on" : "") + ")");
    return new Opened(region, true);
  }

  /** " (mounted on X by pid N)" when a record of this user names the region; else "". */
  private static String whoUses(RuntimeDir rt, Path region) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(rt.path(), "*.json")) {
      for (Path p : ds) {
        Optional<MountRecord> r = MountRecord.read(p);
        if (r.isPresent() && r.get().alive() && region.toString().equals(r.get().region())) {
          return " (mounted on " + r.get().mountpoint() + " by pid " + r.get().pid() + ")";
        }
      }
    } catch (IOException e) {
      // Nothing more to say.
    }
    return "";
  }

  private static void report(PrintWriter out, Request req, Opened opened, MountReport r) {
    if (onTmpfs(req.region())) {
      out.println("daxfs: region " + req.region() + " is on tmpfs (memory): it does not "
          + "survive a reboot");
    }
    if (req.dataChecksums() && !opened.formatted) {
      out.println("daxfs: --data-checksums applies when a region is formatted; "
          + req.region() + " keeps what it was formatted with");
    }
    if (!opened.formatted) {
      out.println("daxfs: " + MountStatus.describe(r));
    }
    out.flush();
  }

  static boolean onTmpfs(Path p) {
    try {
      return "tmpfs".equals(Files.getFileStore(p).type());
    } catch (IOException e) {
      return false;
    }
  }

  /** The control requests this mount serves. */
  private Map<String, ControlHandler> handlers() {
    Map<String, ControlHandler> h = new LinkedHashMap<>();
    h.put("ping", (s, r) -> Map.of("pid", ProcessHandle.current().pid(),
        "mountpoint", mountpoint.toString()));
    h.put("stat", (s, r) -> status.snapshot());
    h.put("unmount", (s, r) -> requestUnmount());
    h.put("dma_start", (s, r) -> streams.start(r));
    h.put("dma_list", (s, r) -> streams.list());
    h.put("dma_stop", (s, r) -> streams.stop(r));
    h.put("lease_hold", leases::hold);
    h.put("scrub", (s, r) -> dev.daxfs.fs.Scrub.run(fs).toMap());
    return h;
  }

  private Unmounted requestUnmount() throws ControlException {
    Thread t = new Thread(this::stop, "daxfs-unmount");
    t.start();
    try {
      return unmounted.get(UNMOUNT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new ControlException("ETIMEDOUT", "the filesystem on " + mountpoint
          + " was not put away within " + UNMOUNT_SECONDS + " seconds");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlException("EINTR", "interrupted while unmounting");
    } catch (ExecutionException e) {
      throw new ControlException("EIO", "unmounting failed: " + e.getCause());
    }
  }

  /**
   * Serves until the mount ends, however it ends, puts the filesystem away and returns the exit
   * status: 0 after a clean unmount.
   */
  public int serveUntilUnmounted() {
    try {
      fuse.awaitUnmounted();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(exitHook);
    } catch (IllegalStateException e) {
      // Shutting down: the hook runs or ran stop, which is done.
    }
    return unmounted.join().clean() ? 0 : 1;
  }

  /**
   * Ends the FUSE session, unmounts daxfs cleanly, releases the region and closes the control
   * socket. Idempotent; callers after the first wait until it is done.
   */
  void stop() {
    synchronized (this) {
      if (stopping) {
        stopped.join();
        return;
      }
      stopping = true;
    }
    Unmounted result = new Unmounted(false, "unmounting " + mountpoint + " failed; the next "
        + "mount recovers the region");
    try {
      // Devices first: a truncate waiting for their pages can then finish, and daxfs frees its
      // orphans at unmount on the understanding that no device holds their pages.
      stopDevices();
      fuse.unmount();
      if (fuse.isMounted()) {
        // A request is still running inside daxfs: unmounting or unmapping the region under it
        // could tear what it is writing. The region stays as a crash would leave it (the process
        // exit unmaps it), and the next mount recovers.
        result = new Unmounted(false, "a filesystem call on " + mountpoint + " did not finish; "
            + "the region was left for the next mount to recover");
      } else {
        adapter.releaseAll();
        fs.unmount();
        closeQuietly(region);
        result = new Unmounted(true, "unmounted " + mountpoint + " cleanly");
      }
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "unmounting " + mountpoint + " failed", e);
      result = new Unmounted(false, "unmounting " + mountpoint + " failed (" + e.getMessage()
          + "); the next mount recovers the region");
    } finally {
      try {
        Files.deleteIfExists(files.record());
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot remove " + files.record(), e);
      }
      out.println("daxfs: " + result.message());
      out.flush();
      unmounted.complete(result);
      ControlServer c = control;
      if (c != null) {
        c.close();
      }
      stopped.complete(null);
    }
  }

  /** Stops every DMA stream, releases every lease and closes the DMA emulator. */
  private void stopDevices() {
    try {
      streams.close();
    } finally {
      try {
        leases.close();
      } finally {
        dma.close();
      }
    }
  }

  private static void closeQuietly(PmemRegion r) {
    try {
      r.close();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "closing the region failed", e);
    }
  }

  /** Thrown when a mount is refused or fails; the message is one sentence. */
  public static final class MountException extends Exception {
    private static final long serialVersionUID = 1L;

    public MountException(String message) {
      super(message);
    }
  }

  @Override
  public String toString() {
    return "MountDaemon[" + mountpoint + " on " + regionPath + "]";
  }
}
