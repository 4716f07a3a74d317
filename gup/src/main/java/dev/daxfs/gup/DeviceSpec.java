package dev.daxfs.gup;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What an emulated DMA device is, fixed when it is created.
 *
 * @param name unique name: letters, digits, '.', '_' or '-', at most 64 characters
 * @param odp whether the device does On-Demand Paging: it holds no pins and mirrors pages through
 *     an invalidation notifier instead
 * @param bandwidthBytesPerSecond transfer rate added to every hold; 0 for unlimited
 * @param hold how long a transfer keeps its pages between pin and unpin (the kernel's bio_delay
 *     test hook), before the bandwidth time
 * @param timing when the data lands within the hold
 */
public record DeviceSpec(
    String name, boolean odp, long bandwidthBytesPerSecond, Duration hold, WriteTiming timing) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public DeviceSpec {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "device name must be 1 to 64 letters, digits, '.', '_' or '-', not \"" + name + "\"");
    }
    if (bandwidthBytesPerSecond < 0) {
      throw new IllegalArgumentException("bandwidth must not be negative: " + bandwidthBytesPerSecond);
    }
    Objects.requireNonNull(hold, "hold");
    if (hold.isNegative()) {
      throw new IllegalArgumentException("hold must not be negative: " + hold);
    }
    Objects.requireNonNull(timing, "timing");
  }

  /** A pinning device with unlimited bandwidth, no hold, data at the end. */
  public static DeviceSpec named(String name) {
    return new DeviceSpec(name, false, 0, Duration.ZERO, WriteTiming.AT_END);
  }

  public DeviceSpec withOdp(boolean odp) {
    return new DeviceSpec(name, odp, bandwidthBytesPerSecond, hold, timing);
  }

  public DeviceSpec withBandwidth(long bytesPerSecond) {
    return new DeviceSpec(name, odp, bytesPerSecond, hold, timing);
  }

  public DeviceSpec withHold(Duration hold) {
    return new DeviceSpec(name, odp, bandwidthBytesPerSecond, hold, timing);
  }

  public DeviceSpec withTiming(WriteTiming timing) {
    return new DeviceSpec(name, odp, bandwidthBytesPerSecond, hold, timing);
  }

  /** Hold plus the time {@code bytes} take at the device's bandwidth, in nanoseconds. */
  long transferNanos(long bytes) {
    long nanos = hold.toNanos();
    if (bandwidthBytesPerSecond > 0) {
      nanos += (long) ((double) bytes * 1_000_000_000L / bandwidthBytesPerSecond);
    }
    return nanos;
  }
}
