package dev.daxfs.tools.crash;

/**
 * How the checker runs.
 *
 * @param maxImages most crash images mounted per crash point; when the images a point offers
 *     cannot be covered within it, the rest are sampled
 * @param samples images sampled (with the seed) at a point whose images were not all covered
 * @param seed seed of sampled images, and of generated workload sets
 * @param torn vary each 8-byte word of an in-flight line on its own (only aligned 8-byte
 *     stores are failure-atomic), instead of whole 64-byte lines
 * @param injection a bug to re-introduce in daxfs, or null
 * @param dataChecksums format with per-block data checksums
 * @param threads workloads checked at once
 */
public record CheckOptions(int maxImages, int samples, long seed, boolean torn,
    Injection injection, boolean dataChecksums, int threads) {

  /** 256 images per crash point, 16 samples beyond, seed 0, whole lines, one thread per core. */
  public static CheckOptions defaults() {
    return new CheckOptions(256, 16, 0, false, null, false,
        Runtime.getRuntime().availableProcessors());
  }

  public CheckOptions {
    if (maxImages < 2) {
      throw new IllegalArgumentException("check at least 2 images per crash point (none and "
          + "all of its in-flight lines applied), not " + maxImages);
    }
    if (samples < 0) {
      throw new IllegalArgumentException("samples must not be negative: " + samples);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    }
  }

  public CheckOptions withMaxImages(int n) {
    return new CheckOptions(n, samples, seed, torn, injection, dataChecksums, threads);
  }

  public CheckOptions withSeed(long s) {
    return new CheckOptions(maxImages, samples, s, torn, injection, dataChecksums, threads);
  }

  public CheckOptions withTorn(boolean t) {
    return new CheckOptions(maxImages, samples, seed, t, injection, dataChecksums, threads);
  }

  public CheckOptions withInjection(Injection i) {
    return new CheckOptions(maxImages, samples, seed, torn, i, dataChecksums, threads);
  }

  public CheckOptions withDataChecksums(boolean on) {
    return new CheckOptions(maxImages, samples, seed, torn, injection, on, threads);
  }

  public CheckOptions withThreads(int n) {
    return new CheckOptions(maxImages, samples, seed, torn, injection, dataChecksums, n);
  }
}
