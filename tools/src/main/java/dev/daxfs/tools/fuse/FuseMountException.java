package dev.daxfs.tools.fuse;

import java.io.IOException;

/** A mount could not be made; the message is one sentence saying what to do about it. */
public final class FuseMountException extends IOException {
  private static final long serialVersionUID = 1L;

  public FuseMountException(String sentence) {
    super(sentence);
  }

  public FuseMountException(String sentence, Throwable cause) {
    super(sentence, cause);
  }
}
