package dev.daxfs.fs;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Operations on one inode that are not about its data or its names: attributes, access
 * checks, open and release, readlink, and extended attributes.
 */
final class InodeOps {

  /** setxattr(2) flags. */
  static final int XATTR_CREATE = 1;

  static final int XATTR_REPLACE = 2;

  /** The filesystem. */
  private final Volume vol;

  /** For truncates that arrive as setattr. */
  private final FileIo io;

  /** For the last release of an unlinked inode. */
  private final Eviction eviction;

  InodeOps(Volume vol, FileIo io, Eviction eviction) {
    this.vol = vol;
    this.io = io;
    this.eviction = eviction;
  }

  static Attr attr(Inode in) {
    return new Attr(in.ino, in.generation, in.mode, in.nlink(), in.uid, in.gid, in.rdev,
        in.isDir() ? (long) Layout.BLOCK * (1 + in.dir.size() / 64) : in.size, in.statBlocks(),
        in.atime, in.mtime, in.ctime);
  }

  Attr getattr(long ino) {
    Inode in = vol.cache.get(ino);
    in.lock.readLock().lock();
    try {
      return attr(in);
    } finally {
      in.lock.readLock().unlock();
    }
  }

  /** access(2): {@code mask} of R_OK (4), W_OK (2), X_OK (1); 0 checks existence. */
  void access(Cred cred, long ino, int mask) {
    Inode in = vol.cache.get(ino);
    in.lock.readLock().lock();
    try {
      if (mask != 0) {
        Permissions.check(cred, in, mask & 7, "access denied to inode " + ino);
      }
    } finally {
      in.lock.readLock().unlock();
    }
  }

  /** setattr with Linux's ownership and permission rules; returns the new attributes. */
  Attr setattr(Cred cred, long ino, SetAttr sa) {
    Inode in = vol.cache.get(ino);
    if (sa.size == null) {
      return setattrLocked(cred, in, sa);
    }
    in.io.writeLock().lock();
    try {
      // Refuse before a layout break waits for DMA on behalf of a caller who may not truncate.
      in.lock.readLock().lock();
      try {
        FileIo.checkSize(in, sa.size);
        checkTruncateAllowed(cred, in, sa);
      } finally {
        in.lock.readLock().unlock();
      }
      try (Layouts.Held held = io.prepareSize(in, sa.size)) {
        return setattrLocked(cred, in, sa);
      }
    } finally {
      in.io.writeLock().unlock();
    }
  }

  private static void checkTruncateAllowed(Cred cred, Inode in, SetAttr sa) {
    if (sa.handle == null) {
      Permissions.check(cred, in, Permissions.W, "write permission denied on inode " + in.ino);
    } else if (!sa.handle.writable()) {
      throw new ErrnoException(Errno.EBADF, "file is not open for writing");
    }
  }

