package dev.daxfs.pmem;

/** A byte range {@code [offset, offset + length)} of a region. */
public record Range(long offset, long length) {
  public Range {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is negative");
    }
  }

  /** One past the last byte. */
  public long end() {
    return offset + length;
  }

  public boolean overlaps(long off, long len) {
    return off < end() && offset < off + len;
  }

  @Override
  public String toString() {
    return "[" + offset + ", " + end() + ")";
  }
}
