package dev.daxfs.tools.mount;

import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Attr;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.DirEntry;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.Name;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.fs.StatFs;
import dev.daxfs.tools.fuse.Created;
import dev.daxfs.tools.fuse.DirectoryFiller;
import dev.daxfs.tools.fuse.DirectoryPlusFiller;
import dev.daxfs.tools.fuse.FuseAttr;
import dev.daxfs.tools.fuse.FuseContext;
import dev.daxfs.tools.fuse.FuseEntry;
import dev.daxfs.tools.fuse.FuseException;
import dev.daxfs.tools.fuse.FuseFilesystem;
import dev.daxfs.tools.fuse.FuseStatfs;
import dev.daxfs.tools.fuse.LinuxFlags;
import dev.daxfs.tools.fuse.TimeUpdate;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * daxfs served through FUSE: every request of the kernel becomes the {@link DaxFs} call of the
 * same meaning, with the caller's credentials, and every daxfs errno reaches the caller as is.
 *
 * <p><b>Inode numbers</b> are daxfs's own (the root is 1 in both), so hard links are one kernel
 * inode. {@link KernelInodes} keeps every inode the kernel references alive until it is
 * forgotten, so a number is never reused under the kernel.
 *
 * <p><b>Caching.</b> Attributes, names and absent names are cached by the kernel for
 * {@link #TIMEOUT_SECONDS}, and file pages stay cached across opens. That is correct because
 * every change to the filesystem reaches it through this mount, where the kernel updates or drops
 * its own cache: the one exception, a device writing into a file through the control socket,
 * invalidates the range it wrote explicitly ({@code FuseMount.notifyInvalInode}).
 *
 * <p><b>Waiting.</b> Operations that may wait for DMA to leave a page (truncate, punch, zero,
 * write, fsync) run with the request's interrupt wired to their thread: a program interrupted
 * while its truncate waits gets EINTR, and the filesystem stays as it was before the call.
 *
 * <p>Thread-safe: requests arrive on many threads; daxfs locks per inode, and the two tables here
 * are concurrent maps.
 */
public final class DaxFsFuse implements FuseFilesystem {

  /** Seconds the kernel may cache attributes and entries (see the class comment for why). */
  public static final double TIMEOUT_SECONDS = 3600;

  /** Entries fetched from daxfs per readdir round; a reply holds a few dozen. */
  private static final int READDIR_BATCH = 64;

  private static final int SETID_BITS = 06000;

  /**
   * Lookups retried when the inode found is freed before it can be held; each retry means
   * another caller removed and recreated the name meanwhile, so a few suffice.
   */
  private static final int LOOKUP_ATTEMPTS = 100;

  /** The filesystem served. */
  private final DaxFs fs;

  /** Lookups the kernel holds, and the holds that keep those inodes alive. */
  private final KernelInodes inodes;

  /** Open files and directories by FUSE file handle. */
  private final OpenFiles files;

  public DaxFsFuse(DaxFs fs) {
    this.fs = fs;
    this.inodes = new KernelInodes(fs);
    this.files = new OpenFiles(fs);
  }

  /** Files and directories the kernel has open. */
  public int openFiles() {
    return files.size();
  }

  /** Inodes the kernel references (the root excluded). */
  public int kernelInodes() {
    return inodes.size();
  }

  /**
   * Releases every open file and kernel reference. The FUSE session calls it through {@link
   * #destroy} once the kernel is gone; the mount calls it again before unmounting daxfs in case
   * the session ended without it. Idempotent.
   */
  public void releaseAll() {
    files.releaseAll();
    inodes.releaseAll();
  }

  @Override
  public void destroy() {
    releaseAll();
  }

  // ---- credentials and errors ------------------------------------------------------------

  /**
   * The caller's full credentials. Root holds every capability, so its groups never decide
   * anything and are not read (reading them costs a /proc read per request).
   */
  private static Cred cred(FuseContext ctx) {
    int uid = ctx.uid();
    return uid == 0 ? Cred.of(0, ctx.gid()) : Cred.of(uid, ctx.gid(), ctx.groups());
  }

  /**
   * Credentials for data operations on an open file (write, fallocate, ftruncate): permission
   * was checked at open, and what is left (clearing set-user-ID) depends only on capabilities,
   * so the groups are not needed.
   */
  private static Cred dataCred(FuseContext ctx) {
    return Cred.of(ctx.uid(), ctx.gid());
  }

  private static FuseException failure(ErrnoException e) {
    return new FuseException(e.errno().number(), e.getMessage());
  }

  /** A daxfs call that throws {@link ErrnoException}. */
  @FunctionalInterface
  private interface Call<T> {
    T run();
  }

  private static <T> T call(Call<T> c) throws FuseException {
    try {
      return c.run();
    } catch (ErrnoException e) {
      throw failure(e);
    }
  }

  private static void run(Runnable r) throws FuseException {
    try {
      r.run();
    } catch (ErrnoException e) {
      throw failure(e);
    }
  }

  /**
   * A call that may wait for DMA: the kernel's interrupt of the request interrupts this thread,
   * which daxfs's waits turn into EINTR.
   */
  private static <T> T interruptible(FuseContext ctx, Call<T> c) throws FuseException {
    ctx.onInterrupt(Thread.currentThread()::interrupt);
    try {
      return c.run();
    } catch (ErrnoException e) {
      throw failure(e);
    } catch (RuntimeException e) {
      if (interruptedCause(e)) {
        throw new FuseException(Errno.EINTR.number(), "interrupted: " + e.getMessage());
      }
      throw e;
    } finally {
      ctx.onInterrupt(() -> {});
    }
  }

  private static boolean interruptedCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  private static Name name(byte[] name) throws FuseException {
    return call(() -> Name.of(name));
  }

  // ---- attributes and entries --------------------------------------------------------------

  static FuseAttr fuseAttr(Attr a) {
    return new FuseAttr(a.ino(), a.mode(), a.nlink(), a.uid(), a.gid(), a.rdev(), a.size(),
        a.blocks(), Attr.BLOCK_SIZE, a.atime(), a.mtime(), a.ctime());
  }

  private static FuseEntry entry(Attr a) {
    return new FuseEntry(fuseAttr(a), a.generation() & 0xffffffffL, TIMEOUT_SECONDS,
        TIMEOUT_SECONDS);
  }

  /**
   * The entry for an inode just made or found, counted as a kernel reference; ENOENT when it was
   * removed and freed by another caller before the reference was taken.
   */
  private FuseEntry referenced(Attr a) throws FuseException {
    if (!call(() -> inodes.reference(a))) {
      throw new FuseException(Errno.ENOENT.number(), "inode " + a.ino()
          + " was removed while it was being looked up");
    }
    return entry(a);
  }

  @Override
  public FuseEntry lookup(FuseContext ctx, long parent, byte[] name) throws FuseException {
    Cred c = cred(ctx);
    Name n = name(name);
    for (int attempt = 0; ; attempt++) {
      if (attempt == LOOKUP_ATTEMPTS) {
        throw new FuseException(Errno.ESTALE.number(), n + " kept being replaced while it "
            + "was looked up");
      }
      Attr a;
      try {
        a = fs.lookup(c, parent, n);
      } catch (ErrnoException e) {
        if (e.errno() == Errno.ENOENT) {
          // Names appear only through this mount, which updates the kernel's cache.
          return FuseEntry.negative(TIMEOUT_SECONDS);
        }
        throw failure(e);
      }
      if (call(() -> inodes.reference(a))) {
        return entry(a);
      }
      // The inode found was freed (and its number perhaps reused) before it could be held.
    }
  }

  @Override
  public void forget(long ino, long nlookup) {
    inodes.forget(ino, nlookup);
  }

  @Override
  public FuseAttr getattr(FuseContext ctx, long ino) throws FuseException {
    return fuseAttr(call(() -> fs.getattr(ino)));
  }

  @Override
  public FuseAttr setattr(FuseContext ctx, long ino, dev.daxfs.tools.fuse.SetAttr changes)
      throws FuseException {
    SetAttr s = SetAttr.create();
    changes.mode().ifPresent(s::mode);
    changes.uid().ifPresent(s::uid);
    changes.gid().ifPresent(s::gid);
    changes.size().ifPresent(s::size);
    time(changes.atime(), s::atime);
    time(changes.mtime(), s::mtime);
    if (changes.ctime().kind() == TimeUpdate.Kind.SET) {
      s.ctime(changes.ctime().epochNanos());
    }
    if (changes.size().isPresent() && changes.fh().isPresent()) {
      // ftruncate: permission comes from the open file, not from the mode bits.
      s.handle(files.get(changes.fh().getAsLong()).handle());
    }
    Cred c = changes.mode().isPresent() && killsOnlySetId(ino, changes.mode().getAsInt())
        ? privilegeKiller(ctx)
        : cred(ctx);
    if (changes.size().isPresent()) {
      return fuseAttr(interruptible(ctx, () -> fs.setattr(c, ino, s)));
    }
    return fuseAttr(call(() -> fs.setattr(c, ino, s)));
  }

  private static void time(TimeUpdate t, java.util.function.LongConsumer set) {
    switch (t.kind()) {
      case NOW -> set.accept(SetAttr.NOW);
      case SET -> set.accept(t.epochNanos());
      default -> { }
    }
  }

  /**
   * Whether a mode change only drops set-user-ID or set-group-ID bits. The kernel sends exactly
   * that, with the writer's credentials, before a write or truncate of a set-ID file by someone
   * who is not its owner (it leaves killing privileges to the filesystem and skips its own
   * permission check for it); daxfs would refuse it as a chmod by a non-owner.
   */
  private boolean killsOnlySetId(long ino, int mode) throws FuseException {
    int current = call(() -> fs.getattr(ino)).mode() & 07777;
    int wanted = mode & 07777;
    return wanted != current && (current & ~SETID_BITS) == wanted;
  }

  /** The caller allowed to drop set-ID bits as the kernel's privilege killing may. */
  private static Cred privilegeKiller(FuseContext ctx) {
    return ctx.uid() == 0 ? cred(ctx) : cred(ctx).withCaps(Cred.Cap.FOWNER);
  }

  @Override
  public FuseStatfs statfs(FuseContext ctx, long ino) throws FuseException {
    StatFs s = call(fs::statfs);
    return new FuseStatfs(s.blockSize(), s.blockSize(), s.blocks(), s.freeBlocks(),
        s.availableBlocks(), s.files(), s.freeFiles(), s.freeFiles(), s.nameMax());
  }

  @Override
  public void access(FuseContext ctx, long ino, int mask) throws FuseException {
    run(() -> fs.access(cred(ctx), ino, mask));
  }

  // ---- names -----------------------------------------------------------------------------

  @Override
  public FuseEntry mknod(FuseContext ctx, long parent, byte[] name, int mode, long rdev)
      throws FuseException {
    Name n = name(name);
    return referenced(call(() -> fs.mknod(cred(ctx), parent, n, mode, rdev)));
  }

  @Override
  public FuseEntry mkdir(FuseContext ctx, long parent, byte[] name, int mode)
      throws FuseException {
    Name n = name(name);
    return referenced(call(() -> fs.mkdir(cred(ctx), parent, n, mode & 07777)));
  }

  @Override
  public FuseEntry symlink(FuseContext ctx, long parent, byte[] name, byte[] target)
      throws FuseException {
    Name n = name(name);
    return referenced(call(() -> fs.symlink(cred(ctx), parent, n, target)));
  }

  @Override
  public FuseEntry link(FuseContext ctx, long ino, long newParent, byte[] newName)
      throws FuseException {
    Name n = name(newName);
    return referenced(call(() -> fs.link(cred(ctx), ino, newParent, n)));
  }

  @Override
  public byte[] readlink(FuseContext ctx, long ino) throws FuseException {
    return call(() -> fs.readlink(cred(ctx), ino));
  }

  @Override
  public void unlink(FuseContext ctx, long parent, byte[] name) throws FuseException {
    Name n = name(name);
    run(() -> fs.unlink(cred(ctx), parent, n));
  }

  @Override
  public void rmdir(FuseContext ctx, long parent, byte[] name) throws FuseException {
    Name n = name(name);
    run(() -> fs.rmdir(cred(ctx), parent, n));
  }

  @Override
  public void rename(FuseContext ctx, long parent, byte[] name, long newParent, byte[] newName,
      int flags) throws FuseException {
    Name from = name(name);
    Name to = name(newName);
    run(() -> fs.rename(cred(ctx), parent, from, newParent, to, flags));
  }

  // ---- open files ------------------------------------------------------------------------

  private static dev.daxfs.tools.fuse.FileHandle handle(long fh) {
    // Pages stay cached across opens: see the class comment.
    return dev.daxfs.tools.fuse.FileHandle.of(fh).withKeepCache();
  }

  @Override
  public dev.daxfs.tools.fuse.FileHandle open(FuseContext ctx, long ino, int flags)
      throws FuseException {
    Cred c = cred(ctx);
    FileHandle h = (flags & LinuxFlags.O_TRUNC) != 0
        ? interruptible(ctx, () -> fs.open(c, ino, flags))
        : call(() -> fs.open(c, ino, flags));
    return handle(files.add(h, c));
  }

  @Override
  public Created create(FuseContext ctx, long parent, byte[] name, int mode, int flags)
      throws FuseException {
    Cred c = cred(ctx);
    Name n = name(name);
    // Only truncating an existing file may wait for DMA; a plain create never waits, and skips
    // wiring up the request's interrupt.
    boolean mayTruncate = (flags & LinuxFlags.O_TRUNC) != 0 && (flags & LinuxFlags.O_EXCL) == 0;
    FileHandle h = mayTruncate
        ? interruptible(ctx, () -> fs.createAndOpen(c, parent, n, mode & 07777, flags))
        : call(() -> fs.createAndOpen(c, parent, n, mode & 07777, flags));
    try {
      // The open handle keeps the inode alive, so this reference cannot miss.
      FuseEntry e = referenced(call(() -> fs.getattr(h.ino())));
      return new Created(e, handle(files.add(h, c)));
    } catch (FuseException | RuntimeException e) {
      fs.release(h);
      throw e;
    }
  }

  @Override
  public int read(FuseContext ctx, long ino, long fh, long offset, ByteBuffer dst)
      throws FuseException {
    FileHandle h = files.get(fh).handle();
    return call(() -> fs.read(h, offset, dst));
  }

  @Override
  public int write(FuseContext ctx, long ino, long fh, long offset, ByteBuffer src)
      throws FuseException {
    FileHandle h = files.get(fh).handle();
    Cred c = dataCred(ctx);
    return interruptible(ctx, () -> fs.write(c, h, offset, src));
  }

  @Override
  public void release(FuseContext ctx, long ino, long fh, int flags) throws FuseException {
    files.release(fh);
  }

  @Override
  public void fsync(FuseContext ctx, long ino, long fh, boolean dataOnly) throws FuseException {
    FileHandle h = files.get(fh).handle();
    interruptible(ctx, () -> {
      fs.fsync(h, dataOnly);
      return null;
    });
  }

  @Override
  public void fallocate(FuseContext ctx, long ino, long fh, int mode, long offset, long length)
      throws FuseException {
    FileHandle h = files.get(fh).handle();
    Cred c = dataCred(ctx);
    interruptible(ctx, () -> {
      fs.fallocate(c, h, mode, offset, length);
      return null;
    });
  }

  @Override
  public long lseek(FuseContext ctx, long ino, long fh, long offset, int whence)
      throws FuseException {
    FileHandle h = files.get(fh).handle();
    return call(() -> fs.lseek(h, offset, whence));
  }

  // ---- directories -----------------------------------------------------------------------

  @Override
  public dev.daxfs.tools.fuse.FileHandle opendir(FuseContext ctx, long ino, int flags)
      throws FuseException {
    Cred c = cred(ctx);
    FileHandle h = call(() -> fs.open(c, ino, FileHandle.O_RDONLY | FileHandle.O_DIRECTORY));
    return dev.daxfs.tools.fuse.FileHandle.of(files.add(h, c));
  }

  @Override
  public void releasedir(FuseContext ctx, long ino, long fh) throws FuseException {
    release(ctx, ino, fh, 0);
  }

  /** One batch of entries after {@code after}. */
  private List<DirEntry> batch(OpenFiles.Open dir, long ino, long after) throws FuseException {
    return call(() -> fs.readdir(dir.opener(), ino, after, READDIR_BATCH));
  }

  @Override
  public void readdir(FuseContext ctx, long ino, long fh, long offset, DirectoryFiller out)
      throws FuseException {
    OpenFiles.Open dir = files.get(fh);
    long after = offset;
    while (true) {
      List<DirEntry> entries = batch(dir, ino, after);
      for (DirEntry d : entries) {
        if (!out.add(d.name().bytes(), d.ino(), d.type() << 12, d.cookie())) {
          return;
        }
        after = d.cookie();
      }
      if (entries.size() < READDIR_BATCH) {
        return;
      }
    }
  }

  @Override
  public void readdirplus(FuseContext ctx, long ino, long fh, long offset,
      DirectoryPlusFiller out) throws FuseException {
    OpenFiles.Open dir = files.get(fh);
    long after = offset;
    while (true) {
      List<DirEntry> entries = batch(dir, ino, after);
      for (DirEntry d : entries) {
        byte[] n = d.name().bytes();
        boolean dot = d.name().isDotOrDotDot();
        Attr a;
        try {
          a = fs.getattr(d.ino());
        } catch (ErrnoException e) {
          // Removed since the batch was read: it is no longer in the directory.
          after = d.cookie();
          continue;
        }
        if (!dot && !call(() -> inodes.reference(a))) {
          after = d.cookie();
          continue;
        }
        if (!out.add(n, entry(a), d.cookie())) {
          if (!dot) {
            inodes.forget(a.ino(), 1);
          }
          return;
        }
        after = d.cookie();
      }
      if (entries.size() < READDIR_BATCH) {
        return;
      }
    }
  }

  // ---- extended attributes -----------------------------------------------------------------

  @Override
  public void setxattr(FuseContext ctx, long ino, String name, ByteBuffer value, int flags)
      throws FuseException {
    byte[] v = new byte[value.remaining()];
    value.get(v);
    run(() -> fs.setxattr(cred(ctx), ino, name, v, flags));
  }

  @Override
  public byte[] getxattr(FuseContext ctx, long ino, String name) throws FuseException {
    return call(() -> fs.getxattr(cred(ctx), ino, name));
  }

  @Override
  public List<String> listxattr(FuseContext ctx, long ino) throws FuseException {
    return call(() -> fs.listxattr(cred(ctx), ino));
  }

  @Override
  public void removexattr(FuseContext ctx, long ino, String name) throws FuseException {
    run(() -> fs.removexattr(cred(ctx), ino, name));
  }
}
