package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an unmounted region without changing a byte and describes what is on it: the
 * superblock, the journal lanes, inode-table usage, free space, and one inode's slot, log and
 * block map. The result is a tree of maps and lists (what {@code daxfs inspect} prints, as
 * text or JSON).
 *
 * <p>The view is the media as it is: if a journal lane is active (the filesystem crashed in a
 * multi-inode operation), the report says so and shows the state before the rollback a mount
 * would do.
 */
public final class Inspector {

  /** Most block-map entries listed for one file, so a huge sparse file stays printable. */
  static final long MAX_LISTED_PAGES = 1L << 20;

  /** The region. */
  private final PmemRegion region;

  /** Its superblock. */
  private final Superblock sb;

  /** A read-only volume for replaying logs (nothing is ever committed through it). */
  private final Volume vol;

  /** Valid slots found in the inode table. */
  private final List<InodeTable.Slot> slots = new ArrayList<>();

  /** Slots that failed their checks, with the reason. */
  private final Map<Long, String> damaged = new LinkedHashMap<>();

  private Inspector(PmemRegion region) {
    this.region = region;
    this.sb = Superblock.load(region);
    InodeTable table = InodeTable.load(region, sb.blockCount, slots::add, damaged::put);
    BlockAllocator none = new BlockAllocator(Layout.FIRST_ALLOCATABLE, sb.blockCount, 0);
    this.vol = new Volume(region, sb, none, table, null, TestSwitches.none(),
        MountOptions.defaults());
  }

  /** Opens {@code region} for inspection (reads the superblock and the inode table). */
  public static Inspector open(PmemRegion region) {
    return new Inspector(region);
  }

