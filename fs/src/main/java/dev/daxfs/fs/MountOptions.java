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

  /** Deliberate bugs (tests only); refused at mount except where {@link DaxFs#mount} says. */
  TestSwitches switches = TestSwitches.none();

  /**
   * True when the caller declared the region an in-process test harness's own: test switches
   * are then accepted on it although it is no crash-recording region.
   */
  boolean testHarnessRegion;

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
   * Enables deliberate bugs. {@link DaxFs#mount} accepts them only on a crash-recording region
   * or one of its crash images, or after {@link #testHarnessRegion()}; on any other region the
   * mount is refused.
   */
  public MountOptions testSwitches(TestSwitches s) {
    switches = java.util.Objects.requireNonNull(s, "switches");
    return this;
  }

  /**
   * For tests only: declares that the region is an in-process test harness's own (a heap
   * region a test made, a test's decorator over one), so that {@link #testSwitches} are
   * accepted on it. Nothing that mounts a region a user named (daxfs mount, the mount daemon,
   * any command that opens a region file) calls this.
   */
  public MountOptions testHarnessRegion() {
    testHarnessRegion = true;
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
