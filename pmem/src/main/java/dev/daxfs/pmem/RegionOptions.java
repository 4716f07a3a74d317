package dev.daxfs.pmem;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * How {@link Regions#open} opens a region file. Immutable; each {@code with...} returns a
 * changed copy:
 *
 * <pre>{@code
 * Regions.open(path, RegionOptions.create(Sizes.GiB).withExclusiveLock());   // mkfs, mount
 * Regions.open(path, RegionOptions.existing().withReadOnly().withExclusiveLock()); // fsck -n
 * }</pre>
 */
public final class RegionOptions {

  /** Which kind of memory backs the region. */
  public enum Backend {
    /** Real pmem when the file accepts a MAP_SYNC mapping, else emulated (saying why). */
    AUTO,
    /** Always a mapped file, even on a DAX filesystem. */
    EMULATED,
    /** Real pmem or an error naming why it is unavailable. */
    REAL_PMEM
  }

  /** Size to create the file with when it is missing; absent: the file must exist. */
  private final OptionalLong createSize;

  /** Size the existing file must have; absent: any valid size. */
  private final OptionalLong expectedSize;

  /** Map read-only; every store is refused. */
  private final boolean readOnly;

  /** Hold a lock on the file while the region is open (shared when read-only). */
  private final boolean exclusiveLock;

  /** Flush cost on an emulated region: FREE or DELAYED. */
  private final FlushModel flushModel;

  /** Which memory to use. */
  private final Backend backend;

  /** How a MAP_SYNC mapping is made; injected by tests. */
  private final SyncMapper syncMapper;

  /** Bytes per sync-mapped segment; smaller in tests. */
  private final long syncSegment;

  private RegionOptions(
      OptionalLong createSize,
      OptionalLong expectedSize,
      boolean readOnly,
      boolean exclusiveLock,
      FlushModel flushModel,
      Backend backend,
      SyncMapper syncMapper,
      long syncSegment) {
    if (readOnly && createSize.isPresent()) {
      throw new IllegalArgumentException("a region cannot be created read-only");
    }
    this.createSize = createSize;
    this.expectedSize = expectedSize;
    this.readOnly = readOnly;
    this.exclusiveLock = exclusiveLock;
    this.flushModel = flushModel;
    this.backend = backend;
    this.syncMapper = syncMapper;
    this.syncSegment = syncSegment;
  }

  /** Open a region file that exists; its size is the file's. */
  public static RegionOptions existing() {
    return new RegionOptions(
        OptionalLong.empty(), OptionalLong.empty(), false, false, FlushModel.FREE, Backend.AUTO,
        SyncMapper.JDK, SyncMappedRegion.DEFAULT_SEGMENT);
  }

  /**
   * Create a sparse region file of {@code size} bytes when it is missing; open it when it exists
   * (and then it must be exactly {@code size} bytes).
   */
  public static RegionOptions create(long size) {
    return existing().copy(OptionalLong.of(size), OptionalLong.of(size), false);
  }

  /** Refuse an existing file whose size is not {@code size}. */
  public RegionOptions withExpectedSize(long size) {
    return copy(createSize, OptionalLong.of(size), readOnly);
  }

  /** Map read-only: loads work, stores throw; the file is never changed. */
  public RegionOptions withReadOnly() {
    return copy(createSize, expectedSize, true);
  }

  /**
   * Lock the file while the region is open: a second daxfs open of it (in any process) is
   * refused. A read-only open takes the lock shared, so readers exclude writers only.
   */
  public RegionOptions withExclusiveLock() {
    return new RegionOptions(createSize, expectedSize, readOnly, true, flushModel, backend,
        syncMapper, syncSegment);
  }

  /** Flush cost on an emulated region ({@link FlushModel#FREE} unless told otherwise). */
  public RegionOptions withFlushModel(FlushModel model) {
    Objects.requireNonNull(model, "model");
    if (model.kind() != FlushModel.Kind.FREE && model.kind() != FlushModel.Kind.DELAYED) {
      throw new IllegalArgumentException("an emulated region flushes free or delayed, not " + model);
    }
    return new RegionOptions(createSize, expectedSize, readOnly, exclusiveLock, model, backend,
        syncMapper, syncSegment);
  }

  public RegionOptions withBackend(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    return new RegionOptions(createSize, expectedSize, readOnly, exclusiveLock, flushModel,
        backend, syncMapper, syncSegment);
  }

  /** Replaces how MAP_SYNC mappings are made (tests inject success and failure). */
  RegionOptions withSyncMapper(SyncMapper mapper, long segmentSize) {
    return new RegionOptions(createSize, expectedSize, readOnly, exclusiveLock, flushModel,
        backend, Objects.requireNonNull(mapper, "mapper"), segmentSize);
  }

  private RegionOptions copy(OptionalLong create, OptionalLong expected, boolean ro) {
    return new RegionOptions(create, expected, ro, exclusiveLock, flushModel, backend,
        syncMapper, syncSegment);
  }

  public OptionalLong createSize() {
    return createSize;
  }

  public OptionalLong expectedSize() {
    return expectedSize;
  }

  public boolean readOnly() {
    return readOnly;
  }

  public boolean exclusiveLock() {
    return exclusiveLock;
  }

  public FlushModel flushModel() {
    return flushModel;
  }

  public Backend backend() {
    return backend;
  }

  SyncMapper syncMapper() {
    return syncMapper;
  }

  long syncSegment() {
    return syncSegment;
  }

  @Override
  public String toString() {
    return "RegionOptions["
        + (createSize.isPresent() ? "create " + Sizes.format(createSize.getAsLong()) : "existing")
        + (readOnly ? ", read-only" : "")
        + (exclusiveLock ? ", locked" : "")
        + ", " + backend
        + ", flush " + flushModel
        + "]";
  }
}
