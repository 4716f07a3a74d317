package dev.daxfs.tools.mount;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Attr;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inodes the kernel holds: how many lookups it has not yet forgotten, and a hold that keeps
 * each such inode (and so its number) alive in daxfs until the last forget.
 *
 * <p>Why the hold: the kernel names inodes by number and may use one after its last name is
 * gone and its last file is closed (a process whose working directory was removed, an O_PATH
 * descriptor) until it forgets it. daxfs frees an inode with no name and no open handle at once
 * and may hand its number to the next create; the kernel would then apply requests meant for
 * the dead inode to the new one. The hold is a read-only handle opened with root's credentials:
 * daxfs treats a nameless inode with an open handle as an orphan and frees it when the handle is
 * released, which is exactly the lifetime the kernel needs.
 *
 * <p>Taking the hold after a lookup leaves a window in which the inode found may be freed and its
 * number reused; {@link #reference} closes it by comparing the held inode's generation with the
 * one the lookup saw, and the caller looks again on a mismatch.
 */
final class KernelInodes {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.mount");

  /** One inode the kernel references. */
  private static final class Ref {
    /** The generation of the inode held: the one the kernel was told about. */
    final int generation;
    /** Keeps the inode and its number alive; released at the last forget. */
    final FileHandle hold;
    /** Lookups not yet forgotten. Guarded by the map's per-key lock (compute). */
    long count;

    Ref(int generation, FileHandle hold) {
      this.generation = generation;
      this.hold = hold;
    }
  }

  /** The filesystem served. */
  private final DaxFs fs;

  /**
   * Referenced inodes by number; every change to an entry goes through compute, so the count
   * and the hold change atomically per inode.
   */
  private final ConcurrentHashMap<Long, Ref> refs = new ConcurrentHashMap<>();

  KernelInodes(DaxFs fs) {
    this.fs = fs;
  }

  /**
   * Counts one kernel reference to the inode described by {@code attr}, holding it if it was not
   * held yet. Returns false when that inode no longer exists (it was removed and freed after
   * {@code attr} was read): the caller must not hand {@code attr} to the kernel.
   *
   * @throws ErrnoException when the inode exists but cannot be held (EIO for a damaged one)
   */
  boolean reference(Attr attr) {
    long ino = attr.ino();
    if (ino == fs.rootIno()) {
      // The kernel holds the root for the whole mount and never forgets it.
      return true;
    }
    Ref r = refs.compute(ino, (k, cur) -> {
      if (cur != null) {
        if (cur.generation != attr.generation()) {
          // The held inode is a newer one with the same number: attr is stale.
          return cur;
        }
        cur.count++;
        return cur;
      }
      FileHandle hold;
      try {
        hold = fs.open(Cred.root(), ino, FileHandle.O_RDONLY);
      } catch (ErrnoException e) {
        if (e.errno() == Errno.ENOENT || e.errno() == Errno.ESTALE) {
          return null;
        }
        // Damage or the like: the caller reports it (the map is left unchanged).
        throw e;
      }
      int held;
      try {
        held = fs.getattr(ino).generation();
      } catch (ErrnoException e) {
        held = ~attr.generation();
      }
      if (held != attr.generation()) {
        fs.release(hold);
        return null;
      }
      Ref fresh = new Ref(attr.generation(), hold);
      fresh.count = 1;
      return fresh;
    });
    return r != null && r.generation == attr.generation();
  }

  /** Gives back {@code n} references, as the kernel's forget does. */
  void forget(long ino, long n) {
    FileHandle[] released = new FileHandle[1];
    refs.computeIfPresent(ino, (k, r) -> {
      r.count -= n;
      if (r.count > 0) {
        return r;
      }
      if (r.count < 0) {
        LOG.log(Level.WARNING, "the kernel forgot inode " + ino + " " + (-r.count)
            + " more times than it looked it up");
      }
      released[0] = r.hold;
      return null;
    });
    if (released[0] != null) {
      release(released[0]);
    }
  }

  /** Inodes the kernel currently references (the root excluded). */
  int size() {
    return refs.size();
  }

  /** Drops every reference: the kernel connection is gone. */
  void releaseAll() {
    List<FileHandle> holds = new ArrayList<>();
    for (Long ino : List.copyOf(refs.keySet())) {
      Ref r = refs.remove(ino);
      if (r != null) {
        holds.add(r.hold);
      }
    }
    holds.forEach(this::release);
  }

  private void release(FileHandle hold) {
    try {
      fs.release(hold);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "releasing the hold on inode " + hold.ino() + " failed", e);
    }
  }
}
