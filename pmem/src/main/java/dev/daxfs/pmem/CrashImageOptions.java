package dev.daxfs.pmem;

/**
 * Which crash images a {@link CrashPoint} offers.
 *
 * <p>Each in-flight line whose contents differ from the persisted ones is a unit that a crash
 * either applies or not ({@code torn}: each differing 8-byte word of such a line is a unit of
 * its own, since only aligned 8-byte stores are failure-atomic). With at most {@code
 * maxEnumerated} units every one of the 2^units images is offered; with more, {@code samples}
 * images drawn with {@code seed}, the first two always being "nothing in flight reached the
 * media" and "everything did".
 *
 * @param maxEnumerated enumerate every image up to this many units (0 to 30)
 * @param samples images offered when there are more units (at least 2)
 * @param seed seed of the sampled images; the same seed gives the same images
 * @param torn vary 8-byte words independently instead of whole lines
 */
public record CrashImageOptions(int maxEnumerated, int samples, long seed, boolean torn) {

  /** Up to 2^10 images enumerated, else 64 sampled with seed 0, lines never torn. */
  public static final CrashImageOptions DEFAULT = new CrashImageOptions(10, 64, 0, false);

  public CrashImageOptions {
    if (maxEnumerated < 0 || maxEnumerated > 30) {
      throw new IllegalArgumentException(
          "enumerate up to 0..30 in-flight units, not " + maxEnumerated);
    }
    if (samples < 2) {
      throw new IllegalArgumentException(
          "sample at least 2 images (nothing applied, everything applied), not " + samples);
    }
  }

  public CrashImageOptions withMaxEnumerated(int k) {
    return new CrashImageOptions(k, samples, seed, torn);
  }

  public CrashImageOptions withSamples(int n) {
    return new CrashImageOptions(maxEnumerated, n, seed, torn);
  }

  public CrashImageOptions withSeed(long s) {
    return new CrashImageOptions(maxEnumerated, samples, s, torn);
  }

  public CrashImageOptions withTorn(boolean t) {
    return new CrashImageOptions(maxEnumerated, samples, seed, t);
  }
}
