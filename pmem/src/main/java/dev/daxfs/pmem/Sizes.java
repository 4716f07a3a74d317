package dev.daxfs.pmem;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as people write them ("64M", "1 GiB", "4096") and as daxfs prints them. */
public final class Sizes {

  public static final long KiB = 1L << 10;
  public static final long MiB = 1L << 20;
  public static final long GiB = 1L << 30;
  public static final long TiB = 1L << 40;

  /** A number, then an optional binary unit: K, KB, KiB, M, ... T (all powers of 1024). */
  private static final Pattern SIZE =
      Pattern.compile("\\s*(\\d+)\\s*(?:([kmgt])(?:i?b)?|b|bytes?)?\\s*", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /**
   * Parses a size such as {@code 4096}, {@code 64M}, {@code 64MiB} or {@code 1g}; units are
   * powers of 1024.
   *
   * @throws IllegalArgumentException naming the text when it is not a size or overflows
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 4096, 64M, 1GiB)");
    }
    long unit = 1;
    if (m.group(2) != null) {
      unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "k" -> KiB;
        case "m" -> MiB;
        case "g" -> GiB;
        default -> TiB;
      };
    }
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("size '" + text + "' is too large");
    }
  }

  /** "64 MiB", "1.5 GiB", or "1048577 bytes" when no unit divides it to one decimal exactly. */
  public static String format(long bytes) {
    long[] units = {TiB, GiB, MiB, KiB};
    String[] names = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < units.length; i++) {
      long u = units[i];
      if (bytes >= u) {
        if (bytes % u == 0) {
          return bytes / u + " " + names[i];
        }
        if (bytes < Long.MAX_VALUE / 10 && (bytes * 10) % u == 0) {
          return String.format(Locale.ROOT, "%.1f %s", bytes / (double) u, names[i]);
        }
      }
    }
    return bytes + (bytes == 1 ? " byte" : " bytes");
  }
}