  /** The body of setattr; a size change's locks and layout break are already held. */
  private Attr setattrLocked(Cred cred, Inode in, SetAttr sa) {
    long ino = in.ino;
    in.lock.writeLock().lock();
    try {
      if (in.evicted) {
        throw new ErrnoException(Errno.ESTALE, "inode " + ino + " was freed");
      }
      long now = vol.now();
      int mask = 0;
      int mode = in.mode;
      int uid = in.uid;
      int gid = in.gid;
      long atime = in.atime;
      long mtime = in.mtime;
      boolean owner = Permissions.ownerOrFowner(cred, in);

      // chown_ok and chgrp_ok: only CAP_CHOWN changes the owner (the owner may "change" it to
      // itself); the owner may set the group to one of its groups or leave it as it is.
      if (sa.uid != null) {
        if (!(cred.uid() == in.uid && sa.uid == in.uid) && !cred.has(Cred.Cap.CHOWN)) {
          throw new ErrnoException(Errno.EPERM, "changing the owner needs CAP_CHOWN");
        }
        if (sa.uid != in.uid) {
          uid = sa.uid;
          mask |= LogEntry.ATTR_UID;
        }
      }
      if (sa.gid != null) {
        boolean mayChgrp = cred.has(Cred.Cap.CHOWN)
            || (cred.uid() == in.uid && (cred.inGroup(sa.gid) || sa.gid == in.gid));
        if (!mayChgrp) {
          throw new ErrnoException(Errno.EPERM, "the owner may only change the group to one "
              + "of its own groups");
        }
        if (sa.gid != in.gid) {
          gid = sa.gid;
          mask |= LogEntry.ATTR_GID;
        }
      }
      if ((sa.uid != null || sa.gid != null) && !in.isDir()) {
        // chown clears set-user-ID, and set-group-ID with group-execute, even for root.
        int killed = Permissions.killSuid(mode);
        if (killed != mode) {
          mode = killed;
          mask |= LogEntry.ATTR_MODE;
        }
      }
      if (sa.mode != null) {
        if (!owner) {
          throw new ErrnoException(Errno.EPERM, "only the owner may change the mode");
        }
        int m = sa.mode & Mode.PERMISSIONS;
        if ((m & Mode.S_ISGID) != 0 && !cred.inGroup(gid) && !cred.has(Cred.Cap.FSETID)) {
          m &= ~Mode.S_ISGID;
        }
        mode = in.type | m;
        mask |= LogEntry.ATTR_MODE;
      }
      if (sa.atime != null || sa.mtime != null) {
        boolean toNow = (sa.atime == null || sa.atime == SetAttr.NOW)
            && (sa.mtime == null || sa.mtime == SetAttr.NOW);
        if (!owner && !(toNow && Permissions.allowed(cred, in, Permissions.W))) {
          throw new ErrnoException(toNow ? Errno.EACCES : Errno.EPERM,
              "only the owner may set explicit times");
        }
        if (sa.atime != null) {
          atime = sa.atime == SetAttr.NOW ? now : sa.atime;
          mask |= LogEntry.ATTR_ATIME;
        }
        if (sa.mtime != null) {
          mtime = sa.mtime == SetAttr.NOW ? now : sa.mtime;
          mask |= LogEntry.ATTR_MTIME;
        }
      }
      Txn txn = new Txn(vol, sa.size != null && sa.size < in.size);
      try {
        if (sa.size != null) {
          checkTruncateAllowed(cred, in, sa);
          io.truncate(txn, in, sa.size, cred, now);
        }
        if (mask != 0 || sa.ctime != null || sa.isEmpty()) {
          long ctime = sa.ctime != null && sa.ctime != SetAttr.NOW ? sa.ctime : now;
          txn.append(in, Entries.setattr(mask | LogEntry.ATTR_CTIME, mode, uid, gid, atime,
              mtime, ctime, 0));
        }
        txn.commit();
      } catch (RuntimeException e) {
        txn.abort();
        throw e;
      }
      return attr(in);
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  /** open(2) of an existing inode: permission by access mode, O_TRUNC; returns a handle. */
  FileHandle open(Cred cred, long ino, int flags) {
    Inode in = vol.cache.get(ino);
    int acc = flags & FileHandle.O_ACCMODE;
    if (acc == 3) {
      throw new ErrnoException(Errno.EINVAL, "invalid access mode");
    }
    boolean truncate = (flags & FileHandle.O_TRUNC) != 0;
    FileHandle opened;
    in.lock.writeLock().lock();
    try {
      if (in.isDir() && acc != FileHandle.O_RDONLY) {
        throw new ErrnoException(Errno.EISDIR, "directories open read-only");
      }
      if ((flags & FileHandle.O_DIRECTORY) != 0 && !in.isDir()) {
        throw new ErrnoException(Errno.ENOTDIR, "inode " + ino + " is not a directory");
      }
      int need = (acc == FileHandle.O_RDONLY ? Permissions.R : 0)
          | (acc == FileHandle.O_WRONLY ? Permissions.W : 0)
          | (acc == FileHandle.O_RDWR ? Permissions.R | Permissions.W : 0);
      if ((flags & FileHandle.O_TRUNC) != 0 && acc == FileHandle.O_RDONLY) {
        need |= Permissions.W;
      }
      Permissions.check(cred, in, need, "permission denied opening inode " + ino);
      if ((flags & FileHandle.O_NOATIME) != 0 && !Permissions.ownerOrFowner(cred, in)) {
        throw new ErrnoException(Errno.EPERM, "O_NOATIME needs ownership");
      }
      if (in.evicted) {
        throw new ErrnoException(Errno.ENOENT, "inode " + ino + " was freed");
      }
      FileHandle h = new FileHandle(in, flags);
      in.openCount++;
      opened = h;
    } finally {
      in.lock.writeLock().unlock();
    }
    if (truncate && in.isRegular()) {
      try {
        truncateForOpen(cred, in);
      } catch (RuntimeException e) {
        release(opened);
        throw e;
      }
    }
    return opened;
  }

  /** O_TRUNC: the file becomes empty (write permission was checked by open). */
  private void truncateForOpen(Cred cred, Inode in) {
    in.io.writeLock().lock();
    try (Layouts.Held held = io.prepareSize(in, 0)) {
      in.lock.writeLock().lock();
      try {
        Txn txn = new Txn(vol, true);
        try {
          io.truncate(txn, in, 0, cred, vol.now());
          txn.commit();
        } catch (RuntimeException e) {
          txn.abort();
          throw e;
        }
      } finally {
        in.lock.writeLock().unlock();
      }
    } finally {
      in.io.writeLock().unlock();
    }
  }

  /** Closes a handle; the inode is freed if this was its last user and it has no name. */
  void release(FileHandle h) {
    if (!h.released.compareAndSet(false, true)) {
      throw new ErrnoException(Errno.EBADF, "handle already released");
    }
    dropUser(h.inode);
  }

  /** A CPU mapping keeps the file alive like an open handle (a vma's file reference). */
  void addUser(Inode in) {
    in.lock.writeLock().lock();
    try {
      if (in.evicted) {
        throw new ErrnoException(Errno.ESTALE, "inode " + in.ino + " was freed");
      }
      in.openCount++;
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  /** One handle or mapping of {@code in} went away. */
  void dropUser(Inode in) {
    boolean last;
    in.lock.writeLock().lock();
    try {
      in.openCount--;
      last = in.openCount == 0 && in.links == 0 && !in.evicted;
    } finally {
      in.lock.writeLock().unlock();
    }
    if (last) {
      eviction.released(in);
    }
  }

  byte[] readlink(long ino) {
    Inode in = vol.cache.get(ino);
    in.lock.readLock().lock();
    try {
      if (!in.isSymlink()) {
        throw new ErrnoException(Errno.EINVAL, "inode " + ino + " is not a symlink");
      }
      return in.target.clone();
    } finally {
      in.lock.readLock().unlock();
    }
  }

  // ---- extended attributes -----------------------------------------------------------------

  private static void checkXattrName(String name) {
    if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > Xattrs.MAX_NAME) {
      throw new ErrnoException(Errno.ERANGE, "extended attribute name of "
          + name.length() + " characters");
    }
    if (!(name.startsWith("user.") || name.startsWith("trusted.")
        || name.startsWith("security."))) {
      throw new ErrnoException(Errno.EOPNOTSUPP, "namespace of extended attribute " + name
          + " is not supported");
    }
    if (name.indexOf('.') == name.length() - 1) {
      throw new ErrnoException(Errno.EINVAL, "extended attribute name " + name
          + " is only a namespace prefix");
    }
  }

  /** Checks the namespace rules that depend on the inode and the caller (xattr_permission). */
  private static void checkXattrAccess(Cred cred, Inode in, String name, boolean write) {
    if (name.startsWith("trusted.") && !cred.has(Cred.Cap.SYS_ADMIN)) {
      throw new ErrnoException(write ? Errno.EPERM : Errno.ENODATA,
          "trusted.* attributes need CAP_SYS_ADMIN");
    }
    if (name.startsWith("user.")) {
      if (!in.isRegular() && !in.isDir()) {
        throw new ErrnoException(write ? Errno.EPERM : Errno.ENODATA,
            "user.* attributes exist only on regular files and directories");
      }
      if (write && in.isDir() && (in.mode & Mode.S_ISVTX) != 0
          && !Permissions.ownerOrFowner(cred, in)) {
        throw new ErrnoException(Errno.EPERM, "user.* attributes of a sticky directory belong "
            + "to its owner");
      }
      Permissions.check(cred, in, write ? Permissions.W : Permissions.R,
          "permission denied on the attributes of inode " + in.ino);
    }
    if (name.startsWith("security.") && write && !cred.has(Cred.Cap.SYS_ADMIN)) {
      throw new ErrnoException(Errno.EPERM, "security.* attributes need CAP_SYS_ADMIN");
    }
  }

  void setxattr(Cred cred, long ino, String name, byte[] value, int flags) {
    checkXattrName(name);
    if (value.length > Xattrs.MAX_VALUE_LINUX) {
      throw new ErrnoException(Errno.E2BIG, "extended attribute value of " + value.length
          + " bytes exceeds 65536");
    }
    if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0
        || flags == (XATTR_CREATE | XATTR_REPLACE)) {
      throw new ErrnoException(Errno.EINVAL, "invalid setxattr flags " + flags);
    }
    Inode in = vol.cache.get(ino);
    in.lock.writeLock().lock();
    try {
      checkXattrAccess(cred, in, name, true);
      boolean exists = in.xattrs.contains(name);
      if ((flags & XATTR_CREATE) != 0 && exists) {
        throw new ErrnoException(Errno.EEXIST, "extended attribute " + name + " exists");
      }
      if ((flags & XATTR_REPLACE) != 0 && !exists) {
        throw new ErrnoException(Errno.ENODATA, "no extended attribute " + name);
      }
      if (value.length > Xattrs.MAX_VALUE
          || in.xattrs.totalAfterSet(name, value.length) > Xattrs.MAX_TOTAL) {
        throw new ErrnoException(Errno.ENOSPC, "no room for a " + value.length
            + "-byte extended attribute on inode " + ino);
      }
      Txn txn = new Txn(vol, false);
      try {
        txn.append(in, Entries.xattrSet(name, value.clone(), vol.now()));
        txn.commit();
      } catch (RuntimeException e) {
        txn.abort();
        throw e;
      }
    } finally {
      in.lock.writeLock().unlock();
    }
  }

  byte[] getxattr(Cred cred, long ino, String name) {
    checkXattrName(name);
    Inode in = vol.cache.get(ino);
    in.lock.readLock().lock();
    try {
      checkXattrAccess(cred, in, name, false);
      byte[] v = in.xattrs.get(name);
      if (v == null) {
        throw new ErrnoException(Errno.ENODATA, "no extended attribute " + name);
      }
      return v.clone();
    } finally {
      in.lock.readLock().unlock();
    }
  }

  /** Names visible to {@code cred} (trusted.* only with CAP_SYS_ADMIN). */
  List<String> listxattr(Cred cred, long ino) {
    Inode in = vol.cache.get(ino);
    in.lock.readLock().lock();
    try {
      List<String> names = in.xattrs.names();
      if (!cred.has(Cred.Cap.SYS_ADMIN)) {
        names.removeIf(n -> n.startsWith("trusted."));
      }
      return names;
    } finally {
      in.lock.readLock().unlock();
    }
  }

  void removexattr(Cred cred, long ino, String name) {
    checkXattrName(name);
    Inode in = vol.cache.get(ino);
    in.lock.writeLock().lock();
    try {
      checkXattrAccess(cred, in, name, true);
      if (!in.xattrs.contains(name)) {
        throw new ErrnoException(Errno.ENODATA, "no extended attribute " + name);
      }
      Txn txn = new Txn(vol, true);
      try {
        txn.append(in, Entries.xattrDel(name, vol.now()));
        txn.commit();
      } catch (RuntimeException e) {
        txn.abort();
        throw e;
      }
    } finally {
      in.lock.writeLock().unlock();
    }
  }
}
