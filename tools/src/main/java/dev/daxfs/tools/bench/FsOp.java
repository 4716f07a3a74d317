package dev.daxfs.tools.bench;

/** The operations {@code daxfs bench fs} measures, each on every subject that supports it. */
enum FsOp {
  /** A 4 KiB write at a random page-aligned offset of an existing file (an overwrite). */
  RAND_WRITE_4K("rand_write_4k", "4 KiB random write", 4096, 64),
  /** A 4 KiB read at a random page-aligned offset. */
  RAND_READ_4K("rand_read_4k", "4 KiB random read", 4096, 64),
  /** A 1 MiB write at the next 1 MiB of the file, wrapping at its end (an overwrite). */
  SEQ_WRITE_1M("seq_write_1m", "1 MiB sequential write", 1 << 20, 1),
  /** A 1 MiB read of the next 1 MiB of the file, wrapping at its end. */
  SEQ_READ_1M("seq_read_1m", "1 MiB sequential read", 1 << 20, 1),
  /**
   * A 1 MiB read of the next 1 MiB of the file the random writes overwrite: on a copy-on-write
   * filesystem its blocks lie scattered, which sequential reads of it pay for.
   */
  SEQ_READ_1M_SCATTERED("seq_read_1m_scattered", "1 MiB seq. read, randomly written file",
      1 << 20, 1),
  /** Create a new empty file (O_CREAT|O_EXCL|O_WRONLY), close it, unlink it. */
  CREATE("create", "create+close+unlink", 0, 16);

  /** The name in JSON keys. */
  final String key;

  /** The name in the table. */
  final String label;

  /** Data bytes one operation moves; 0 for metadata operations. */
  final int bytes;

  /** Operations between two clock reads. */
  final int batch;

  FsOp(String key, String label, int bytes, int batch) {
    this.key = key;
    this.label = label;
    this.bytes = bytes;
    this.batch = batch;
  }

  /** Large transfers are reported in MiB/s, small ones and metadata in thousands per second. */
  boolean inMibPerSecond() {
    return bytes >= 1 << 20;
  }

  /** The unit suffix of this operation's JSON figures. */
  String unit() {
    return inMibPerSecond() ? "mib_s" : "kops";
  }

  /** Converts operations per second to this operation's unit. */
  double scale(double opsPerSecond) {
    return inMibPerSecond() ? opsPerSecond * bytes / (1 << 20) : opsPerSecond / 1e3;
  }
}
