package dev.daxfs.tools.bench;

import java.util.SplittableRandom;

/**
 * What every {@link FsSubject} works on, identically: the data files' size, the sequence of
 * random page offsets, the bytes written and the names created. Each subject keeps its own
 * position in the sequences, so all of them see the same offsets in the same order.
 */
final class FsWorkload {

  /** Bytes per page, the unit of random I/O. */
  static final int PAGE = 4096;

  /** Bytes per sequential transfer. */
  static final int CHUNK = 1 << 20;

  /** Distinct names cycled through by creates (each is unlinked before it comes round again). */
  static final int NAMES = 1024;

  /** Size of each subject's data files: a whole number of {@link #CHUNK}s. */
  final long fileBytes;

  /** Random page-aligned offsets below {@link #fileBytes}; a power of two of them. */
  final long[] randomOffsets;

  /** What every write stores (its first page for 4 KiB writes). */
  final byte[] pattern = new byte[CHUNK];

  FsWorkload(long fileBytes) {
    if (fileBytes < CHUNK || fileBytes % CHUNK != 0) {
      throw new IllegalArgumentException("a data file must be a whole number of MiB, not "
          + fileBytes + " bytes");
    }
    this.fileBytes = fileBytes;
    SplittableRandom random = new SplittableRandom(42);
    long pages = fileBytes / PAGE;
    this.randomOffsets = new long[1 << 16];
    for (int i = 0; i < randomOffsets.length; i++) {
      randomOffsets[i] = random.nextLong(pages) * PAGE;
    }
    random.nextBytes(pattern);
  }

  /** The name of the {@code i}-th file created. */
  static String name(int i) {
    return "f" + i;
  }

  /** One subject's positions in the workload's sequences. */
  static final class Cursor {
    /** The workload followed. */
    private final FsWorkload w;

    /** Index into {@link FsWorkload#randomOffsets}. */
    private int random;

    /** Offset of the next sequential transfer. */
    private long sequential;

    /** Index of the next name to create. */
    private int name;

    Cursor(FsWorkload w) {
      this.w = w;
    }

    long nextRandom() {
      long off = w.randomOffsets[random];
      random = (random + 1) & (w.randomOffsets.length - 1);
      return off;
    }

    long nextSequential() {
      long off = sequential;
      sequential = off + CHUNK == w.fileBytes ? 0 : off + CHUNK;
      return off;
    }

    int nextName() {
      int n = name;
      name = (name + 1) % NAMES;
      return n;
    }
  }
}
