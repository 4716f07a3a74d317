package dev.daxfs.tools.race;

import dev.daxfs.gup.DmaTag;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The DMA tag records found in a file's bytes, counted per tag: comparing the count of what a
 * file holds with the count of what it should hold accounts for every DMA write, wherever it
 * landed. Records are looked for at every 32-byte boundary, where the race's transfers start.
 */
final class TagCount {

  /** Records found, per tag. */
  private final Map<DmaTag, Integer> counts = new HashMap<>();

  /** Total records found. */
  private long total;

  /** Counts the tag records of {@code bytes}. */
  static TagCount of(byte[] bytes) {
    TagCount c = new TagCount();
    for (int off = 0; off + DmaTag.RECORD_BYTES <= bytes.length; off += DmaTag.RECORD_BYTES) {
      Optional<DmaTag> t = DmaTag.decode(bytes, off);
      if (t.isPresent()) {
        c.counts.merge(t.get(), 1, Integer::sum);
        c.total++;
      }
    }
    return c;
  }

  long total() {
    return total;
  }

  /** Records {@code expected} has that this count lacks. */
  long missingFrom(TagCount expected) {
    long missing = 0;
    for (Map.Entry<DmaTag, Integer> e : expected.counts.entrySet()) {
      missing += Math.max(0, e.getValue() - counts.getOrDefault(e.getKey(), 0));
    }
    return missing;
  }

  /** Records this count has beyond what {@code expected} has. */
  long beyond(TagCount expected) {
    return expected.missingFrom(this);
  }
}
