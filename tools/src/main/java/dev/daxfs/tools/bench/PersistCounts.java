package dev.daxfs.tools.bench;

import dev.daxfs.pmem.FlushModel;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;

/**
 * What one daxfs operation asks of persistent memory: bytes stored, cache lines flushed and
 * fences, counted through a {@link CountingRegion} in a short untimed run of each operation on
 * a small fresh filesystem. On real pmem these, not the emulation's timings, set the cost of a
 * durable operation; for comparison, a raw 4 KiB store+persist is 4096 bytes, 64 lines and one
 * fence.
 */
final class PersistCounts {
  private PersistCounts() {}

  /** Data file of the counting run. */
  static final long FILE_BYTES = 4L << 20;

  /** Region of the counting run: room for the file and the logs the run leaves. */
  static final long REGION_BYTES = 64L << 20;

  /**
   * Per-operation averages: the operation's own work, and what background threads (the log
   * cleaner) did meanwhile, divided by the same count.
   */
  record PerOp(double storedBytes, double flushedLines, double fences,
      double backgroundFlushedLines, double backgroundFences) {}

  /** Counts every operation on daxfs formatted with or without data checksums. */
  static Map<FsOp, PerOp> measure(boolean checksums) throws IOException {
    Map<FsOp, PerOp> out = new EnumMap<>(FsOp.class);
    FsWorkload w = new FsWorkload(FILE_BYTES);
    try (DaxfsSubject s = DaxfsSubject.open(w, REGION_BYTES, FlushModel.FREE, checksums, true)) {
      CountingRegion c = s.counter();
      for (FsOp op : FsOp.values()) {
        int n = op.inMibPerSecond() ? 16 : 1024;
        // One pass first, so that the file's blocks and the logs are in their running state.
        s.run(op, n);
        c.reset();
        s.run(op, n);
        out.put(op, new PerOp((double) c.storedBytes / n, (double) c.flushedLines / n,
            (double) c.fences / n, c.otherFlushedLines.doubleValue() / n,
            c.otherFences.doubleValue() / n));
      }
    }
    return out;
  }
}
