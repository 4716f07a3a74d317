package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A directory entry name: the bytes Linux passes, compared byte for byte (no normalisation,
 * no case folding). 1 to 255 bytes, no '/' and no NUL, and not "." or "..".
 */
public final class Name implements Comparable<Name> {

  /** Longest name in bytes (NAME_MAX). */
  public static final int MAX_LENGTH = 255;

  /** The name's bytes; never modified. */
  private final byte[] bytes;

  /** Cached hash of {@link #bytes}. */
  private final int hash;

  private Name(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  /** A name from its UTF-8 spelling; see {@link #of(byte[])} for the checks. */
  public static Name of(String name) {
    return of(name.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A name from raw bytes.
   *
   * @throws ErrnoException ENAMETOOLONG beyond 255 bytes, EINVAL for an empty name or one with
   *     '/' or NUL
   */
  public static Name of(byte[] raw) {
    if (raw.length == 0) {
      throw new ErrnoException(Errno.ENOENT, "empty name");
    }
    if (raw.length > MAX_LENGTH) {
      throw new ErrnoException(Errno.ENAMETOOLONG, "name of " + raw.length
          + " bytes exceeds " + MAX_LENGTH);
    }
    for (byte b : raw) {
      if (b == '/' || b == 0) {
        throw new ErrnoException(Errno.EINVAL, "name contains '/' or NUL");
      }
    }
    return new Name(raw.clone());
  }

  /** A name read back from the media; the log entry's checksum vouches for it. */
  static Name trusted(byte[] raw) {
    return new Name(raw);
  }

  /** True for "." and "..", which are never stored. */
  public boolean isDotOrDotDot() {
    return (bytes.length == 1 && bytes[0] == '.')
        || (bytes.length == 2 && bytes[0] == '.' && bytes[1] == '.');
  }

  public int length() {
    return bytes.length;
  }

  /** A copy of the bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  byte[] rawBytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Name n && n.hash == hash && Arrays.equals(n.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(Name o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  /** The name decoded as UTF-8 (malformed bytes replaced), for messages and listings. */
  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
