package dev.daxfs.fs;

import static dev.daxfs.fs.FsTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.daxfs.dax.Errno;
import dev.daxfs.pmem.HeapRegion;
import org.junit.jupiter.api.Test;

class SuperblockTest {

  private static final long PRIMARY = 0;
  private static final long BACKUP = 4096;

  /** A formatted region holding one file, cleanly unmounted. */
  private static HeapRegion withFile() {
    HeapRegion r = formatted(16);
    DaxFs fs = mount(r);
    writeFile(fs, "/f", utf8("kept"));
    fs.unmount();
    return r;
  }

  private static void damageBoth(HeapRegion r, int at, byte xor) {
    for (long sb : new long[] {PRIMARY, BACKUP}) {
      r.storeByte(sb + at, (byte) (r.loadByte(sb + at) ^ xor));
    }
  }

  /** Rewrites a field of both copies and fixes their checksums, as a newer mkfs would. */
  private static void setIntWithValidCrc(HeapRegion r, int at, int value) {
    for (long sb : new long[] {PRIMARY, BACKUP}) {
      r.storeInt(sb + at, value);
      byte[] raw = new byte[Superblock.CRC_OFFSET];
      r.load(sb, raw, 0, raw.length);
      r.storeInt(sb + Superblock.CRC_OFFSET, Crc.crc32c(raw, 0, raw.length));
    }
  }

  @Test
  void encodesAndDecodesEveryField() {
    HeapRegion r = new HeapRegion(16L << 20);
    Superblock sb = new Superblock();
    sb.regionSize = r.size();
    sb.blockCount = r.size() / 4096;
    sb.features = Superblock.FEATURE_DATA_CHECKSUMS;
    sb.uuid = java.util.UUID.randomUUID();
    sb.created = 11;
    sb.inodeTableBlock = Layout.FIRST_INODE_CHUNK;
    sb.journalBlock = Layout.JOURNAL_BLOCK;
    sb.journalLanes = Journal.LANES;
    sb.state = Superblock.STATE_MOUNTED;
    sb.mountCount = 7;
    sb.lastMount = 12;
    sb.lastUnmount = 13;
    sb.checkpointBlock = 100;
    sb.checkpointBlocks = 2;
    sb.checkpointCrc = 0x1234;
    sb.reserveBlocks = 64;
    sb.store(r);
    Superblock back = Superblock.load(r);
    assertEquals(sb.uuid, back.uuid);
    assertEquals(7, back.mountCount);
    assertEquals(12, back.lastMount);
    assertEquals(13, back.lastUnmount);
    assertEquals(100, back.checkpointBlock);
    assertEquals(2, back.checkpointBlocks);
    assertEquals(0x1234, back.checkpointCrc);
    assertEquals(64, back.reserveBlocks);
    assertEquals(Superblock.STATE_MOUNTED, back.state);
    assertTrue(back.dataChecksums());
    assertFalse(back.fromBackup);
    assertArrayEquals(sb.encode(), back.encode());
  }

  @Test
  void badMagicIsRefusedNamingTheStructureAndOffset() {
    HeapRegion r = withFile();
    damageBoth(r, 0, (byte) 0x01);
    CorruptionException e = assertThrows(CorruptionException.class, () -> mount(r));
    assertEquals(Errno.EIO, e.errno());
    assertEquals("primary superblock", e.structure());
    assertEquals(0, e.offset());
    assertTrue(e.getMessage().contains("primary superblock at region offset 0"), e.getMessage());
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void anUnformattedRegionIsRefusedAsNotDaxfs() {
    CorruptionException e = assertThrows(CorruptionException.class,
        () -> mount(new HeapRegion(16L << 20)));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void unknownVersionIsRefusedEvenWithAValidChecksum() {
    HeapRegion r = withFile();
    setIntWithValidCrc(r, 8, Superblock.FORMAT_VERSION + 1);
    CorruptionException e = assertThrows(CorruptionException.class, () -> mount(r));
    assertTrue(e.getMessage().contains("superblock at region offset 0"), e.getMessage());
    assertTrue(e.getMessage().contains("version " + (Superblock.FORMAT_VERSION + 1)),
        e.getMessage());
  }

  @Test
  void badChecksumIsRefused() {
    HeapRegion r = withFile();
    damageBoth(r, 104, (byte) 0x40); // mount count: plausible value, wrong checksum
    CorruptionException e = assertThrows(CorruptionException.class, () -> mount(r));
    assertTrue(e.getMessage().contains("primary superblock at region offset 0"), e.getMessage());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void theBackupIsUsedWhenThePrimaryIsDamagedAndThePrimaryIsRepaired() {
    HeapRegion r = withFile();
    r.fill(PRIMARY, 256, (byte) 0x5a);
    DaxFs fs = mount(r);
    assertTrue(fs.mountReport().usedBackupSuperblock());
    assertArrayEquals(utf8("kept"), content(fs, fs.resolve(ROOT, "/f", true).ino()));
    // The mount rewrote both copies: the primary alone now suffices.
    r.fill(BACKUP, 256, (byte) 0);
    Superblock sb = Superblock.load(r);
    assertFalse(sb.fromBackup);
    fs.unmount();
  }

  @Test
  void aDamagedBackupAloneDoesNotMatter() {
    HeapRegion r = withFile();
    r.fill(BACKUP, 256, (byte) 0x77);
    DaxFs fs = mount(r);
    assertFalse(fs.mountReport().usedBackupSuperblock());
    assertTrue(fs.mountReport().clean());
  }

  @Test
  void aRegionOfAnotherSizeIsRefused() {
    HeapRegion r = withFile();
    HeapRegion bigger = new HeapRegion(r.size() + 4096);
    byte[] all = new byte[(int) r.size()];
    r.load(0, all, 0, all.length);
    bigger.store(0, all, 0, all.length);
    CorruptionException e = assertThrows(CorruptionException.class, () -> mount(bigger));
    assertTrue(e.getMessage().contains("region"), e.getMessage());
  }

  @Test
  void mkfsRefusesRegionsItCannotFormat() {
    assertErrno(Errno.EINVAL, () -> DaxFs.mkfs(new HeapRegion((16L << 20) - 4096),
        MkfsOptions.defaults()));
    assertErrno(Errno.EINVAL, () -> DaxFs.mkfs(new HeapRegion((16L << 20) + 100),
        MkfsOptions.defaults()));
  }

  @Test
  void mkfsReplacesAnOldFilesystem() {
    HeapRegion r = withFile();
    DaxFs.mkfs(r, MkfsOptions.defaults());
    DaxFs fs = mount(r);
    assertErrno(Errno.ENOENT, () -> fs.resolve(ROOT, "/f", true));
    assertEquals(2, fs.readdir(ROOT, fs.rootIno(), 0, 100).size());
  }

  @Test
  void mkfsOptionsReachTheRoot() {
    HeapRegion r = new HeapRegion(16L << 20);
    DaxFs.mkfs(r, MkfsOptions.defaults().rootOwner(1000, 1001).rootMode(01777));
    DaxFs fs = mount(r);
    Attr a = fs.getattr(fs.rootIno());
    assertEquals(1000, a.uid());
    assertEquals(1001, a.gid());
    assertEquals(Mode.S_IFDIR | 01777, a.mode());
    assertEquals(2, a.nlink());
  }
}
