package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Inodes loaded into DRAM. An inode is loaded on first use by replaying its log; after a crash
 * recovery loads them all (it needs every block map to rebuild the allocator). An inode whose
 * log cannot be read is kept with its damage noted, so that it alone answers EIO.
 */
final class InodeCache {

  /** The filesystem. */
  private final Volume vol;

  /** Loaded inodes by number. */
  private final ConcurrentHashMap<Long, Inode> loaded = new ConcurrentHashMap<>();

  InodeCache(Volume vol) {
    this.vol = vol;
  }

  /**
   * The inode {@code ino}, loading it if needed.
   *
   * @throws ErrnoException ENOENT (ESTALE for FUSE) when no such inode exists, EIO when it is
   *     damaged
   */
  Inode get(long ino) {
    Inode in = loaded.get(ino);
    if (in == null) {
      if (!vol.inodes.exists(ino)) {
        throw new ErrnoException(Errno.ENOENT, "no inode " + ino);
      }
      in = loaded.computeIfAbsent(ino, this::load);
    }
    if (in.evicted) {
      throw new ErrnoException(Errno.ENOENT, "inode " + ino + " was freed");
    }
    if (in.damage != null) {
      throw new ErrnoException(Errno.EIO, "inode " + ino + " is damaged: " + in.damage);
    }
    return in;
  }

  /** The loaded inode, or null; never loads. */
  Inode peek(long ino) {
    return loaded.get(ino);
  }

  /** Adds an inode built by a create or by recovery. */
  void put(Inode in) {
    loaded.put(in.ino, in);
  }

  void remove(long ino) {
    loaded.remove(ino);
  }

  /** Removes {@code in} if it is still the inode cached under {@code ino}. */
  void remove(long ino, Inode in) {
    loaded.remove(ino, in);
  }

  Collection<Inode> all() {
    return loaded.values();
  }

  private Inode load(long ino) {
    InodeTable.Slot slot;
    try {
      slot = vol.inodes.readSlot(ino);
    } catch (CorruptionException e) {
      Inode bad = new Inode(ino, 0, 0, false);
      bad.damage = e.getMessage();
      return bad;
    }
    if (slot == null) {
      throw new ErrnoException(Errno.ENOENT, "no inode " + ino);
    }
    return replay(vol, slot);
  }

  /** Builds an inode from its slot by replaying its log; damage is recorded, not thrown. */
  static Inode replay(Volume vol, InodeTable.Slot slot) {
    Inode in = new Inode(slot.ino(), slot.generation(), slot.type(), vol.dataChecksums());
    in.orphan = slot.orphan();
    java.util.List<Long> pages = new java.util.ArrayList<>();
    try {
      if (!Mode.isKnownType(slot.type())) {
        throw new CorruptionException("inode " + slot.ino(), vol.inodes.slotOffset(slot.ino()),
            "unknown file type " + Integer.toOctalString(slot.type()));
      }
      in.log = InodeLog.open(vol.region, slot.ino(), slot.head(), slot.tail(), vol.blockCount(),
          (type, seq, payload, offset) ->
              in.apply(type, payload, offset, vol.blockCount(), Inode.Freed.NONE),
          pages::add);
      if (in.mode == 0) {
        throw new CorruptionException("log of inode " + slot.ino(),
            Layout.offset(slot.head()), "has no init entry");
      }
      in.logPagesAtLastClean = in.log.pageCount();
      if (in.isSymlink() && in.targetFilled != in.target.length) {
        throw new CorruptionException("log of inode " + slot.ino(),
            Layout.offset(slot.head()), "holds " + in.targetFilled + " of the "
                + in.target.length + " bytes of its symlink target");
      }
    } catch (CorruptionException e) {
      in.damage = e.getMessage();
    } catch (RuntimeException e) {
      // A check missing in front of a read of the payload: still damage, not a crash.
      in.damage = "log of inode " + slot.ino() + " could not be replayed: " + e;
    }
    if (in.damage != null) {
      in.damagedLogPages = pages.stream().mapToLong(Long::longValue).toArray();
    }
    claim(vol, in);
    return in;
  }

  /**
   * Tells the allocator which blocks the loaded inode uses: a block a (stale or forged)
   * checkpoint listed free leaves the free space, and a block another loaded inode uses too is
   * quarantined, so damage confined to one file's log never spreads through the allocator.
   */
  private static void claim(Volume vol, Inode in) {
    Recovery.UsedBlocks used = new Recovery.UsedBlocks();
    Recovery.addUsed(in, used);
    for (long[] run : used.merged()) {
      vol.stats.crossLinkedBlocks.add(vol.allocator.claim(run[0], run[1]));
    }
  }
}
