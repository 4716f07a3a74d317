package dev.daxfs.dax;

/**
 * Told about every page-reference misuse a descriptor table detects, before the offending call
 * throws {@link PageRefMisuseException}. Called on the misbehaving thread; must not block.
 */
@FunctionalInterface
public interface MisuseListener {
  /**
   * @param pfn the page frame the misuse concerns, or -1
   * @param description one sentence naming the misuse and the page's counts
   */
  void misuse(long pfn, String description);
}
