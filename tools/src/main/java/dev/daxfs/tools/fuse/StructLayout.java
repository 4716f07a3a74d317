package dev.daxfs.tools.fuse;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The size and field offsets of one C structure as this binding writes and reads it.
 *
 * <p>The binding never lets JNA infer a layout: every native structure is read and written at
 * the explicit offsets recorded here, and {@code LayoutProbeTest} compares each of them with what
 * the C compiler reports for the installed headers, so a mismatch fails a test instead of
 * corrupting a reply.
 */
final class StructLayout {
  /** The C name, as the probe prints it (for example {@code fuse_entry_param}). */
  final String name;
  /** {@code sizeof} the structure in bytes. */
  final long size;
  /** Field name to byte offset, in declaration order; nested fields are dotted. */
  private final Map<String, Long> offsets;

  private StructLayout(String name, long size, Map<String, Long> offsets) {
    this.name = name;
    this.size = size;
    this.offsets = Collections.unmodifiableMap(offsets);
  }

  /** Offset of {@code field}; throws when the field is not part of the layout. */
  long offset(String field) {
    Long off = offsets.get(field);
    if (off == null) {
      throw new IllegalArgumentException(name + " has no field " + field);
    }
    return off;
  }

  /** Every field with its offset, in declaration order. */
  Map<String, Long> offsets() {
    return offsets;
  }

  static Builder builder(String name, long size) {
    return new Builder(name, size);
  }

  /** Collects fields in declaration order. */
  static final class Builder {
    private final String name;
    private final long size;
    private final Map<String, Long> offsets = new LinkedHashMap<>();

    private Builder(String name, long size) {
      this.name = Objects.requireNonNull(name);
      this.size = size;
    }

    Builder field(String field, long offset) {
      if (offset < 0 || offset >= size) {
        throw new IllegalArgumentException(name + "." + field + " at " + offset + " is outside " + size);
      }
      if (offsets.put(field, offset) != null) {
        throw new IllegalArgumentException(name + "." + field + " declared twice");
      }
      return this;
    }

    StructLayout build() {
      return new StructLayout(name, size, new LinkedHashMap<>(offsets));
    }
  }
}
