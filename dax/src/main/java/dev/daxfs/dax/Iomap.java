package dev.daxfs.dax;

/**
 * What the filesystem's {@link IomapOps} answers for one file page: where its data lives.
 *
 * @param type what is at the page
 * @param pfn the region page frame number of the block, for {@link Type#MAPPED} and
 *     {@link Type#UNWRITTEN}; -1 otherwise
 * @param metadataDurable for a write mapping: whether the block-map change that put the block
 *     there is already durable. A MAP_SYNC write fault on a block whose metadata is not durable
 *     calls {@link IomapOps#syncMetadata} before the page becomes writable (IOMAP_F_DIRTY).
 */
public record Iomap(Type type, long pfn, boolean metadataDurable) {

  /** What a file page is backed by. */
  public enum Type {
    /** No block: reads see zeroes; a read fault maps the zero page without allocating. */
    HOLE,
    /** A written block. */
    MAPPED,
    /** A preallocated block that must read as zero until written (an unwritten extent). */
    UNWRITTEN,
    /** At or beyond end of file: an access through a mapping fails (SIGBUS). */
    EOF
  }

  public Iomap {
    if (type == null) {
      throw new IllegalArgumentException("iomap type is required");
    }
    boolean hasBlock = type == Type.MAPPED || type == Type.UNWRITTEN;
    if (hasBlock && pfn < 0) {
      throw new IllegalArgumentException(type + " iomap needs a page frame number, not " + pfn);
    }
    if (!hasBlock && pfn != -1) {
      throw new IllegalArgumentException(type + " iomap has no page frame, not " + pfn);
    }
  }

  private static final Iomap HOLE = new Iomap(Type.HOLE, -1, true);
  private static final Iomap EOF = new Iomap(Type.EOF, -1, true);

  /** No block at the page. */
  public static Iomap hole() {
    return HOLE;
  }

  /** The page is at or beyond end of file. */
  public static Iomap eof() {
    return EOF;
  }

  /** A written block whose mapping is durable. */
  public static Iomap mapped(long pfn) {
    return new Iomap(Type.MAPPED, pfn, true);
  }

  /** A written block; {@code metadataDurable} false when the allocation is not yet persistent. */
  public static Iomap mapped(long pfn, boolean metadataDurable) {
    return new Iomap(Type.MAPPED, pfn, metadataDurable);
  }

  /** A preallocated block that reads as zero. */
  public static Iomap unwritten(long pfn) {
    return new Iomap(Type.UNWRITTEN, pfn, true);
  }
}
