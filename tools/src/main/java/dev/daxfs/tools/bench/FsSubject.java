package dev.daxfs.tools.bench;

import java.io.Closeable;
import java.io.IOException;

/**
 * One system {@code daxfs bench fs} measures: it owns two data files of the workload's size,
 * already written in full, one for the 4 KiB random operations and one for the 1 MiB sequential
 * ones (as fio gives each job its own file: random overwrites scatter a copy-on-write file's
 * blocks, and sequential figures of a scattered file would measure that instead), and a
 * directory for creates; it runs batches of {@link FsOp}s on them. Not thread-safe: one thread drives every subject in turn.
 */
interface FsSubject extends Closeable {

  /** The name in JSON keys and in the table ("daxfs", "jimfs", "tmpfs", "raw", ...). */
  String name();

  /** One line saying what backs it. */
  String describe();

  /** Whether {@code op} means something here (raw memory has no files to create). */
  boolean supports(FsOp op);

  /**
   * Runs {@code n} operations of {@code op}, each on the next offset or name of the workload.
   *
   * @throws IOException when the backend fails; a benchmark run stops at the first failure
   */
  void run(FsOp op, int n) throws IOException;

  /** Folds the bytes read so far, so that no read can be optimised away. */
  long sink();

  /** Releases the subject's memory and removes its files. */
  @Override
  void close() throws IOException;
}
