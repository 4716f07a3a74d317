package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Directory operations: lookup, create (files, directories, nodes, symlinks), link, unlink,
 * rmdir, rename and readdir. Every change is durable and atomic when the call returns.
 *
 * <p>Lock order: {@link Volume#renameLock} (cross-directory renames only), then inode locks in
 * ascending inode number ({@link Locks}), then the journal lane, allocator group and inode
 * table locks, which are leaves. A name looked up before the locks are taken is looked up again
 * under them; if it changed in between, the operation starts over.
 */
final class Namespace {

  /** Most links a file may have (EMLINK beyond), as ext4. */
  static final int LINK_MAX = 65000;

  /** Linux rename(2) flags. */
  static final int RENAME_NOREPLACE = 1;

  static final int RENAME_EXCHANGE = 2;
  static final int RENAME_WHITEOUT = 4;

  /** Longest symlink target in bytes: PATH_MAX less its NUL, as Linux. */
  static final int SYMLINK_MAX = 4095;

  /** The filesystem. */
  private final Volume vol;

  /** Frees inodes whose last name and last user are gone. */
  private final Eviction eviction;

  Namespace(Volume vol, Eviction eviction) {
    this.vol = vol;
    this.eviction = eviction;
  }

  /** A directory inode, or ENOTDIR. */
  Inode directory(long ino) {
    Inode d = vol.cache.get(ino);
    if (!d.isDir()) {
      throw new ErrnoException(Errno.ENOTDIR, "inode " + ino + " is not a directory");
    }
    return d;
  }

  /**
   * Looks {@code name} up in directory {@code dirIno}; "." and ".." are answered from the
   * directory itself.
   */
  Inode lookup(Cred cred, long dirIno, Name name) {
    Inode dir = directory(dirIno);
    long child;
    dir.lock.readLock().lock();
    try {
      Permissions.check(cred, dir, Permissions.X, "search permission denied on directory "
          + dirIno);
      if (name.isDotOrDotDot()) {
        child = name.length() == 1 ? dir.ino : dir.parent;
      } else {
        Directory.Dentry d = dir.dir.get(name);
        if (d == null) {
          throw new ErrnoException(Errno.ENOENT, name + " not found in directory " + dirIno);
        }
        child = d.ino();
      }
    } finally {
      dir.lock.readLock().unlock();
    }
    return vol.cache.get(child);
  }

  /** The inode a name currently refers to, read under the directory's lock; null if none. */
  private Inode peekChild(Inode dir, Name name) {
    dir.lock.readLock().lock();
    Directory.Dentry d;
    try {
      d = dir.dir.get(name);
    } finally {
      dir.lock.readLock().unlock();
    }
    return d == null ? null : vol.cache.get(d.ino());
  }

  private static void checkAlive(Inode dir) {
    if (dir.links == 0 || dir.evicted) {
      throw new ErrnoException(Errno.ENOENT, "directory " + dir.ino + " has been removed");
    }
  }

  private static void checkName(Name name) {
    if (name.isDotOrDotDot()) {
      throw new ErrnoException(Errno.EEXIST, "\"" + name + "\" always exists");
    }
  }

  /**
   * Creates a file of any type in directory {@code dirIno}.
   *
   * @param mode type and permission bits (the caller applied its umask)
   * @param rdev device number for character and block nodes
   * @param target symlink target bytes, or null
   */
  Inode create(Cred cred, long dirIno, Name name, int mode, long rdev, byte[] target) {
    int type = mode & Mode.S_IFMT;
    if (!Mode.isKnownType(type)) {
      throw new ErrnoException(Errno.EINVAL, "unknown file type in mode 0"
          + Integer.toOctalString(mode));
    }
    if ((type == Mode.S_IFCHR || type == Mode.S_IFBLK) && !cred.has(Cred.Cap.MKNOD)) {
      throw new ErrnoException(Errno.EPERM, "creating a device node needs CAP_MKNOD");
    }
    if (target != null && (target.length == 0 || target.length > SYMLINK_MAX)) {
      throw new ErrnoException(target.length == 0 ? Errno.ENOENT : Errno.ENAMETOOLONG,
          "symlink target of " + target.length + " bytes");
    }
    checkName(name);
    Inode dir = directory(dirIno);
    dir.lock.writeLock().lock();
    try {
      checkAlive(dir);
      Permissions.check(cred, dir, Permissions.W | Permissions.X,
          "write permission denied on directory " + dirIno);
      if (dir.dir.get(name) != null) {
        throw new ErrnoException(Errno.EEXIST, name + " exists");
      }
      if (type == Mode.S_IFDIR && dir.nlink() >= LINK_MAX) {
        throw new ErrnoException(Errno.EMLINK, "directory " + dirIno + " has too many links");
      }
      int perms = mode & Mode.PERMISSIONS;
      int gid = cred.gid();
      if ((dir.mode & Mode.S_ISGID) != 0) {
        gid = dir.gid;
        if (type == Mode.S_IFDIR) {
          perms |= Mode.S_ISGID;
        } else if ((perms & (Mode.S_ISGID | 0010)) == (Mode.S_ISGID | 0010)
            && !cred.inGroup(gid) && !cred.has(Cred.Cap.FSETID)) {
          perms &= ~Mode.S_ISGID;
        }
      }
      long now = vol.now();
      return newInode(dir, name, type | perms, cred.uid(), gid, rdev, target, now);
    } finally {
      dir.lock.writeLock().unlock();
    }
  }

  /** Makes the inode and its name in one journal transaction; dir is write-locked. */
  private Inode newInode(Inode dir, Name name, int mode, int uid, int gid, long rdev,
      byte[] target, long now) {
    int type = mode & Mode.S_IFMT;
    long ino = vol.inodes.reserve(vol.allocator);
    InodeLog log = null;
    Inode in = null;
    Txn txn = new Txn(vol, false);
    try {
      log = InodeLog.create(vol.region, vol.allocator, ino, 0, false);
      long parent = type == Mode.S_IFDIR ? dir.ino : 0;
      ByteBuffer init = Entries.init(mode, uid, gid, 1, rdev, now, now, now, parent,
          target == null ? 0 : target.length);
      long at = log.append(init, vol.allocator, false, !vol.switches.skipEntryFlush);
      java.util.List<ByteBuffer> pieces = new java.util.ArrayList<>();
      for (int off = 0; target != null && off < target.length; off += Entries.TARGET_PIECE) {
        ByteBuffer piece = Entries.target(target, off,
            Math.min(Entries.TARGET_PIECE, target.length - off));
        log.append(piece, vol.allocator, false, !vol.switches.skipEntryFlush);
        pieces.add(piece);
      }
      vol.region.fence();
      int generation = vol.inodes.generation(ino) + 1;
      vol.inodes.prepare(ino, generation, type, log.headBlock(), log.pendingTail());
      log.committed();

      in = new Inode(ino, generation, type, vol.dataChecksums());
      in.log = log;
      ByteBuffer p = ByteBuffer.wrap(init.array()).order(ByteOrder.LITTLE_ENDIAN);
      p.position(LogEntry.HEADER);
      in.apply(LogEntry.INIT, p, at, vol.blockCount(), Inode.Freed.NONE);
      for (ByteBuffer piece : pieces) {
        ByteBuffer q = ByteBuffer.wrap(piece.array()).order(ByteOrder.LITTLE_ENDIAN);
        q.position(LogEntry.HEADER);
        in.apply(LogEntry.TARGET, q, at, vol.blockCount(), Inode.Freed.NONE);
      }

      txn.append(dir, Entries.dentryAdd(name, ino, mode, dir.dir.reserveCookie(), now));
      txn.word(vol.inodes.slotOffset(ino) + InodeTable.VALID, InodeTable.validWord(ino, true));
      // In the cache before the slot turns valid: a thread holding a stale number (of an
      // inode this one replaces) must find this object, never load a second copy from media.
      vol.cache.put(in);
      txn.commit();
      return in;
    } catch (RuntimeException e) {
      if (in != null) {
        vol.cache.remove(ino, in);
      }
      txn.abort();
      if (log != null) {
        log.freePages(vol.allocator);
      }
      vol.inodes.release(ino);
      throw e;
    }
  }

  /** Adds a name for the non-directory {@code ino} in {@code dirIno}. */
  Inode link(Cred cred, long ino, long dirIno, Name name) {
    checkName(name);
    Inode target = vol.cache.get(ino);
    if (target.isDir()) {
      throw new ErrnoException(Errno.EPERM, "hard links to directories are not allowed");
    }
    Inode dir = directory(dirIno);
    Inode[] locked = Locks.lockAll(dir, target);
    try {
      checkAlive(dir);
      Permissions.check(cred, dir, Permissions.W | Permissions.X,
          "write permission denied on directory " + dirIno);
      if (dir.dir.get(name) != null) {
        throw new ErrnoException(Errno.EEXIST, name + " exists");
      }
      if (target.links == 0 || target.evicted) {
        throw new ErrnoException(Errno.ENOENT, "inode " + ino + " has no links left");
      }
      if (target.links >= LINK_MAX) {
        throw new ErrnoException(Errno.EMLINK, "inode " + ino + " has " + target.links
            + " links");
      }
      long now = vol.now();
      Txn txn = new Txn(vol, false);
      try {
        txn.append(target, Entries.link(target.links + 1, now));
        txn.append(dir, Entries.dentryAdd(name, ino, target.mode, dir.dir.reserveCookie(), now));
        txn.commit();
      } catch (RuntimeException e) {
        txn.abort();
        throw e;
      }
      return target;
    } finally {
      Locks.unlock(locked);
    }
  }

  /** Removes the non-directory {@code name} from {@code dirIno}. */
  void unlink(Cred cred, long dirIno, Name name) {
    remove(cred, dirIno, name, false);
  }

  /** Removes the empty directory {@code name} from {@code dirIno}. */
  void rmdir(Cred cred, long dirIno, Name name) {
    if (name.isDotOrDotDot()) {
      throw new ErrnoException(name.length() == 1 ? Errno.EINVAL : Errno.ENOTEMPTY,
          "cannot remove \"" + name + "\"");
    }
    remove(cred, dirIno, name, true);
  }

  private void remove(Cred cred, long dirIno, Name name, boolean wantDir) {
    if (name.isDotOrDotDot()) {
      throw new ErrnoException(Errno.EISDIR, "\"" + name + "\" is a directory");
    }
    Inode dir = directory(dirIno);
    while (true) {
      Inode child = peekChild(dir, name);
      if (child == null) {
        throw new ErrnoException(Errno.ENOENT, name + " not found in directory " + dirIno);
      }
      Inode[] locked = Locks.lockAll(dir, child);
      try {
        checkAlive(dir);
        Directory.Dentry d = dir.dir.get(name);
        if (d == null || d.ino() != child.ino || child.evicted) {
          // Removed, or removed and its number reused, while this thread waited for the locks.
          continue;
        }
        Permissions.check(cred, dir, Permissions.W | Permissions.X,
            "write permission denied on directory " + dirIno);
        Permissions.checkSticky(cred, dir, child);
        if (wantDir && !child.isDir()) {
          throw new ErrnoException(Errno.ENOTDIR, name + " is not a directory");
        }
        if (!wantDir && child.isDir()) {
          throw new ErrnoException(Errno.EISDIR, name + " is a directory");
        }
        if (wantDir && !child.dir.isEmpty()) {
          throw new ErrnoException(Errno.ENOTEMPTY, "directory " + name + " is not empty");
        }
        long now = vol.now();
        if (vol.switches.unlinkWrongOrder && !wantDir) {
          removeWrongOrder(dir, child, name, d, now);
          return;
        }
        Txn txn = new Txn(vol, true);
        try {
          txn.append(dir, Entries.dentryDel(name, d.cookie(), now));
          dropLink(txn, child, now);
          txn.commit();
        } catch (RuntimeException e) {
          txn.abort();
          throw e;
        }
        return;
      } finally {
        Locks.unlock(locked);
      }
    }
  }

  /**
   * Adds to {@code txn} the loss of one link of {@code child} (locked): the new link count, or,
   * for the last link, either freeing the inode or putting it on the orphan list.
   */
  void dropLink(Txn txn, Inode child, long now) {
    int left = child.isDir() ? 0 : child.links - 1;
    if (left > 0) {
      txn.append(child, Entries.link(left, now));
      return;
    }
    if (child.openCount > 0 || !eviction.canFreeNow(child)) {
      txn.append(child, Entries.link(0, now));
      txn.word(vol.inodes.slotOffset(child.ino) + InodeTable.ORPHAN,
          InodeTable.orphanWord(child.ino, true));
      txn.afterCommit(() -> eviction.orphaned(child));
    } else {
      eviction.freeIn(txn, child);
    }
  }

  /** The deliberate bug: link count dropped and committed before the name goes. */
  private void removeWrongOrder(Inode dir, Inode child, Name name, Directory.Dentry d,
      long now) {
    Txn first = new Txn(vol, true);
    dropLink(first, child, now);
    first.commit();
    Txn second = new Txn(vol, true);
    second.append(dir, Entries.dentryDel(name, d.cookie(), now));
    second.commit();
  }

  /** rename(2) with RENAME_NOREPLACE and RENAME_EXCHANGE. */
  void rename(Cred cred, long oldDirIno, Name oldName, long newDirIno, Name newName,
      int flags) {
    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0
        || (flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
      throw new ErrnoException(Errno.EINVAL, "invalid rename flags " + flags);
    }
    if ((flags & RENAME_WHITEOUT) != 0) {
      throw new ErrnoException(Errno.EINVAL, "RENAME_WHITEOUT is not supported");
    }
    if (oldName.isDotOrDotDot() || newName.isDotOrDotDot()) {
      throw new ErrnoException(Errno.EBUSY, "cannot rename \".\" or \"..\"");
    }
    Inode oldDir = directory(oldDirIno);
    Inode newDir = directory(newDirIno);
    boolean cross = oldDirIno != newDirIno;
    boolean serialized = cross && !vol.switches.skipRenameLock;
    if (serialized) {
      vol.renameLock.lock();
    }
    try {
      while (true) {
        Inode src = peekChild(oldDir, oldName);
        if (src == null) {
          throw new ErrnoException(Errno.ENOENT, oldName + " not found in directory "
              + oldDirIno);
        }
        Inode dst = peekChild(newDir, newName);
        // The checks before any permission check, in the order Linux's do_renameat2 makes them.
        if ((flags & RENAME_NOREPLACE) != 0 && dst != null) {
          throw new ErrnoException(Errno.EEXIST, newName + " exists");
        }
        if ((flags & RENAME_EXCHANGE) != 0 && dst == null) {
          throw new ErrnoException(Errno.ENOENT, newName + " not found for exchange");
        }
        if (cross) {
          // The tree is stable under the rename lock, so these cannot go stale.
          if (src.isDir() && isAncestor(src.ino, newDir.ino)) {
            throw new ErrnoException(Errno.EINVAL, "cannot move a directory into itself");
          }
          if (dst != null && dst.isDir() && isAncestor(dst.ino, oldDir.ino)) {
            throw new ErrnoException((flags & RENAME_EXCHANGE) != 0 ? Errno.EINVAL
                : Errno.ENOTEMPTY, newName + " is an ancestor of " + oldName);
          }
        }
        Inode[] locked = Locks.lockAll(oldDir, newDir, src, dst);
        try {
          Directory.Dentry sd = oldDir.dir.get(oldName);
          Directory.Dentry dd = newDir.dir.get(newName);
          if (sd == null || sd.ino() != src.ino || src.evicted || (dst == null) != (dd == null)
              || (dd != null && (dd.ino() != dst.ino || dst.evicted))) {
            continue;
          }
          renameLocked(cred, oldDir, oldName, sd, src, newDir, newName, dd, dst, flags);
          return;
        } finally {
          Locks.unlock(locked);
        }
      }
    } finally {
      if (serialized) {
        vol.renameLock.unlock();
      }
    }
  }

  /** True when {@code ancestor} is {@code ino} or one of its ancestors. */
  private boolean isAncestor(long ancestor, long ino) {
    long cur = ino;
    for (int depth = 0; depth < 1 << 20; depth++) {
      if (cur == ancestor) {
        return true;
      }
      if (cur == InodeTable.ROOT_INO || cur == 0) {
        return false;
      }
      Inode in = vol.cache.get(cur);
      in.lock.readLock().lock();
      try {
        cur = in.parent;
      } finally {
        in.lock.readLock().unlock();
      }
    }
    throw new ErrnoException(Errno.EIO, "directory tree too deep or cyclic at inode " + ino);
  }

  private void renameLocked(Cred cred, Inode oldDir, Name oldName, Directory.Dentry sd,
      Inode src, Inode newDir, Name newName, Directory.Dentry dd, Inode dst, int flags) {
    boolean exchange = (flags & RENAME_EXCHANGE) != 0;
    if (dst == src) {
      return; // two names of one inode: POSIX says do nothing
    }
    checkAlive(oldDir);
    checkAlive(newDir);
    Permissions.check(cred, oldDir, Permissions.W | Permissions.X,
        "write permission denied on directory " + oldDir.ino);
    Permissions.check(cred, newDir, Permissions.W | Permissions.X,
        "write permission denied on directory " + newDir.ino);
    Permissions.checkSticky(cred, oldDir, src);
    if (dst != null) {
      Permissions.checkSticky(cred, newDir, dst);
    }
    boolean moveAcross = oldDir != newDir;
    if (moveAcross) {
      // Moving a directory rewrites its "..": the caller must be allowed to write it; an
      // exchange moves both.
      if (src.isDir()) {
        Permissions.check(cred, src, Permissions.W, "cannot move directory " + oldName
            + " without write permission on it");
      }
      if (exchange && dst.isDir()) {
        Permissions.check(cred, dst, Permissions.W, "cannot move directory " + newName
            + " without write permission on it");
      }
    }
    if (!exchange && dst != null) {
      if (src.isDir() && !dst.isDir()) {
        throw new ErrnoException(Errno.ENOTDIR, newName + " is not a directory");
      }
      if (!src.isDir() && dst.isDir()) {
        throw new ErrnoException(Errno.EISDIR, newName + " is a directory");
      }
      if (dst.isDir() && !dst.dir.isEmpty()) {
        throw new ErrnoException(Errno.ENOTEMPTY, "directory " + newName + " is not empty");
      }
    }
    if (!exchange && src.isDir() && moveAcross && dst == null && newDir.nlink() >= LINK_MAX) {
      throw new ErrnoException(Errno.EMLINK, "directory " + newDir.ino + " has too many links");
    }
    long now = vol.now();
    if (vol.switches.skipJournal || vol.switches.renameInPlace) {
      renameUnsafely(oldDir, oldName, sd, src, newDir, newName, dd, dst, exchange, now);
      return;
    }
    Txn txn = new Txn(vol, true);
    try {
      txn.append(oldDir, Entries.dentryDel(oldName, sd.cookie(), now));
      if (dd != null) {
        txn.append(newDir, Entries.dentryDel(newName, dd.cookie(), now));
      }
      long srcCookie = newDir == oldDir ? oldDir.dir.reserveCookie() : newDir.dir.reserveCookie();
      txn.append(newDir, Entries.dentryAdd(newName, src.ino, src.mode, srcCookie, now));
      if (exchange) {
        long dstCookie = oldDir == newDir ? srcCookie + 1 : oldDir.dir.reserveCookie();
        txn.append(oldDir, Entries.dentryAdd(oldName, dst.ino, dst.mode, dstCookie, now));
        if (moveAcross && dst.isDir()) {
          txn.append(dst, Entries.parent(oldDir.ino, now));
        } else {
          txn.append(dst, Entries.setattr(LogEntry.ATTR_CTIME, 0, 0, 0, 0, 0, now, 0));
        }
      } else if (dst != null) {
        dropLink(txn, dst, now);
      }
      if (moveAcross && src.isDir()) {
        txn.append(src, Entries.parent(newDir.ino, now));
      } else {
        txn.append(src, Entries.setattr(LogEntry.ATTR_CTIME, 0, 0, 0, 0, 0, now, 0));
      }
      txn.commit();
    } catch (RuntimeException e) {
      txn.abort();
      throw e;
    }
  }

  /**
   * The deliberate bugs: each directory changed by its own commit, the new name first, so a
   * crash in between leaves two names for one inode or, for exchange, a lost one.
   */
  private void renameUnsafely(Inode oldDir, Name oldName, Directory.Dentry sd, Inode src,
      Inode newDir, Name newName, Directory.Dentry dd, Inode dst, boolean exchange, long now) {
    if (vol.switches.renameInPlace && oldDir == newDir && dd == null
        && oldName.length() == newName.length()) {
      renameInPlace(oldDir, oldName, sd, newName);
      return;
    }
    Txn a = new Txn(vol, true);
    if (dd != null) {
      a.append(newDir, Entries.dentryDel(newName, dd.cookie(), now));
    }
    a.append(newDir, Entries.dentryAdd(newName, src.ino, src.mode, newDir.dir.reserveCookie(),
        now));
    a.commit();
    Txn b = new Txn(vol, true);
    b.append(oldDir, Entries.dentryDel(oldName, sd.cookie(), now));
    if (exchange) {
      b.append(oldDir, Entries.dentryAdd(oldName, dst.ino, dst.mode, oldDir.dir.reserveCookie(),
          now));
    }
    b.commit();
    if (src.isDir() && oldDir != newDir) {
      Txn c = new Txn(vol, true);
      c.append(src, Entries.parent(newDir.ino, now));
      c.commit();
    }
    if (exchange && dst.isDir() && oldDir != newDir) {
      Txn c = new Txn(vol, true);
      c.append(dst, Entries.parent(oldDir.ino, now));
      c.commit();
    }
    if (!exchange && dst != null) {
      Txn c = new Txn(vol, true);
      dropLink(c, dst, now);
      c.commit();
    }
  }

  /**
   * The deliberate bug: the name bytes of the entry that added {@code oldName} are rewritten
   * where they lie in the log, checksum after them; a crash between the stores tears the entry.
   */
  private void renameInPlace(Inode dir, Name oldName, Directory.Dentry d, Name newName) {
    LogLiveness.Ref ref = d.ref();
    byte[] raw = new byte[ref.length];
    vol.region.load(ref.offset, raw, 0, raw.length);
    byte[] name = newName.rawBytes();
    int nameAt = LogEntry.HEADER + 32;
    System.arraycopy(name, 0, raw, nameAt, name.length);
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putInt(4, LogEntry.crc(raw));
    vol.region.store(ref.offset + nameAt, raw, nameAt, name.length);
    vol.region.persist(ref.offset + nameAt, name.length);
    vol.region.store(ref.offset + 4, raw, 4, 4);
    vol.region.persist(ref.offset + 4, 4);
    dir.dir.remove(oldName);
    dir.dir.add(newName, d.ino(), d.type(), d.cookie(), ref);
  }

  /**
   * Up to {@code max} entries of directory {@code dirIno} after cookie {@code after}: "." (1)
   * and ".." (2) first, then the stored entries in cookie order.
   */
  List<DirEntry> readdir(Cred cred, long dirIno, long after, int max) {
    Inode dir = directory(dirIno);
    List<DirEntry> out = new ArrayList<>();
    dir.lock.readLock().lock();
    try {
      Permissions.check(cred, dir, Permissions.R, "read permission denied on directory "
          + dirIno);
      if (after < 1 && out.size() < max) {
        out.add(new DirEntry(Name.trusted(new byte[] {'.'}), dir.ino, Mode.S_IFDIR >>> 12, 1));
      }
      if (after < 2 && out.size() < max) {
        out.add(new DirEntry(Name.trusted(new byte[] {'.', '.'}),
            dir.parent == 0 ? dir.ino : dir.parent, Mode.S_IFDIR >>> 12, 2));
      }
      for (Directory.Dentry d : dir.dir.after(Math.max(after, 2), max - out.size())) {
        out.add(new DirEntry(d.name(), d.ino(), Mode.direntType(d.type()), d.cookie()));
      }
    } finally {
      dir.lock.readLock().unlock();
    }
    return out;
  }
}
