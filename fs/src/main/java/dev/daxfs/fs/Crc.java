package dev.daxfs.fs;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C helpers for on-media structures built in heap buffers before they are stored. */
final class Crc {
  private Crc() {}

  /** CRC32C of {@code buf[off, off+len)}. */
  static int crc32c(byte[] buf, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(buf, off, len);
    return (int) c.getValue();
  }

  /** CRC32C of the remaining bytes of {@code buf}, without moving its position. */
  static int crc32c(ByteBuffer buf) {
    CRC32C c = new CRC32C();
    c.update(buf.duplicate());
    return (int) c.getValue();
  }
}