  /** The whole-filesystem part of the report. */
  public Map<String, Object> summary() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("superblock", superblock());
    out.put("journal", journal());
    Map<String, Object> inodes = new LinkedHashMap<>();
    inodes.put("chunks", vol.inodes.chunkCount());
    inodes.put("slots", (long) vol.inodes.chunkCount() * (InodeTable.SLOTS_PER_CHUNK - 1));
    inodes.put("used", vol.inodes.usedInodes());
    inodes.put("free", vol.inodes.freeSlots());
    inodes.put("orphans", slots.stream().filter(InodeTable.Slot::orphan).count());
    List<Map<String, Object>> bad = new ArrayList<>();
    damaged.forEach((ino, why) -> bad.add(Map.of("ino", ino, "problem", why)));
    inodes.put("damaged", bad);
    out.put("inode_table", inodes);
    out.put("free_space", freeSpace());
    return out;
  }

  private Map<String, Object> superblock() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("copy", sb.fromBackup ? "backup (the primary is damaged)" : "primary");
    m.put("version", Superblock.FORMAT_VERSION);
    m.put("uuid", sb.uuid.toString());
    m.put("region_bytes", sb.regionSize);
    m.put("blocks", sb.blockCount);
    m.put("block_size", Layout.BLOCK);
    m.put("data_checksums", sb.dataChecksums());
    m.put("state", sb.state == Superblock.STATE_CLEAN ? "clean" : "mounted or crashed");
    m.put("mount_count", sb.mountCount);
    m.put("created_ns", sb.created);
    m.put("last_mount_ns", sb.lastMount);
    m.put("last_unmount_ns", sb.lastUnmount);
    m.put("reserve_blocks", sb.reserveBlocks);
    m.put("checkpoint_block", sb.checkpointBlock);
    m.put("checkpoint_blocks", sb.checkpointBlocks);
    return m;
  }

  private List<Map<String, Object>> journal() {
    List<Map<String, Object>> lanes = new ArrayList<>();
    for (int lane = 0; lane < Journal.LANES; lane++) {
      long s = Journal.laneState(region, lane);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lane", lane);
      m.put("state", s < 0 ? "damaged" : s == 0 ? "idle" : "active");
      if (s > 0) {
        m.put("entries", s & 0xFF);
      }
      lanes.add(m);
    }
    return lanes;
  }

  /**
   * Free space: from the checkpoint after a clean unmount, else the complement of every block
   * in use (the same computation recovery does).
   */
  private Map<String, Object> freeSpace() {
    Map<String, Object> m = new LinkedHashMap<>();
    String[] why = new String[1];
    List<long[]> free = sb.state == Superblock.STATE_CLEAN ? Checkpoint.read(region, sb, why)
        : null;
    if (free != null) {
      m.put("source", "allocator checkpoint of the last clean unmount");
    } else {
      Recovery.UsedBlocks used = new Recovery.UsedBlocks();
      for (long chunk : vol.inodes.chunkBlocks()) {
        if (chunk >= Layout.FIRST_ALLOCATABLE) {
          used.add(chunk, 1);
        }
      }
      for (InodeTable.Slot slot : slots) {
        Recovery.addUsed(InodeCache.replay(vol, slot), used);
      }
      free = used.complement(Layout.FIRST_ALLOCATABLE, sb.blockCount);
      m.put("source", "computed from the logs");
    }
    long total = 0;
    long largest = 0;
    for (long[] e : free) {
      total += e[1];
      largest = Math.max(largest, e[1]);
    }
    m.put("free_blocks", total);
    m.put("free_bytes", total * Layout.BLOCK);
    m.put("free_extents", free.size());
    m.put("largest_free_extent_blocks", largest);
    m.put("allocatable_blocks", sb.blockCount - Layout.FIRST_ALLOCATABLE);
    return m;
  }

  /** Resolves an absolute path through the directory entries on media (no symlinks). */
  public long resolve(String path) {
    long ino = InodeTable.ROOT_INO;
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      Inode dir = load(ino);
      if (!dir.isDir()) {
        throw new ErrnoException(Errno.ENOTDIR, "a component of " + path
            + " is not a directory");
      }
      if (part.equals("..")) {
        ino = dir.parent;
        continue;
      }
      Directory.Dentry d = dir.dir.get(Name.of(part));
      if (d == null) {
        throw new ErrnoException(Errno.ENOENT, path + " does not exist");
      }
      ino = d.ino();
    }
    return ino;
  }

  private Inode load(long ino) {
    if (!vol.inodes.exists(ino)) {
      throw new ErrnoException(Errno.ENOENT, "no inode " + ino);
    }
    InodeTable.Slot slot = vol.inodes.readSlot(ino);
    if (slot == null) {
      throw new ErrnoException(Errno.ENOENT, "inode " + ino + " is not in use");
    }
    Inode in = InodeCache.replay(vol, slot);
    if (in.damage != null) {
      throw new ErrnoException(Errno.EIO, "inode " + ino + ": " + in.damage);
    }
    return in;
  }

  /** One inode: slot, attributes, log pages and entries, block map or directory entries. */
  public Map<String, Object> inode(long ino) {
    Inode in = load(ino);
    InodeTable.Slot slot = vol.inodes.readSlot(ino);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ino", ino);
    m.put("generation", in.generation);
    m.put("slot_offset", vol.inodes.slotOffset(ino));
    m.put("orphan", slot.orphan());
    m.put("mode", String.format("0%o", in.mode));
    m.put("type", typeName(in.type));
    m.put("nlink", in.nlink());
    m.put("uid", in.uid);
    m.put("gid", in.gid);
    m.put("size", in.size);
    m.put("atime_ns", in.atime);
    m.put("mtime_ns", in.mtime);
    m.put("ctime_ns", in.ctime);
    if (in.isSymlink()) {
      m.put("target", new String(in.target, StandardCharsets.UTF_8));
    }
    if (!in.xattrs.names().isEmpty()) {
      m.put("xattrs", in.xattrs.names());
    }
    Map<String, Object> log = new LinkedHashMap<>();
    log.put("head_block", slot.head());
    log.put("tail_offset", slot.tail());
    long[] pages = in.log.pageBlocks();
    List<Long> pageList = new ArrayList<>();
    for (long p : pages) {
      pageList.add(p);
    }
    log.put("pages", pageList);
    log.put("entries", in.log.entryCount());
    log.put("entry_bytes", in.live.bytes());
    log.put("live_bytes", vol.cleaner.liveBytes(in));
    log.put("capacity_bytes", (long) in.log.pageCount() * LogPage.CAPACITY);
    List<Map<String, Object>> entries = new ArrayList<>();
    InodeLog.open(region, ino, slot.head(), slot.tail(), sb.blockCount,
        (type, seq, payload, offset) -> entries.add(describe(type, seq, payload, offset)));
    log.put("records", entries);
    m.put("log", log);
    if (in.isRegular()) {
      List<Long> blocks = new ArrayList<>();
      long pagesToList = Math.max(FileIo.pagesFor(in.size), in.blocks.lastMapped() + 1);
      boolean truncated = pagesToList > MAX_LISTED_PAGES;
      pagesToList = Math.min(pagesToList, MAX_LISTED_PAGES);
      for (long p = 0; p < pagesToList; p++) {
        long e = in.blocks.get(p);
        blocks.add(e == 0 ? null : BlockMap.block(e));
      }
      m.put("blocks", blocks);
      if (truncated) {
        m.put("blocks_truncated_at_page", MAX_LISTED_PAGES);
      }
      List<Long> unwritten = new ArrayList<>();
      in.blocks.forEach(0, Long.MAX_VALUE, (p, e) -> {
        if (BlockMap.isUnwritten(e)) {
          unwritten.add(p);
        }
      });
      if (!unwritten.isEmpty()) {
        m.put("unwritten_pages", unwritten);
      }
      m.put("mapped_pages", in.blocks.mappedPages());
    }
    if (in.isDir()) {
      List<Map<String, Object>> names = new ArrayList<>();
      for (Directory.Dentry d : in.dir.all()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", d.name().toString());
        e.put("ino", d.ino());
        e.put("type", typeName(d.type()));
        e.put("cookie", d.cookie());
        names.add(e);
      }
      m.put("entries", names);
      m.put("parent", in.parent);
    }
    return m;
  }

  static String typeName(int type) {
    return switch (type & Mode.S_IFMT) {
      case Mode.S_IFREG -> "regular";
      case Mode.S_IFDIR -> "directory";
      case Mode.S_IFLNK -> "symlink";
      case Mode.S_IFIFO -> "fifo";
      case Mode.S_IFSOCK -> "socket";
      case Mode.S_IFCHR -> "character device";
      case Mode.S_IFBLK -> "block device";
      default -> "unknown";
    };
  }

  /** A log entry's fields, decoded for display. */
  static Map<String, Object> describe(int type, long seq, ByteBuffer p, long offset) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("offset", offset);
    m.put("seq", seq);
    m.put("type", LogEntry.typeName(type));
    switch (type) {
      case LogEntry.INIT -> {
        m.put("mode", String.format("0%o", p.getInt()));
        m.put("uid", p.getInt());
        m.put("gid", p.getInt());
        m.put("nlink", p.getInt());
      }
      case LogEntry.SETATTR -> {
        m.put("mask", p.getInt());
        m.put("mode", String.format("0%o", p.getInt()));
        m.put("uid", p.getInt());
        m.put("gid", p.getInt());
        p.position(p.position() + 24);
        m.put("size", p.getLong());
      }
      case LogEntry.EXTENT -> {
        m.put("first_page", p.getLong());
        m.put("first_block", p.getLong());
        m.put("pages", p.getInt());
        m.put("flags", p.getInt());
        m.put("new_size", p.getLong());
      }
      case LogEntry.RANGE -> {
        int op = p.getInt();
        p.getInt();
        m.put("op", switch (op) {
          case LogEntry.RANGE_TRUNCATE -> "truncate";
          case LogEntry.RANGE_PUNCH -> "punch";
          case LogEntry.RANGE_COLLAPSE -> "collapse";
          case LogEntry.RANGE_INSERT -> "insert";
          default -> "unknown";
        });
        m.put("first_page", p.getLong());
        m.put("pages", p.getLong());
        m.put("new_size", p.getLong());
      }
      case LogEntry.LINK -> m.put("nlink", p.getInt());
      case LogEntry.DENTRY_ADD -> {
        m.put("child", p.getLong());
        m.put("cookie", p.getLong());
        p.getInt();
        int len = p.getShort() & 0xFFFF;
        p.getShort();
        p.getLong();
        m.put("name", string(p, len));
      }
      case LogEntry.DENTRY_DEL -> {
        m.put("cookie", p.getLong());
        p.getLong();
        int len = p.getShort() & 0xFFFF;
        p.getShort();
        p.getInt();
        m.put("name", string(p, len));
      }
      case LogEntry.XATTR_SET, LogEntry.XATTR_DEL -> {
        int len = p.getShort() & 0xFFFF;
        p.getShort();
        int vlen = p.getInt();
        p.getLong();
        m.put("name", string(p, len));
        if (type == LogEntry.XATTR_SET) {
          m.put("value_bytes", vlen);
        }
      }
      case LogEntry.PARENT -> m.put("parent", p.getLong());
      case LogEntry.TARGET -> {
        m.put("offset_in_target", p.getInt());
        m.put("bytes", p.getInt());
      }
      default -> { }
    }
    return m;
  }

  private static String string(ByteBuffer p, int len) {
    byte[] b = new byte[Math.min(len, p.remaining())];
    p.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
