package dev.daxfs.fs;

/** How a filesystem is mounted. Defaults suit a production mount. */
public final class MountOptions {

  /** When reads update the access time. */
  public enum Atime {
    /** Only when atime is older than mtime or ctime, or a day old (Linux's default). */
    RELATIME,
    /** Never on reads. */
    NOATIME,
    /** On every read. */
    STRICTATIME
  }

  /** What fsync does about blocks under a short-term pin when data checksums are on. */
  public enum PinnedFsync {
    /** Wait for short-term pins to go, then recompute checksums and clear stale marks. */
    WAIT,
    /** Return at once, leaving pinned blocks stale (unchecked) until a later fsync. */
    PROCEED
  }

  Atime atime = Atime.RELATIME;
  PinnedFsync pinnedFsync = PinnedFsync.WAIT;

  /** Whether a background worker cleans logs that commits report as mostly dead. */
  boolean backgroundCleaning = true;

  /** Bound on a layout break's wait for DMA, ns; 0 waits until interrupted. */
  long layoutWaitTimeoutNanos;

  /** Deliberate bugs (tests only). */
  TestSwitches switches = TestSwitches.none();

  /** Whether test switches are allowed: only for in-process test regions. */
  boolean allowTestSwitches;

  public static MountOptions defaults() {
    return new MountOptions();
  }

  public MountOptions atime(Atime a) {
    atime = a;
    return this;
  }

  public MountOptions pinnedFsync(PinnedFsync p) {
    pinnedFsync = p;
    return this;
  }

  /** Bounds every layout break's wait for DMA (ETIMEDOUT after it); 0 for no bound. */
  public MountOptions layoutWaitTimeout(java.time.Duration d) {
    layoutWaitTimeoutNanos = d.toNanos();
    return this;
  }

  /**
   * Enables deliberate bugs. Only for filesystems on in-process test regions (crash recording
   * or the race harness); a mount through FUSE refuses them.
   */
  public MountOptions testSwitches(TestSwitches s) {
    switches = s;
    allowTestSwitches = true;
    return this;
  }

  /**
   * Turns the background log cleaner on (the default) or off; cleaning on demand ({@link
   * DaxFs#cleanLog}) works either way.
   */
  public MountOptions backgroundCleaning(boolean on) {
    backgroundCleaning = on;
    return this;
  }

  public Atime atime() {
    return atime;
  }

  public PinnedFsync pinnedFsync() {
    return pinnedFsync;
  }
}
