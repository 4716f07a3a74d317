package dev.daxfs.tools.fuse;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link FuseFilesystem} mounted through libfuse3's lowlevel API and served by its
 * multithreaded loop.
 *
 * <pre>{@code
 * FuseMount mount = FuseMount.mount(Path.of("/mnt/daxfs"), fs, MountOptions.defaults());
 * mount.unmountOnExit();          // SIGINT/SIGTERM reach the JVM, not libfuse
 * mount.awaitUnmounted();         // foreground: until `daxfs umount` or fusermount3 -u
 * }</pre>
 *
 * <p>{@link #mount} returns once the kernel has completed its handshake with the filesystem
 * ({@link FuseFilesystem#init} has run), so the mount point is usable. {@link #unmount} may be
 * called from any thread, including a shutdown hook; an unmount made from outside (fusermount3
 * -u, umount) ends the session the same way. Either way {@link FuseFilesystem#destroy} runs
 * once, after the last request.
 */
public final class FuseMount implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.fuse");

  /** How long mount waits for the kernel's INIT request to be served. */
  private static final long INIT_TIMEOUT_SECONDS = 30;
  /** How long unmount lets the session drain before aborting the kernel connection. */
  private static final long DRAIN_SECONDS = 5;

  /** The absolute, real path of the mount point. */
  private final Path mountpoint;
  private final LibFuseVersion version;
  /** Keeps the ops table and every callback alive until the session is destroyed. */
  private final Dispatcher dispatcher;
  /** The fuse_session; freed by the loop thread after the loop returns. */
  private final Pointer session;
  /** The loop thread: runs fuse_session_loop_mt, then unmounts and destroys the session. */
  private final Thread loopThread;
  /** The fusectl name of the kernel connection (its device minor), or null if unknown. */
  private final String connection;
  /** The mount's backing device in /sys/class/bdi ("0:41"), or null if unknown. */
  private final String bdi;

  /**
   * Guards {@link #session} against use after free: notify and exit calls hold the read lock
   * and check {@link #destroyed}; the loop thread destroys the session under the write lock.
   */
  private final ReadWriteLock sessionLock = new ReentrantReadWriteLock();
  /** Guarded by sessionLock: true once fuse_session_destroy ran. */
  private boolean destroyed;

  /** Completed when INIT was served: with null, or with the filesystem's init failure. */
  private final CompletableFuture<Throwable> initialized = new CompletableFuture<>();
  /** Completed with the loop's result when the session has ended and been destroyed. */
  private final CompletableFuture<Integer> ended = new CompletableFuture<>();
  /** Guarded by this: unmount was requested (by us). */
  private boolean unmounting;
  /** Set before unmount() detaches the mount; read by the loop thread when it ends. */
  private volatile boolean detached;
  /** Guarded by this: the hook installed by {@link #unmountOnExit}, or null. */
  private Thread exitHook;

  private FuseMount(Path mountpoint, FuseFilesystem fs, MountOptions options,
      LibFuseVersion version) throws FuseMountException {
    this.mountpoint = mountpoint;
    this.version = version;
    this.dispatcher = new Dispatcher(fs, options, version, initialized::complete);

    this.session = newSession(options, dispatcher.table);
    int[] rc = new int[1];
    String log = FuseLibrary.capturing(() -> rc[0] = LibFuse.fuse_session_mount(
        session, LibFuse.cString(mountpoint.toString())));
    if (rc[0] != 0) {
      LibFuse.fuse_session_destroy(session);
      throw new FuseMountException("cannot mount on " + mountpoint + because(log));
    }
    MountInfo.Entry mounted = mountEntry(mountpoint);
    this.connection = mounted == null ? null : Integer.toString(mounted.minor());
    this.bdi = mounted == null ? null : mounted.major() + ":" + mounted.minor();
    this.loopThread = new Thread(() -> loop(options.threads), "fuse-session " + mountpoint);
    loopThread.setDaemon(true);
  }

  /**
   * Mounts {@code fs} on {@code mountpoint} (an existing directory) and serves it until
   * {@link #unmount}. Throws a one-sentence {@link FuseMountException} when FUSE is not usable
   * here, the mount point is missing, not a directory or already mounted, or libfuse refuses.
   */
  public static FuseMount mount(Path mountpoint, FuseFilesystem fs, MountOptions options)
      throws FuseMountException {
    Objects.requireNonNull(fs, "fs");
    Objects.requireNonNull(options, "options");
    Path dir = checkMountpoint(mountpoint);
    checkDevice();
    LibFuseVersion version = FuseLibrary.load();
    FuseMount m = new FuseMount(dir, fs, options, version);
    m.loopThread.start();
    m.awaitInit();
    m.setReadahead(options.readaheadKib);
    LOG.log(Level.DEBUG, () -> "mounted " + dir + " with " + version + ", operations "
        + m.dispatcher.bound());
    return m;
  }

  /**
   * Refuses, in one sentence and without mounting or creating anything, what {@link #mount}
   * would refuse before the kernel is asked: a mount point that is missing, not a directory or
   * already mounted, a missing or unusable /dev/fuse or libfuse3, options libfuse does not
   * take. A caller that prepares something costly for the mount (a region to create and
   * format) asks here first; mount checks again.
   */
  public static void check(Path mountpoint, MountOptions options) throws FuseMountException {
    Objects.requireNonNull(options, "options");
    checkMountpoint(mountpoint);
    checkDevice();
    FuseLibrary.load();
    // A session parses the options; one with no operations and never mounted costs nothing.
    Memory noOps = new Memory(Layouts.LOWLEVEL_OPS.size);
    noOps.clear();
    LibFuse.fuse_session_destroy(newSession(options, noOps));
  }

  /**
   * True when a FUSE filesystem is mounted on {@code mountpoint} (an absolute, real path) and
   * its server has gone (killed, crashed). Asked with statfs, which the kernel always forwards
   * to the server, so it fails with ENOTCONN there; stat does not tell, because the kernel
   * answers it from cached attributes for as long as their timeout runs.
   */
  public static boolean isDisconnected(Path mountpoint) {
    byte[] buf = new byte[Libc.STATFS_SIZE];
    if (Libc.statfs(LibFuse.cString(mountpoint.toString()), buf) == 0
        || Libc.errno() != Errno.ENOTCONN) {
      return false;
    }
    try {
      for (MountInfo.Entry e : MountInfo.read()) {
        if (e.mountpoint().equals(mountpoint.toString()) && e.fsType().startsWith("fuse")) {
          return true;
        }
      }
    } catch (IOException e) {
      // No mount table to ask: a path deeper inside a dead mount looks the same, but ENOTCONN
      // from statfs is FUSE's word that its server is gone.
      return true;
    }
    return false;
  }

  /**
   * The uid that mounted the FUSE filesystem of subtype {@code subtype} ("fuse.SUBTYPE" in
   * /proc/self/mountinfo) on {@code mountpoint} (an absolute, real path), or -1 when none is
   * mounted there. Read from the mount table, so it works on a mount whose server is gone.
   */
  public static long mountedBy(Path mountpoint, String subtype) {
    List<MountInfo.Entry> mounts;
    try {
      mounts = MountInfo.read();
    } catch (IOException e) {
      return -1;
    }
    long uid = -1;
    for (MountInfo.Entry e : mounts) {
      // The last entry for a path is the one on top.
      if (e.mountpoint().equals(mountpoint.toString())) {
        uid = e.fsType().equals("fuse." + subtype) ? e.userId() : -1;
      }
    }
    return uid;
  }

  /** A new, unmounted session with {@code options} over the lowlevel ops {@code table}. */
  private static Pointer newSession(MountOptions options, Memory table)
      throws FuseMountException {
    Memory args = new Memory(Layouts.ARGS_SIZE);
    args.clear();
    String[] argv = options.debug
        ? new String[] {"daxfs", "-o", options.optionString(), "-d"}
        : new String[] {"daxfs", "-o", options.optionString()};
    Pointer[] se = new Pointer[1];
    String log = FuseLibrary.capturing(() -> {
      for (String a : argv) {
        LibFuse.fuse_opt_add_arg(args, LibFuse.cString(a));
      }
      se[0] = LibFuse.fuse_session_new(args, table, table.size(), null);
      LibFuse.fuse_opt_free_args(args);
    });
    if (se[0] == null) {
      throw new FuseMountException("libfuse refused the mount options \"" + options.optionString()
          + "\"" + because(log));
    }
    return se[0];
  }

  /** The mount point. */
  public Path mountpoint() {
    return mountpoint;
  }

  /** The libfuse release serving this mount ("3.14.0"). */
  public String libfuseRelease() {
    return version.release;
  }

  /** True until the session has ended. */
  public boolean isMounted() {
    return !ended.isDone();
  }

  /**
   * Drops the kernel's cached data of {@code ino} in {@code [offset, offset + length)} (length
   * 0: to the end of file), and its cached attributes; an offset below 0 drops only the
   * attributes. Programs reading the range afterwards get it from the filesystem. Returns false
   * when the kernel holds no such inode (nothing was cached).
   *
   * <p>May block while the kernel waits for pages under I/O: do not call it from a filesystem
   * method that serves a request for the same inode.
   */
  public boolean notifyInvalInode(long ino, long offset, long length) throws FuseException {
    sessionLock.readLock().lock();
    try {
      if (destroyed) {
        throw new FuseException(Errno.ENOTCONN, mountpoint + " is no longer mounted");
      }
      return notifyResult(
          LibFuse.fuse_lowlevel_notify_inval_inode(session, ino, offset, length), "inode");
    } finally {
      sessionLock.readLock().unlock();
    }
  }

  /**
   * Drops the kernel's cached entry {@code name} in directory {@code parent}, for a name that
   * changed without a request through the mount. Returns false when it was not cached.
   */
  public boolean notifyInvalEntry(long parent, String name) throws FuseException {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    byte[] c = LibFuse.cString(name);
    sessionLock.readLock().lock();
    try {
      if (destroyed) {
        throw new FuseException(Errno.ENOTCONN, mountpoint + " is no longer mounted");
      }
      return notifyResult(LibFuse.fuse_lowlevel_notify_inval_entry(
          session, parent, c, bytes.length), "entry");
    } finally {
      sessionLock.readLock().unlock();
    }
  }

  private static boolean notifyResult(int rc, String what) throws FuseException {
    if (rc == 0) {
      return true;
    }
    if (rc == -Errno.ENOENT) {
      return false;
    }
    throw new FuseException(-rc, "invalidating a cached " + what + " failed: " + Errno.name(-rc));
  }

  /**
   * Unmounts and ends the session, then returns; safe to call from any thread, more than once,
   * and from a shutdown hook. Requests in progress finish first. If programs still hold files
   * open on the mount, the kernel connection is aborted after a short drain (they get ENOTCONN).
   */
  public void unmount() {
    synchronized (this) {
      if (!unmounting && isMounted()) {
        unmounting = true;
        sessionLock.readLock().lock();
        try {
          if (!destroyed) {
            // Workers stop after the request they are serving; the detach below wakes the rest.
            LibFuse.fuse_session_exit(session);
          }
        } finally {
          sessionLock.readLock().unlock();
        }
        detached = true;
        detach();
      }
    }
    try {
      if (awaitUnmounted(DRAIN_SECONDS, TimeUnit.SECONDS)) {
        return;
      }
      LOG.log(Level.WARNING, mountpoint + " is still in use; aborting its FUSE connection");
      abortConnection();
      if (!awaitUnmounted(DRAIN_SECONDS * 2, TimeUnit.SECONDS)) {
        LOG.log(Level.ERROR, "the FUSE session of " + mountpoint
            + " did not end: a filesystem call is still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      removeExitHook();
    }
  }

  @Override
  public void close() {
    unmount();
  }

  /** Blocks until the session ends (unmounted here or from outside). */
  public void awaitUnmounted() throws InterruptedException {
    try {
      ended.get();
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  /** As {@link #awaitUnmounted()}, for at most {@code timeout}; true if it ended. */
  public boolean awaitUnmounted(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      ended.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Unmounts when the JVM shuts down (SIGINT, SIGTERM, System.exit). The JVM owns those
   * signals, so libfuse's own handlers are never installed; this hook is what ends the mount.
   */
  public synchronized void unmountOnExit() {
    if (exitHook == null && isMounted()) {
      exitHook = new Thread(this::unmount, "fuse-unmount " + mountpoint);
      Runtime.getRuntime().addShutdownHook(exitHook);
    }
  }

  private synchronized void removeExitHook() {
    if (exitHook != null && Thread.currentThread() != exitHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(exitHook);
      } catch (IllegalStateException e) {
        // The JVM is shutting down and the hook runs or ran.
      }
      exitHook = null;
    }
  }

  private void awaitInit() throws FuseMountException {
    try {
      CompletableFuture.anyOf(initialized, ended).get(INIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      unmount();
      throw new FuseMountException("the kernel did not connect to the FUSE session on "
          + mountpoint + " within " + INIT_TIMEOUT_SECONDS + " seconds.");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      unmount();
      throw new FuseMountException("interrupted while mounting " + mountpoint + ".");
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
    if (!initialized.isDone()) {
      throw new FuseMountException("the FUSE session on " + mountpoint + " ended before the "
          + "kernel connected (libfuse returned " + Errno.name(-ended.join()) + ").");
    }
    Throwable failure = initialized.join();
    if (failure != null) {
      unmount();
      String why = failure.getMessage() != null ? failure.getMessage() : failure.toString();
      throw new FuseMountException("the filesystem failed to start on " + mountpoint + ": "
          + why + (why.endsWith(".") ? "" : "."), failure);
    }
  }

  private void loop(int threads) {
    int rc = -Errno.EIO;
    try {
      rc = version.runLoop(session, threads);
      if (rc != 0) {
        LOG.log(Level.WARNING, "the FUSE loop of " + mountpoint + " ended with "
            + Errno.name(-rc));
      }
    } catch (Throwable t) {
      LOG.log(Level.ERROR, "the FUSE loop of " + mountpoint + " failed", t);
    } finally {
      sessionLock.writeLock().lock();
      try {
        // After an unmount from outside libfuse sees the dead connection and only closes its
        // descriptor; after a loop failure it unmounts. After unmount() detached the mount it
        // would try to unmount again, so it is skipped: destroy closes the descriptor.
        if (!detached) {
          String log = FuseLibrary.capturing(() -> LibFuse.fuse_session_unmount(session));
          if (!log.isEmpty()) {
            LOG.log(Level.DEBUG, "libfuse: " + log);
          }
        }
        LibFuse.fuse_session_destroy(session);
        destroyed = true;
      } finally {
        sessionLock.writeLock().unlock();
      }
      ended.complete(rc);
    }
  }

  /** Lazily unmounts the mount point; the kernel ends the connection once nobody uses it. */
  private void detach() {
    try {
      if (Libc.geteuid() == 0) {
        if (Libc.umount2(LibFuse.cString(mountpoint.toString()), Libc.MNT_DETACH) != 0) {
          int errno = Libc.errno();
          if (errno != Errno.EINVAL && errno != Errno.ENOENT) {
            LOG.log(Level.WARNING, "umount " + mountpoint + " failed: " + Errno.name(errno));
          }
        }
        return;
      }
      Process p = new ProcessBuilder("fusermount3", "-u", "-z", "-q", mountpoint.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(DRAIN_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot run fusermount3 to unmount " + mountpoint
          + ": install the Debian package fuse3", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Aborts the kernel side of the connection through fusectl: every pending and later request
   * fails with ENOTCONN and the loop's reads end. Needs root.
   */
  private void abortConnection() {
    Path connections = Paths.get("/sys/fs/fuse/connections");
    try {
      String dev = connection;
      if (dev == null) {
        return;
      }
      if (!Files.exists(connections.resolve(dev)) && Libc.geteuid() == 0) {
        new ProcessBuilder("mount", "-t", "fusectl", "fusectl", connections.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start()
            .waitFor(DRAIN_SECONDS, TimeUnit.SECONDS);
      }
      Path abort = connections.resolve(dev).resolve("abort");
      if (Files.exists(abort)) {
        Files.writeString(abort, "1");
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot abort the FUSE connection of " + mountpoint, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * This mount as /proc/self/mountinfo shows it right after mounting (its superblock's device
   * names the fusectl directory and the backing device); null if it could not be read.
   */
  private static MountInfo.Entry mountEntry(Path mountpoint) {
    try {
      MountInfo.Entry found = null;
      for (MountInfo.Entry e : MountInfo.read()) {
        if (e.mountpoint().equals(mountpoint.toString()) && e.fsType().startsWith("fuse")) {
          found = e;
        }
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Widens the readahead window of sequential readers to {@code kib} (0: leaves the kernel's).
   * The kernel lets INIT only lower its default window of 128 KiB, while a READ may carry up
   * to max_pages (libfuse asks for 1 MiB): a 128 KiB window splits a sequential read into requests of
   * an eighth of that size, and the filesystem pays the round trip eight times over. Needs root
   * (the attribute is root's); elsewhere the window stays as it was, which is only slower.
   */
  private void setReadahead(int kib) {
    if (kib == 0 || bdi == null) {
      return;
    }
    // The kernel sets the window from the INIT reply, which libfuse sends after our init
    // returned: written before that, the value would be lowered again. A statfs is forwarded
    // only once the reply was processed, so the window written after it stays.
    Libc.statfs(LibFuse.cString(mountpoint.toString()), new byte[Libc.STATFS_SIZE]);
    Path attr = Paths.get("/sys/class/bdi", bdi, "read_ahead_kb");
    try {
      Files.writeString(attr, Integer.toString(kib));
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "readahead of " + mountpoint + " stays the kernel's: cannot write "
          + attr + " (" + e + ")");
    }
  }

  /** The readahead window of sequential readers of this mount in KiB, or -1 if unknown. */
  public int readaheadKib() {
    if (bdi == null) {
      return -1;
    }
    try {
      return Integer.parseInt(
          Files.readString(Paths.get("/sys/class/bdi", bdi, "read_ahead_kb")).strip());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static Path checkMountpoint(Path mountpoint) throws FuseMountException {
    Objects.requireNonNull(mountpoint, "mountpoint");
    Path abs = mountpoint.toAbsolutePath().normalize();
    Path real;
    try {
      real = abs.toRealPath();
    } catch (NoSuchFileException e) {
      throw new FuseMountException("mount point " + abs + " does not exist: create it first.");
    } catch (FileSystemException e) {
      String reason = e.getReason() == null ? "" : e.getReason();
      if (reason.contains("not connected")) {
        throw new FuseMountException(abs + " is a FUSE mount whose filesystem is gone: run "
            + "fusermount3 -u " + abs + " first.");
      }
      throw new FuseMountException("cannot use mount point " + abs + ": " + reason + ".");
    } catch (IOException e) {
      throw new FuseMountException("cannot use mount point " + abs + ": " + e.getMessage() + ".");
    }
    if (!Files.isDirectory(real)) {
      throw new FuseMountException("mount point " + abs + " is not a directory.");
    }
    List<MountInfo.Entry> mounts;
    try {
      mounts = MountInfo.read();
    } catch (IOException e) {
      // Without /proc the check cannot be made; libfuse still refuses what the kernel refuses.
      mounts = List.of();
    }
    for (MountInfo.Entry e : mounts) {
      if (e.mountpoint().equals(real.toString())) {
        throw new FuseMountException(real + " is already mounted (" + e.fsType() + " from "
            + e.source() + "): unmount it first.");
      }
    }
    return real;
  }

  private static void checkDevice() throws FuseMountException {
    Path dev = Paths.get("/dev/fuse");
    if (!Files.exists(dev)) {
      throw new FuseMountException("/dev/fuse is missing: load the fuse kernel module (modprobe "
          + "fuse) and install the Debian package fuse3.");
    }
    if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
      throw new FuseMountException("/dev/fuse is not usable by this user: mount as root, or "
          + "give /dev/fuse mode 0666 as the Debian package fuse3 does.");
    }
  }

  private static String because(String log) {
    if (log == null || log.isEmpty()) {
      return ".";
    }
    // The last complete line, with libfuse's quoting of arguments on one line.
    String line = log.lines().map(String::strip).filter(l -> !l.isEmpty())
        .reduce((a, b) -> b).orElse(log).strip();
    if (line.startsWith("fuse: ")) {
      line = line.substring(6);
    }
    return ": " + line + (line.endsWith(".") ? "" : ".");
  }

  @Override
  public String toString() {
    return "FuseMount[" + mountpoint + (isMounted() ? "" : ", unmounted") + "]";
  }

  /** The lowlevel operations offered to the kernel. */
  List<LowLevelOp> boundOperations() {
    return dispatcher.bound();
  }
}
