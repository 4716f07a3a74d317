package dev.daxfs.tools.race;

import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.SetAttr;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One block-freeing or block-moving operation the race runs against a file under DMA: what it
 * is, the byte range it names, the range of pages its layout break covers, and what the file
 * must read as afterwards.
 *
 * @param op the operation
 * @param offset truncate: the new size; the others: the first byte of the range
 * @param length truncate: bytes cut off the end; the others: bytes in the range
 * @param keepSize for zero range: whether FALLOC_FL_KEEP_SIZE is passed (the range never
 *     reaches past EOF here, so it changes no size either way)
 */
record Cut(RaceOp op, long offset, long length, boolean keepSize) {

  /** fallocate(2) mode bits, Linux's values. */
  static final int FALLOC_FL_KEEP_SIZE = 0x01;

  static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  static final int FALLOC_FL_COLLAPSE_RANGE = 0x08;
  static final int FALLOC_FL_ZERO_RANGE = 0x10;

  /** Bytes per page. */
  static final int PAGE = 4096;

  /**
   * Offsets and lengths of truncate, punch and zero are multiples of this: smaller than a page,
   * so partial pages (zeroed where they are or by copy-on-write) are part of the race, and a
   * multiple of the 32-byte DMA tag record, so a record is either wholly kept or wholly gone.
   */
  static final int GRAIN = 512;

  Cut {
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException("a cut needs offset >= 0 and length > 0, not " + offset
          + " +" + length);
    }
  }

  /**
   * A random cut of a file of {@code size} bytes that overlaps {@code [hotStart, hotEnd)}, the
   * bytes one DMA transfer writes, so that its layout break usually meets a busy page.
   */
  static Cut random(RaceOp op, SplittableRandom rng, long size, long hotStart, long hotEnd) {
    switch (op) {
      case TRUNCATE -> {
        long newSize = grainBelow(rng, hotEnd);
        return new Cut(op, newSize, size - newSize, false);
      }
      case PUNCH, ZERO -> {
        long off = grainBelow(rng, hotEnd);
        long from = Math.max(off, hotStart) + 1;
        long end = Math.min(size, roundUp(from + rng.nextLong(size - from + 1), GRAIN));
        end = Math.max(end, roundUp(from, GRAIN));
        return new Cut(op, off, end - off, op == RaceOp.ZERO && rng.nextBoolean());
      }
      case COLLAPSE -> {
        long pages = size / PAGE;
        long hotFirst = hotStart / PAGE;
        long hotLast = (hotEnd - 1) / PAGE;
        // Collapse must leave at least one page after the range.
        long first = rng.nextLong(Math.min(hotLast, pages - 2) + 1);
        long minEnd = Math.max(first + 1, Math.min(hotFirst + 1, pages - 1));
        long end = minEnd + rng.nextLong(pages - minEnd);
        return new Cut(op, first * PAGE, (end - first) * PAGE, false);
      }
      default -> throw new IllegalArgumentException("no random cut for " + op);
    }
  }

  /** A multiple of {@link #GRAIN} in {@code [0, below)}. */
  private static long grainBelow(SplittableRandom rng, long below) {
    return rng.nextLong((below + GRAIN - 1) / GRAIN) * GRAIN;
  }

  private static long roundUp(long v, long to) {
    return (v + to - 1) / to * to;
  }

  /** Runs the operation on the open file {@code h}. */
  void apply(DaxFs fs, Cred cred, FileHandle h) {
    switch (op) {
      case TRUNCATE -> fs.setattr(cred, h.ino(), SetAttr.create().size(offset).handle(h));
      case PUNCH -> fs.fallocate(cred, h, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
          length);
      case ZERO -> fs.fallocate(cred, h, FALLOC_FL_ZERO_RANGE
          | (keepSize ? FALLOC_FL_KEEP_SIZE : 0), offset, length);
      case COLLAPSE -> fs.fallocate(cred, h, FALLOC_FL_COLLAPSE_RANGE, offset, length);
      default -> throw new IllegalStateException("cannot run " + op);
    }
  }

  /** First page of the range the layout break covers (DESIGN.md, "Layout break"). */
  long breakFirstPage() {
    return offset / PAGE;
  }

  /** One past the last page the layout break covers; {@code Long.MAX_VALUE} for "to EOF". */
  long breakEndPage() {
    return switch (op) {
      case PUNCH, ZERO -> (offset + length + PAGE - 1) / PAGE;
      case TRUNCATE, COLLAPSE -> Long.MAX_VALUE;
      default -> throw new IllegalStateException("no break range for " + op);
    };
  }

  /** Whether the layout break covers any of pages {@code [first, last]}. */
  boolean breaks(long first, long last) {
    return last >= breakFirstPage() && first < breakEndPage();
  }

  /**
   * What a file holding {@code before} must read as after this cut, given that every DMA write
   * into the broken range landed before the cut changed the file (which is what the layout
   * break guarantees).
   */
  byte[] expected(byte[] before) {
    return switch (op) {
      case TRUNCATE -> Arrays.copyOf(before, (int) offset);
      case PUNCH, ZERO -> {
        byte[] after = before.clone();
        int end = (int) Math.min(before.length, offset + length);
        Arrays.fill(after, (int) Math.min(offset, end), end, (byte) 0);
        yield after;
      }
      case COLLAPSE -> {
        byte[] after = new byte[(int) (before.length - length)];
        System.arraycopy(before, 0, after, 0, (int) offset);
        System.arraycopy(before, (int) (offset + length), after, (int) offset,
            after.length - (int) offset);
        yield after;
      }
      default -> throw new IllegalStateException("no model for " + op);
    };
  }

  @Override
  public String toString() {
    return switch (op) {
      case TRUNCATE -> "truncate to " + offset;
      case PUNCH -> "punch [" + offset + ", +" + length + ")";
      case ZERO -> "zero [" + offset + ", +" + length + ")" + (keepSize ? " keep size" : "");
      case COLLAPSE -> "collapse [" + offset + ", +" + length + ")";
      default -> op.toString();
    };
  }
}
