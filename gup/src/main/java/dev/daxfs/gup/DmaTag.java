package dev.daxfs.gup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The tag every DMA write carries: which device wrote it, in which transfer, and which page of
 * the transfer. A tagged transfer fills its data with 32-byte tag records, so reading any
 * 32-byte-aligned piece of a file back (relative to the transfer's start) proves where each
 * device write landed.
 *
 * <pre>
 * offset size  field (little-endian)
 *  0     4     magic 0x47415444 ("DTAG")
 *  4     4     format version, 1
 *  8     4     device id (unique per emulator)
 * 12     4     page of the transfer the record lies in
 * 16     8     transfer sequence number (per device)
 * 24     4     reserved, 0
 * 28     4     CRC32C of bytes 0-27
 * </pre>
 *
 * @param deviceId the writing device's id
 * @param sequence the transfer's sequence number on that device
 * @param page the page of the transfer the data belongs to
 */
public record DmaTag(int deviceId, long sequence, int page) {

  /** Record magic, "DTAG" in little-endian byte order. */
  public static final int MAGIC = 0x47415444;

  /** Record format version. */
  public static final int VERSION = 1;

  /** Bytes per record. */
  public static final int RECORD_BYTES = 32;

  /** {@code length} bytes of tag records for a transfer, record k tagged with its page. */
  public static byte[] pattern(int deviceId, long sequence, int length) {
    byte[] out = new byte[length];
    byte[] record = new byte[RECORD_BYTES];
    for (int off = 0; off < length; off += RECORD_BYTES) {
      new DmaTag(deviceId, sequence, off / 4096).encode(record, 0);
      System.arraycopy(record, 0, out, off, Math.min(RECORD_BYTES, length - off));
    }
    return out;
  }

  /** Writes this tag's record at {@code buf[off..off+32)}. */
  public void encode(byte[] buf, int off) {
    ByteBuffer b = ByteBuffer.wrap(buf, off, RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putInt(VERSION).putInt(deviceId).putInt(page).putLong(sequence).putInt(0);
    CRC32C crc = new CRC32C();
    crc.update(buf, off, 28);
    b.putInt((int) crc.getValue());
  }

  /** The tag whose record is at {@code buf[off..off+32)}, if one is there intact. */
  public static Optional<DmaTag> decode(byte[] buf, int off) {
    if (off < 0 || off > buf.length - RECORD_BYTES) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(buf, off, RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    int magic = b.getInt();
    int version = b.getInt();
    int device = b.getInt();
    int page = b.getInt();
    long sequence = b.getLong();
    b.getInt();
    int stored = b.getInt();
    CRC32C crc = new CRC32C();
    crc.update(buf, off, 28);
    if (magic != MAGIC || version != VERSION || stored != (int) crc.getValue()) {
      return Optional.empty();
    }
    return Optional.of(new DmaTag(device, sequence, page));
  }

  @Override
  public String toString() {
    return "device " + deviceId + " transfer " + sequence + " page " + page;
  }
}
