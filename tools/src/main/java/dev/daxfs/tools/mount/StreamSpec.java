package dev.daxfs.tools.mount;

import com.fasterxml.jackson.databind.JsonNode;
import dev.daxfs.gup.DeviceSpec;
import dev.daxfs.tools.control.ControlException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@code dma_start} request asks for: which device, which bytes of which file, and the
 * stream's rhythm. The members of the request carry the same names as the fields below, in
 * snake case ({@code hold_ms}, {@code interval_ms}, {@code longterm}).
 *
 * @param device the device's name; created on first use
 * @param odp whether the device does On-Demand Paging (a property fixed when it is created)
 * @param path the file, from the mount's root ("/dir/file")
 * @param ino the inode number the client saw for {@code path}, or 0
 * @param offset first byte of the file the stream moves
 * @param length bytes each transfer moves
 * @param write device to memory (true) or memory to device
 * @param holdMs how long a short-term transfer keeps its pages before the data moves and they
 *     are unpinned
 * @param longTerm register the range once (FOLL_LONGTERM, or an ODP registration) and keep it
 *     until the stream stops, instead of pinning for each transfer
 * @param lease the stream holds a layout lease on its range while it runs
 * @param intervalMs pause between the end of one transfer and the start of the next
 * @param count transfers to make; 0: until the stream is stopped
 */
record StreamSpec(String device, boolean odp, String path, long ino, long offset, long length,
    boolean write, long holdMs, boolean longTerm, boolean lease, long intervalMs, long count) {

  /** Most bytes one transfer moves: its data is held in memory while it is in flight. */
  static final long MAX_LENGTH = 64L << 20;

  /** Longest hold accepted: a day (stop ends a hold early). */
  static final long MAX_HOLD_MS = 86_400_000L;

  /** Default pause between transfers. */
  static final long DEFAULT_INTERVAL_MS = 100;

  /** Checks every field; the messages name the option a user gave. */
  StreamSpec {
    if (device == null) {
      throw new IllegalArgumentException("a stream needs a --device");
    }
    DeviceSpec.named(device);
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("the file is named by its path from the mount's root, "
          + "not \"" + path + "\"");
    }
    if (offset < 0) {
      throw new IllegalArgumentException("--offset must not be negative, not " + offset);
    }
    if (length <= 0 || length > MAX_LENGTH) {
      throw new IllegalArgumentException("--length must be between 1 byte and "
          + (MAX_LENGTH >> 20) + " MiB, not " + length);
    }
    if (offset > Long.MAX_VALUE - length) {
      throw new IllegalArgumentException("--offset plus --length overflows");
    }
    if (holdMs < 0 || holdMs > MAX_HOLD_MS) {
      throw new IllegalArgumentException("--hold-ms must be between 0 and " + MAX_HOLD_MS
          + ", not " + holdMs);
    }
    if (longTerm && holdMs > 0) {
      throw new IllegalArgumentException("--hold-ms applies to short-term transfers; a "
          + "long-term registration holds its pages until the stream is stopped");
    }
    if (intervalMs < 0 || intervalMs > MAX_HOLD_MS) {
      throw new IllegalArgumentException("--interval-ms must be between 0 and " + MAX_HOLD_MS
          + ", not " + intervalMs);
    }
    if (count < 0) {
      throw new IllegalArgumentException("--count must not be negative (0: until stopped), not "
          + count);
    }
  }

  /** The request's members, as {@link #fromRequest} reads them. */
  Map<String, Object> toRequest() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("device", device);
    m.put("odp", odp);
    m.put("path", path);
    m.put("ino", ino);
    m.put("offset", offset);
    m.put("length", length);
    m.put("write", write);
    m.put("hold_ms", holdMs);
    m.put("longterm", longTerm);
    m.put("lease", lease);
    m.put("interval_ms", intervalMs);
    m.put("count", count);
    return m;
  }

  /**
   * Reads a {@code dma_start} request. Absent members take their defaults: write, no hold, the
   * default interval, until stopped.
   *
   * @throws ControlException EINVAL with the sentence naming what was wrong
   */
  static StreamSpec fromRequest(JsonNode r) throws ControlException {
    try {
      return new StreamSpec(
          text(r, "device"),
          r.path("odp").asBoolean(false),
          text(r, "path"),
          number(r, "ino", 0),
          number(r, "offset", -1),
          number(r, "length", -1),
          r.path("write").asBoolean(true),
          number(r, "hold_ms", 0),
          r.path("longterm").asBoolean(false),
          r.path("lease").asBoolean(false),
          number(r, "interval_ms", DEFAULT_INTERVAL_MS),
          number(r, "count", 0));
    } catch (IllegalArgumentException e) {
      throw new ControlException("EINVAL", e.getMessage());
    }
  }

  private static String text(JsonNode r, String name) {
    JsonNode n = r.get(name);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("the request names no \"" + name + "\"");
    }
    return n.asText();
  }

  private static long number(JsonNode r, String name, long absent) {
    JsonNode n = r.get(name);
    if (n == null || n.isNull()) {
      if (absent < 0) {
        throw new IllegalArgumentException("the request names no \"" + name + "\"");
      }
      return absent;
    }
    if (!n.canConvertToLong() || !n.isIntegralNumber()) {
      throw new IllegalArgumentException("\"" + name + "\" must be a whole number, not " + n);
    }
    return n.asLong();
  }

  /** "/f [4096, +65536)". */
  String range() {
    return path + " [" + offset + ", +" + length + ")";
  }
}
