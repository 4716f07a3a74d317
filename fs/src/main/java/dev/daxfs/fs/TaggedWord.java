package dev.daxfs.fs;

/**
 * An 8-byte word that checks itself: the low 48 bits hold a value (a block number, a region
 * offset, a small state), the high 16 bits a check of that value and a salt naming the word's
 * owner and purpose (16 bits of a 64-bit finalizer mix, as in MurmurHash3: cheap enough for
 * the commit path, and a random word passes with probability 2^-16).
 *
 * <p>Every word daxfs updates in place to commit something (log tails, log heads, the next
 * pointer of a log page, inode valid and orphan words, journal lane states) is a tagged word,
 * so the commit stays one failure-atomic 8-byte store and is still checksummed: a word from
 * another structure, a torn neighbour or random damage is caught, because its tag will not
 * match the salt of the place it was read from.
 *
 * <pre>
 *   63            48 47                                      0
 *  +----------------+-----------------------------------------+
 *  | mix64(v, salt) |  v: value, at most 2^48 - 1             |
 *  |   low 16 bits  |                                         |
 *  +----------------+-----------------------------------------+
 * </pre>
 *
 * The all-zero word is the null word (value 0) whatever the salt, so zeroed media reads as
 * "nothing here" rather than as damage.
 */
final class TaggedWord {
  private TaggedWord() {}

  /** The largest value a tagged word holds. */
  static final long MAX_VALUE = (1L << 48) - 1;

  /** The null word: value 0, valid under any salt. */
  static final long NULL = 0L;

  /** Salts name the purpose of a word; the owner (an inode number, a lane) is mixed in. */
  static final long SALT_LOG_TAIL = 0x7461696cL;

  static final long SALT_LOG_HEAD = 0x68656164L;
  static final long SALT_LOG_NEXT = 0x6e657874L;
  static final long SALT_INODE_VALID = 0x76616c64L;
  static final long SALT_INODE_ORPHAN = 0x6f727068L;
  static final long SALT_CHUNK_NEXT = 0x63686e6bL;
  static final long SALT_JOURNAL = 0x6a726e6cL;

  /** Encodes {@code value} under {@code salt}. */
  static long encode(long value, long salt) {
    if (value < 0 || value > MAX_VALUE) {
      throw new IllegalArgumentException("tagged value out of range: " + value);
    }
    if (value == 0) {
      return NULL;
    }
    return (tag(value, salt) << 48) | value;
  }

  /** The value of {@code word}, or -1 if its tag does not match {@code salt}. */
  static long decode(long word, long salt) {
    if (word == NULL) {
      return 0;
    }
    long value = word & MAX_VALUE;
    if (value == 0 || (word >>> 48) != tag(value, salt)) {
      return -1;
    }
    return value;
  }

  /** Salt for a word of {@code purpose} belonging to {@code owner}. */
  static long salt(long purpose, long owner) {
    return purpose * 0x9E3779B97F4A7C15L ^ owner;
  }

  private static long tag(long value, long salt) {
    long x = value * 0xff51afd7ed558ccdL ^ salt;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    return (x ^ (x >>> 16) ^ (x >>> 32)) & 0xFFFFL;
  }
}
