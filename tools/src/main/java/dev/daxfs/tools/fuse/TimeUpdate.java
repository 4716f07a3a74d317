package dev.daxfs.tools.fuse;

/**
 * How setattr changes one timestamp, as utimensat(2) distinguishes it: leave it alone
 * (UTIME_OMIT, or the timestamp was not named at all), set it to the current time (UTIME_NOW,
 * which the filesystem reads from its own clock), or set it to a given time.
 *
 * @param kind which of the three
 * @param epochNanos for {@link Kind#SET}, the new time in nanoseconds since the epoch; else 0
 */
public record TimeUpdate(Kind kind, long epochNanos) {
  /** The three ways a timestamp can change. */
  public enum Kind {
    OMIT,
    NOW,
    SET
  }

  public static final TimeUpdate OMIT = new TimeUpdate(Kind.OMIT, 0);
  public static final TimeUpdate NOW = new TimeUpdate(Kind.NOW, 0);

  public TimeUpdate {
    java.util.Objects.requireNonNull(kind, "kind");
    if (kind != Kind.SET && epochNanos != 0) {
      throw new IllegalArgumentException(kind + " carries no time");
    }
  }

  public static TimeUpdate at(long epochNanos) {
    return new TimeUpdate(Kind.SET, epochNanos);
  }

  /** True unless the timestamp is left alone. */
  public boolean changes() {
    return kind != Kind.OMIT;
  }

  /** The new value: {@code now} for NOW, the given time for SET, {@code current} for OMIT. */
  public long resolve(long current, long now) {
    switch (kind) {
      case NOW:
        return now;
      case SET:
        return epochNanos;
      default:
        return current;
    }
  }
}
