package dev.daxfs.pmem;

/**
 * A load touched a poisoned line: the media cannot return the data there. The filesystem turns
 * this into EIO for file data and treats it like corruption for metadata.
 */
public final class MediaErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Region offset of the first poisoned line the load touched. */
  private final long offset;

  public MediaErrorException(long offset) {
    super("media error: poisoned memory at region offset " + offset);
    this.offset = offset;
  }

  /** Region offset of the first poisoned line the failed load touched. */
  public long offset() {
    return offset;
  }
}
