package dev.daxfs.tools.crash;

import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.Fsck;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;

/**
 * Checks one crash image: the mount (recovery) succeeds; the visible state is one of the
 * candidates; fsck finds nothing in what recovery left; a follow-up (create and write a file,
 * create and unlink another) succeeds and shows; after a clean unmount fsck again finds
 * nothing; and a second mount shows exactly what the first one left.
 *
 * <p>fsck runs right after recovery as well as at the end because the follow-up and the
 * unmount write: a log append, the cleaning of a log or the orphan sweep at unmount can
 * overwrite or free what recovery left wrong, and the damage would go unseen.
 */
final class ImageChecker {

  private static final Cred ROOT = Cred.root();

  /** The file the follow-up leaves behind (a name workloads cannot use). */
  static final String FOLLOWUP = WorkloadParser.RESERVED_PREFIX + "followup";

  /** The file the follow-up creates and unlinks again. */
  private static final String FOLLOWUP_GONE = WorkloadParser.RESERVED_PREFIX + "followup-2";

  /** What the follow-up writes: more than a page, so it allocates and copies. */
  private static final byte[] FOLLOWUP_DATA = DataPattern.bytes(FOLLOWUP, 1, 0, 6000);

  /** Differences listed per candidate in a report. */
  private static final int LISTED = 6;

  /** A state the image may show, with how a report names it. */
  record Candidate(String label, FsState state) {}

  /**
   * The outcome: the lines the check read, and when it failed, what kind of failure and the
   * difference in words.
   */
  record Verdict(BitSet linesRead, String kind, String detail, FsState seen) {
    boolean ok() {
      return kind == null;
    }
  }

  /** How crash images are mounted (recovery injections go here). */
  private final MountOptions recovery;

  ImageChecker(MountOptions recovery) {
    this.recovery = recovery;
  }

  /**
   * Checks {@code image} (which the check writes: mounting it recovers). {@code tear} applies
   * between the two candidates when there are two.
   */
  Verdict check(PmemRegion image, List<Candidate> candidates, StateDiff.Tear tear) {
    ReadTrackingRegion r = new ReadTrackingRegion(image);
    FsState seen = null;
    DaxFs fs = null;
    try {
      try {
        fs = DaxFs.mount(r, recovery);
      } catch (RuntimeException e) {
        return fail(r, "mount", "recovery failed: " + e.getMessage(), null);
      }
      try {
        seen = StateReader.read(fs);
      } catch (RuntimeException e) {
        return fail(r, "read", "reading the recovered tree failed: " + e.getMessage(), null);
      }
      String mismatch = match(seen, candidates, tear);
      if (mismatch != null) {
        return fail(r, "state", mismatch, seen);
      }
      // The mount is idle (no cleaner, nothing open): the media holds what recovery left.
      Fsck.Report recovered = Fsck.check(r, Fsck.Progress.NONE);
      if (!recovered.problems.isEmpty()) {
        return fail(r, "fsck", "fsck right after recovery finds " + problems(recovered), seen);
      }
      FsState expected = withFollowup(seen);
      try {
        followup(fs);
      } catch (RuntimeException e) {
        return fail(r, "follow-up", "the follow-up operation failed: " + e.getMessage(), seen);
      }
      List<String> d = StateDiff.diff(StateReader.read(fs), expected, null, null, LISTED);
      if (!d.isEmpty()) {
        return fail(r, "follow-up", "after the follow-up operation: " + String.join("; ", d),
            seen);
      }
      FsState before = StateReader.read(fs);
      fs.unmount();
      fs = null;
      Fsck.Report report = Fsck.check(r, Fsck.Progress.NONE);
      if (!report.problems.isEmpty()) {
        return fail(r, "fsck", "fsck right after recovery is clean, but after the follow-up "
            + "operation and a clean unmount finds " + problems(report), seen);
      }
      fs = DaxFs.mount(r, recovery);
      d = StateDiff.diff(StateReader.read(fs), before, null, null, LISTED);
      if (!d.isEmpty()) {
        return fail(r, "remount", "the second mount shows another state: "
            + String.join("; ", d), seen);
      }
      fs.unmount();
      fs = null;
      return new Verdict(r.linesRead(), null, null, seen);
    } catch (RuntimeException | AssertionError e) {
      return fail(r, "error", e.toString(), seen);
    } finally {
      if (fs != null) {
        try {
          fs.unmount();
        } catch (RuntimeException ignored) {
          // the failure is already reported; this only stops the mount's threads
        }
      }
    }
  }

  private static Verdict fail(ReadTrackingRegion r, String kind, String detail, FsState seen) {
    return new Verdict(r.linesRead(), kind, detail, seen);
  }

  /**
   * Null when {@code seen} is one of the candidates, else the differences from each. With two
   * candidates (before and after an operation), {@code tear} applies to the first: its words may
   * hold the second's bytes.
   */
  static String match(FsState seen, List<Candidate> candidates, StateDiff.Tear tear) {
    for (int i = 0; i < candidates.size(); i++) {
      FsState other = candidates.size() == 2 && i == 0 ? candidates.get(1).state() : null;
      if (StateDiff.matches(seen, candidates.get(i).state(), other, tear)) {
        return null;
      }
    }
    StringBuilder b = new StringBuilder("the recovered state is ");
    for (int i = 0; i < candidates.size(); i++) {
      FsState other = candidates.size() == 2 && i == 0 ? candidates.get(1).state() : null;
      List<String> d = StateDiff.diff(seen, candidates.get(i).state(), other, tear, LISTED);
      b.append(i == 0 ? "not " : "\nnor ").append(candidates.get(i).label()).append(": ")
          .append(String.join("; ", d));
    }
    return b.toString();
  }

  private static FsState withFollowup(FsState seen) {
    FsState.Entry root = seen.get("");
    int gid = (root.perms() & 02000) != 0 ? root.gid() : 0;
    return seen.with(FOLLOWUP, new FsState.Entry(FsState.S_IFREG, 0600, 0, gid, 1,
        FOLLOWUP_DATA.length, 0, FOLLOWUP, null, Collections.emptySortedMap(), FOLLOWUP_DATA,
        Collections.emptySortedMap(), FsState.UNKNOWN_TIME, FsState.UNKNOWN_TIME));
  }

  /** The filesystem still works: a create, a write past a page, a create and an unlink. */
  private static void followup(DaxFs fs) {
    FileHandle h = fs.open(ROOT, "/" + FOLLOWUP, FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0600);
    try {
      fs.write(ROOT, h, 0, ByteBuffer.wrap(FOLLOWUP_DATA));
    } finally {
      fs.release(h);
    }
    fs.release(fs.open(ROOT, "/" + FOLLOWUP_GONE, FileHandle.O_CREAT | FileHandle.O_EXCL
        | FileHandle.O_RDWR, 0600));
    fs.unlink(ROOT, "/" + FOLLOWUP_GONE);
  }

  private static String problems(Fsck.Report report) {
    StringBuilder b = new StringBuilder();
    b.append(report.problems.size()).append(" problem").append(
        report.problems.size() == 1 ? "" : "s").append(": ");
    for (int i = 0; i < Math.min(LISTED, report.problems.size()); i++) {
      Fsck.Problem p = report.problems.get(i);
      b.append(i == 0 ? "" : "; ").append(p.where()).append(": ").append(p.message());
    }
    return b.toString();
  }
}
