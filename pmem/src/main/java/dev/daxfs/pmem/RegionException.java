package dev.daxfs.pmem;

import java.io.IOException;

/**
 * A region could not be opened or created. The message is one sentence naming the region and
 * what was wrong with it, fit to show at the command line as is.
 */
public final class RegionException extends IOException {
  private static final long serialVersionUID = 1L;

  public RegionException(String message) {
    super(message);
  }

  public RegionException(String message, Throwable cause) {
    super(message, cause);
  }
}
