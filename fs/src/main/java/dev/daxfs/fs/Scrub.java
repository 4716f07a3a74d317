package dev.daxfs.fs;

import dev.daxfs.pmem.MediaErrorException;
import dev.daxfs.pmem.OverlayRegion;
import dev.daxfs.pmem.PmemRegion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies every data block that has a trustworthy checksum: written, not stale. A stale
 * block (a writable mapping or a device may be changing it) is counted, never verified, never
 * reported as corrupt.
 */
public final class Scrub {
  private Scrub() {}

  /** A block whose bytes do not match its checksum, or could not be read. */
  public record Mismatch(long ino, long page, long block, String problem) {}

  /** What a scrub found. */
  public static final class Report {
    /** Whether the filesystem keeps data checksums at all. */
    public boolean checksums;
    public long inodes;
    public long blocksVerified;
    public long staleBlocks;
    public final List<Mismatch> mismatches = new ArrayList<>();

    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("data_checksums", checksums);
      m.put("inodes", inodes);
      m.put("blocks_verified", blocksVerified);
      m.put("stale_blocks", staleBlocks);
      m.put("mismatches", mismatches.size());
      List<Map<String, Object>> list = new ArrayList<>();
      for (Mismatch x : mismatches) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("ino", x.ino());
        e.put("page", x.page());
        e.put("block", x.block());
        e.put("problem", x.problem());
        list.add(e);
      }
      m.put("bad_blocks", list);
      return m;
    }
  }

  /** Scrubs a mounted filesystem (each file under its metadata lock, shared). */
  public static Report run(DaxFs fs) {
    Volume vol = fs.volume();
    Report r = new Report();
    r.checksums = vol.dataChecksums();
    for (long ino : vol.inodes.usedInos()) {
      Inode in;
      try {
        in = vol.cache.get(ino);
      } catch (dev.daxfs.dax.ErrnoException e) {
        continue;
      }
      in.lock.readLock().lock();
      try {
        scrub(vol.region, in, r);
      } finally {
        in.lock.readLock().unlock();
      }
    }
    return r;
  }

  /** Scrubs an unmounted region without writing it (the journal rolled back in an overlay). */
  public static Report run(PmemRegion region) {
    Superblock sb = Superblock.load(region);
    OverlayRegion view = new OverlayRegion(region);
    Journal.recover(view, TestSwitches.none());
    List<InodeTable.Slot> slots = new ArrayList<>();
    InodeTable table = InodeTable.load(view, sb.blockCount, slots::add, (i, w) -> {});
    BlockAllocator none = new BlockAllocator(Layout.FIRST_ALLOCATABLE, sb.blockCount, 0);
    Volume vol = new Volume(view, sb, none, table, null, TestSwitches.none(),
        MountOptions.defaults());
    Report r = new Report();
    r.checksums = sb.dataChecksums();
    for (InodeTable.Slot slot : slots) {
      Inode in = InodeCache.replay(vol, slot);
      if (in.damage == null) {
        scrub(view, in, r);
      }
    }
    return r;
  }

  /** Verifies one file's blocks into {@code r}. */
  static void scrub(PmemRegion region, Inode in, Report r) {
    r.inodes++;
    if (!in.isRegular() || !in.blocks.checksums()) {
      return;
    }
    in.blocks.forEach(0, Long.MAX_VALUE, (page, e) -> {
      if (BlockMap.isUnwritten(e)) {
        return;
      }
      if (BlockMap.isStale(e)) {
        r.staleBlocks++;
        return;
      }
      long block = BlockMap.block(e);
      r.blocksVerified++;
      try {
        if (region.crc32c(Layout.offset(block), Layout.BLOCK) != in.blocks.crc(page)) {
          r.mismatches.add(new Mismatch(in.ino, page, block, "data checksum mismatch"));
        }
      } catch (MediaErrorException me) {
        r.mismatches.add(new Mismatch(in.ino, page, block, "media error"));
      }
    });
  }
}
