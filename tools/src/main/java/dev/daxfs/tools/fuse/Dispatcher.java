package dev.daxfs.tools.fuse;

import com.sun.jna.Callback;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns libfuse lowlevel callbacks into {@link FuseFilesystem} calls and their results into
 * replies.
 *
 * <p>Rules every callback follows: it replies exactly once, whatever the filesystem does
 * ({@link FuseException} gives its errno, anything else EIO, a method that returns normally
 * gives its reply); nothing thrown escapes into native code; and the callback objects, stored
 * in {@link #callbacks}, stay referenced for as long as this dispatcher (the session) lives, so
 * the function pointers in {@link #table} never dangle.
 */
final class Dispatcher {
  private static final System.Logger LOG = System.getLogger("dev.daxfs.tools.fuse");

  /** libfuse worker threads stay attached to the JVM between callbacks (attach is costly). */
  private static final CallbackThreadInitializer WORKER_THREADS =
      new CallbackThreadInitializer(true, false, "fuse-worker");

  private final FuseFilesystem fs;
  private final MountOptions options;
  private final LibFuseVersion version;
  /** Told when init has run (null: it completed) or failed. */
  private final Consumer<Throwable> onInit;

  /** The {@code struct fuse_lowlevel_ops} handed to fuse_session_new. */
  final Memory table;
  /** Every callback in {@link #table}: the strong references that keep them alive. */
  private final Map<LowLevelOp, Callback> callbacks = new EnumMap<>(LowLevelOp.class);

  /** Per-thread native scratch memory for reply structures and data. */
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  Dispatcher(FuseFilesystem fs, MountOptions options, LibFuseVersion version,
      Consumer<Throwable> onInit) {
    this.fs = fs;
    this.options = options;
    this.version = version;
    this.onInit = onInit;
    this.table = new Memory(Layouts.LOWLEVEL_OPS.size);
    table.clear();
    bindAll();
  }

  /** The operations offered to the kernel, for logs and tests. */
  List<LowLevelOp> bound() {
    return new ArrayList<>(callbacks.keySet());
  }

  /** Native scratch buffers owned by one worker thread. */
  private static final class Scratch {
    final Memory entry = new Memory(Layouts.ENTRY_SIZE);
    final Memory stat = new Memory(Layouts.STAT_SIZE);
    final Memory statvfs = new Memory(Layouts.STATVFS_SIZE);
    /** Read and directory data; grows to the largest request seen. */
    Memory data = new Memory(64 * 1024);
    /**
     * A buffer over all of {@link #data}, made once: JNA's Memory.getByteBuffer registers every
     * buffer it makes in one synchronized map shared by all threads, a cost per read otherwise.
     */
    ByteBuffer dataView = data.getByteBuffer(0, data.size());

    Memory data(long size) {
      if (data.size() < size) {
        data = new Memory(Math.max(size, data.size() * 2));
        dataView = data.getByteBuffer(0, data.size());
      }
      return data;
    }

    /** {@link #data} of at least {@code size} bytes as a buffer of exactly {@code size}. */
    ByteBuffer dataBuffer(long size) {
      data(size);
      return dataView.clear().limit(Math.toIntExact(size));
    }
  }

  /** A request body: calls the filesystem and replies. */
  @FunctionalInterface
  private interface Handler {
    void handle(NativeRequest r) throws Exception;
  }

  /** Serves one request: the exactly-once reply and the no-escape rules live here. */
  private void serve(Pointer req, LowLevelOp op, Handler handler) {
    NativeRequest r = new NativeRequest(req);
    try {
      handler.handle(r);
      if (!r.hasReplied()) {
        LOG.log(Level.ERROR, "fuse " + op.cName + " returned without a reply; answering EIO");
        replyErr(r, Errno.EIO);
      }
    } catch (FuseException e) {
      replyErr(r, e.errno());
    } catch (Throwable t) {
      LOG.log(Level.ERROR, "fuse " + op.cName + " failed; the caller gets EIO", t);
      replyErr(r, Errno.EIO);
    } finally {
      r.finish();
    }
  }

  private static void replyErr(NativeRequest r, int errno) {
    if (r.replied()) {
      LibFuse.fuse_reply_err(r.req, errno);
    }
  }

  private static void replyOk(NativeRequest r) {
    replyErr(r, 0);
  }

  private static void replyEntry(NativeRequest r, FuseEntry e) {
    Scratch s = SCRATCH.get();
    e.writeTo(s.entry);
    if (r.replied()) {
      LibFuse.fuse_reply_entry(r.req, s.entry);
    }
  }

  /** For operations that create an inode: a negative entry is a filesystem bug. */
  private static FuseEntry positive(FuseEntry e, LowLevelOp op) {
    if (e == null || e.isNegative()) {
      throw new IllegalStateException(op.cName + " returned no inode");
    }
    return e;
  }

  private void replyAttr(NativeRequest r, FuseAttr attr) {
    Scratch s = SCRATCH.get();
    attr.writeTo(s.stat, 0);
    if (r.replied()) {
      LibFuse.fuse_reply_attr(r.req, s.stat, options.attrTimeout);
    }
  }

  private static void replyOpen(NativeRequest r, FileHandle h, Pointer fi) {
    h.writeTo(fi);
    if (r.replied()) {
      LibFuse.fuse_reply_open(r.req, fi);
    }
  }

  /** Replies with bytes through scratch memory. */
  private static void replyBytes(NativeRequest r, byte[] bytes) {
    Memory m = SCRATCH.get().data(Math.max(1, bytes.length));
    m.write(0, bytes, 0, bytes.length);
    if (r.replied()) {
      LibFuse.fuse_reply_buf(r.req, m, bytes.length);
    }
  }

  /** getxattr and listxattr: size 0 asks for the length; a smaller buffer is ERANGE. */
  private static void replyXattr(NativeRequest r, byte[] value, long size) {
    if (size == 0) {
      if (r.replied()) {
        LibFuse.fuse_reply_xattr(r.req, value.length);
      }
    } else if (value.length > size) {
      replyErr(r, Errno.ERANGE);
    } else {
      replyBytes(r, value);
    }
  }

  /** A name or symlink target: its bytes (see {@link FuseFilesystem} on names). */
  private static byte[] name(Pointer p) {
    return LibFuse.bytes(p);
  }

  /** An extended attribute name. */
  private static String xattrName(Pointer p) {
    return LibFuse.string(p);
  }

  private static long fh(Pointer fi) {
    return fi.getLong(Layouts.FI_FH);
  }

  /** A read-only view of native bytes, valid while libfuse holds them. */
  private static ByteBuffer view(Pointer p, long size) {
    if (size == 0 || p == null) {
      return ByteBuffer.allocate(0);
    }
    return p.getByteBuffer(0, size).asReadOnlyBuffer();
  }

  /** True when {@code fs} implements {@code method} itself instead of the interface default. */
  private boolean overrides(String method, Class<?>... params) {
    try {
      return fs.getClass().getMethod(method, params).getDeclaringClass() != FuseFilesystem.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError("FuseFilesystem has no method " + method, e);
    }
  }

  private void bind(LowLevelOp op, Callback cb) {
    Native.setCallbackThreadInitializer(cb, WORKER_THREADS);
    callbacks.put(op, cb);
    table.setPointer(op.offset(), com.sun.jna.CallbackReference.getFunctionPointer(cb));
  }

  // The callback signatures, one interface per distinct C prototype (JNA needs one method).

  interface InitCb extends Callback {
    void invoke(Pointer userdata, Pointer conn);
  }

  interface DestroyCb extends Callback {
    void invoke(Pointer userdata);
  }

  interface ReqInoNameCb extends Callback {
    void invoke(Pointer req, long ino, Pointer name);
  }

  interface ForgetCb extends Callback {
    void invoke(Pointer req, long ino, long nlookup);
  }

  interface ForgetMultiCb extends Callback {
    void invoke(Pointer req, long count, Pointer forgets);
  }

  interface ReqInoFiCb extends Callback {
    void invoke(Pointer req, long ino, Pointer fi);
  }

  interface SetattrCb extends Callback {
    void invoke(Pointer req, long ino, Pointer attr, int toSet, Pointer fi);
  }

  interface ReqInoCb extends Callback {
    void invoke(Pointer req, long ino);
  }

  interface MknodCb extends Callback {
    void invoke(Pointer req, long parent, Pointer name, int mode, long rdev);
  }

  interface MkdirCb extends Callback {
    void invoke(Pointer req, long parent, Pointer name, int mode);
  }

  interface SymlinkCb extends Callback {
    void invoke(Pointer req, Pointer link, long parent, Pointer name);
  }

  interface RenameCb extends Callback {
    void invoke(Pointer req, long parent, Pointer name, long newParent, Pointer newName,
        int flags);
  }

  interface LinkCb extends Callback {
    void invoke(Pointer req, long ino, long newParent, Pointer newName);
  }

  interface ReadCb extends Callback {
    void invoke(Pointer req, long ino, long size, long off, Pointer fi);
  }

  interface WriteCb extends Callback {
    void invoke(Pointer req, long ino, Pointer buf, long size, long off, Pointer fi);
  }

  interface FsyncCb extends Callback {
    void invoke(Pointer req, long ino, int datasync, Pointer fi);
  }

  interface SetxattrCb extends Callback {
    void invoke(Pointer req, long ino, Pointer name, Pointer value, long size, int flags);
  }

  interface GetxattrCb extends Callback {
    void invoke(Pointer req, long ino, Pointer name, long size);
  }

  interface ListxattrCb extends Callback {
    void invoke(Pointer req, long ino, long size);
  }

  interface AccessCb extends Callback {
    void invoke(Pointer req, long ino, int mask);
  }

  interface CreateCb extends Callback {
    void invoke(Pointer req, long parent, Pointer name, int mode, Pointer fi);
  }

  interface FallocateCb extends Callback {
    void invoke(Pointer req, long ino, int mode, long offset, long length, Pointer fi);
  }

  interface LseekCb extends Callback {
    void invoke(Pointer req, long ino, long off, int whence, Pointer fi);
  }

  private void bindAll() {
    bind(LowLevelOp.INIT, (InitCb) this::init);
    bind(LowLevelOp.DESTROY, (DestroyCb) userdata -> {
      try {
        fs.destroy();
      } catch (Throwable t) {
        LOG.log(Level.ERROR, "filesystem destroy failed", t);
      }
    });
    bind(LowLevelOp.LOOKUP, (ReqInoNameCb) (req, parent, name) ->
        serve(req, LowLevelOp.LOOKUP, r -> {
          FuseEntry e = fs.lookup(r, parent, name(name));
          if (e == null) {
            throw new IllegalStateException("lookup returned null; throw ENOENT instead");
          }
          replyEntry(r, e);
        }));
    bind(LowLevelOp.FORGET, (ForgetCb) (req, ino, nlookup) -> {
      try {
        fs.forget(ino, nlookup);
      } catch (Throwable t) {
        LOG.log(Level.ERROR, "filesystem forget failed", t);
      } finally {
        LibFuse.fuse_reply_none(req);
      }
    });
    bind(LowLevelOp.FORGET_MULTI, (ForgetMultiCb) (req, count, forgets) -> {
      try {
        int n = Math.toIntExact(count);
        long[] inos = new long[n];
        long[] nlookups = new long[n];
        for (int i = 0; i < n; i++) {
          long at = (long) i * Layouts.FORGET_SIZE;
          inos[i] = forgets.getLong(at + Layouts.FORGET_INO);
          nlookups[i] = forgets.getLong(at + Layouts.FORGET_NLOOKUP);
        }
        fs.forgetBatch(inos, nlookups);
      } catch (Throwable t) {
        LOG.log(Level.ERROR, "filesystem forget failed", t);
      } finally {
        LibFuse.fuse_reply_none(req);
      }
    });
    bind(LowLevelOp.GETATTR, (ReqInoFiCb) (req, ino, fi) ->
        serve(req, LowLevelOp.GETATTR, r -> replyAttr(r, fs.getattr(r, ino))));
    bindOptional();
  }

  private void bindOptional() {
    Class<?> ctx = FuseContext.class;
    Class<?> bytes = byte[].class;
    Class<?> xname = String.class;
    Class<?> j = long.class;
    Class<?> i = int.class;
    Class<?> buf = ByteBuffer.class;
    if (overrides("setattr", ctx, j, SetAttr.class)) {
      bind(LowLevelOp.SETATTR, (SetattrCb) (req, ino, attr, toSet, fi) ->
          serve(req, LowLevelOp.SETATTR,
              r -> replyAttr(r, fs.setattr(r, ino, SetAttr.decode(attr, toSet, fi)))));
    }
    if (overrides("readlink", ctx, j)) {
      bind(LowLevelOp.READLINK, (ReqInoCb) (req, ino) ->
          serve(req, LowLevelOp.READLINK, r -> {
            byte[] target = LibFuse.cString(fs.readlink(r, ino));
            if (r.replied()) {
              LibFuse.fuse_reply_readlink(r.req, target);
            }
          }));
    }
    if (overrides("mknod", ctx, j, bytes, i, j)) {
      bind(LowLevelOp.MKNOD, (MknodCb) (req, parent, name, mode, rdev) ->
          serve(req, LowLevelOp.MKNOD, r -> replyEntry(r,
              positive(fs.mknod(r, parent, name(name), mode, rdev), LowLevelOp.MKNOD))));
    }
    if (overrides("mkdir", ctx, j, bytes, i)) {
      bind(LowLevelOp.MKDIR, (MkdirCb) (req, parent, name, mode) ->
          serve(req, LowLevelOp.MKDIR, r -> replyEntry(r,
              positive(fs.mkdir(r, parent, name(name), mode), LowLevelOp.MKDIR))));
    }
    if (overrides("unlink", ctx, j, bytes)) {
      bind(LowLevelOp.UNLINK, (ReqInoNameCb) (req, parent, name) ->
          serve(req, LowLevelOp.UNLINK, r -> {
            fs.unlink(r, parent, name(name));
            replyOk(r);
          }));
    }
    if (overrides("rmdir", ctx, j, bytes)) {
      bind(LowLevelOp.RMDIR, (ReqInoNameCb) (req, parent, name) ->
          serve(req, LowLevelOp.RMDIR, r -> {
            fs.rmdir(r, parent, name(name));
            replyOk(r);
          }));
    }
    if (overrides("symlink", ctx, j, bytes, bytes)) {
      bind(LowLevelOp.SYMLINK, (SymlinkCb) (req, link, parent, name) ->
          serve(req, LowLevelOp.SYMLINK, r -> replyEntry(r, positive(
              fs.symlink(r, parent, name(name), name(link)), LowLevelOp.SYMLINK))));
    }
    if (overrides("rename", ctx, j, bytes, j, bytes, i)) {
      bind(LowLevelOp.RENAME, (RenameCb) (req, parent, name, newParent, newName, flags) ->
          serve(req, LowLevelOp.RENAME, r -> {
            fs.rename(r, parent, name(name), newParent, name(newName), flags);
            replyOk(r);
          }));
    }
    if (overrides("link", ctx, j, j, bytes)) {
      bind(LowLevelOp.LINK, (LinkCb) (req, ino, newParent, newName) ->
          serve(req, LowLevelOp.LINK, r -> replyEntry(r,
              positive(fs.link(r, ino, newParent, name(newName)), LowLevelOp.LINK))));
    }
    if (overrides("open", ctx, j, i)) {
      bind(LowLevelOp.OPEN, (ReqInoFiCb) (req, ino, fi) ->
          serve(req, LowLevelOp.OPEN,
              r -> replyOpen(r, fs.open(r, ino, fi.getInt(Layouts.FI_FLAGS)), fi)));
    }
    if (overrides("read", ctx, j, j, j, buf)) {
      bind(LowLevelOp.READ, (ReadCb) this::read);
    }
    if (overrides("write", ctx, j, j, j, buf)) {
      bind(LowLevelOp.WRITE, (WriteCb) (req, ino, data, size, off, fi) ->
          serve(req, LowLevelOp.WRITE, r -> {
            int n = fs.write(r, ino, fh(fi), off, view(data, size));
            if (n < 0 || n > size) {
              throw new IllegalStateException("write returned " + n + " for " + size + " bytes");
            }
            if (r.replied()) {
              LibFuse.fuse_reply_write(r.req, n);
            }
          }));
    }
    if (overrides("flush", ctx, j, j, j)) {
      bind(LowLevelOp.FLUSH, (ReqInoFiCb) (req, ino, fi) ->
          serve(req, LowLevelOp.FLUSH, r -> {
            fs.flush(r, ino, fh(fi), fi.getLong(Layouts.FI_LOCK_OWNER));
            replyOk(r);
          }));
    }
    if (overrides("release", ctx, j, j, i)) {
      bind(LowLevelOp.RELEASE, (ReqInoFiCb) (req, ino, fi) ->
          serve(req, LowLevelOp.RELEASE, r -> {
            fs.release(r, ino, fh(fi), fi.getInt(Layouts.FI_FLAGS));
            replyOk(r);
          }));
    }
    if (overrides("fsync", ctx, j, j, boolean.class)) {
      bind(LowLevelOp.FSYNC, (FsyncCb) (req, ino, datasync, fi) ->
          serve(req, LowLevelOp.FSYNC, r -> {
            fs.fsync(r, ino, fh(fi), datasync != 0);
            replyOk(r);
          }));
    }
    if (overrides("opendir", ctx, j, i)) {
      bind(LowLevelOp.OPENDIR, (ReqInoFiCb) (req, ino, fi) ->
          serve(req, LowLevelOp.OPENDIR,
              r -> replyOpen(r, fs.opendir(r, ino, fi.getInt(Layouts.FI_FLAGS)), fi)));
    }
    if (overrides("readdir", ctx, j, j, j, DirectoryFiller.class)) {
      bind(LowLevelOp.READDIR, (ReadCb) this::readdir);
    }
    if (overrides("readdirplus", ctx, j, j, j, DirectoryPlusFiller.class)) {
      bind(LowLevelOp.READDIRPLUS, (ReadCb) this::readdirplus);
    }
    if (overrides("releasedir", ctx, j, j)) {
      bind(LowLevelOp.RELEASEDIR, (ReqInoFiCb) (req, ino, fi) ->
          serve(req, LowLevelOp.RELEASEDIR, r -> {
            fs.releasedir(r, ino, fh(fi));
            replyOk(r);
          }));
    }
    if (overrides("fsyncdir", ctx, j, j, boolean.class)) {
      bind(LowLevelOp.FSYNCDIR, (FsyncCb) (req, ino, datasync, fi) ->
          serve(req, LowLevelOp.FSYNCDIR, r -> {
            fs.fsyncdir(r, ino, fh(fi), datasync != 0);
            replyOk(r);
          }));
    }
    if (overrides("statfs", ctx, j)) {
      bind(LowLevelOp.STATFS, (ReqInoCb) (req, ino) ->
          serve(req, LowLevelOp.STATFS, r -> {
            Scratch s = SCRATCH.get();
            fs.statfs(r, ino).writeTo(s.statvfs);
            if (r.replied()) {
              LibFuse.fuse_reply_statfs(r.req, s.statvfs);
            }
          }));
    }
    if (overrides("setxattr", ctx, j, xname, buf, i)) {
      bind(LowLevelOp.SETXATTR, (SetxattrCb) (req, ino, name, value, size, flags) ->
          serve(req, LowLevelOp.SETXATTR, r -> {
            fs.setxattr(r, ino, xattrName(name), view(value, size), flags);
            replyOk(r);
          }));
    }
    if (overrides("getxattr", ctx, j, xname)) {
      bind(LowLevelOp.GETXATTR, (GetxattrCb) (req, ino, name, size) ->
          serve(req, LowLevelOp.GETXATTR, r -> {
            byte[] value = fs.getxattr(r, ino, xattrName(name));
            if (value == null) {
              throw new FuseException(Errno.ENODATA);
            }
            replyXattr(r, value, size);
          }));
    }
    if (overrides("listxattr", ctx, j)) {
      bind(LowLevelOp.LISTXATTR, (ListxattrCb) (req, ino, size) ->
          serve(req, LowLevelOp.LISTXATTR,
              r -> replyXattr(r, nulSeparated(fs.listxattr(r, ino)), size)));
    }
    if (overrides("removexattr", ctx, j, xname)) {
      bind(LowLevelOp.REMOVEXATTR, (ReqInoNameCb) (req, ino, name) ->
          serve(req, LowLevelOp.REMOVEXATTR, r -> {
            fs.removexattr(r, ino, xattrName(name));
            replyOk(r);
          }));
    }
    if (overrides("access", ctx, j, i)) {
      bind(LowLevelOp.ACCESS, (AccessCb) (req, ino, mask) ->
          serve(req, LowLevelOp.ACCESS, r -> {
            fs.access(r, ino, mask);
            replyOk(r);
          }));
    }
    if (overrides("create", ctx, j, bytes, i, i)) {
      bind(LowLevelOp.CREATE, (CreateCb) (req, parent, name, mode, fi) ->
          serve(req, LowLevelOp.CREATE, r -> {
            Created c = fs.create(r, parent, name(name), mode, fi.getInt(Layouts.FI_FLAGS));
            Scratch s = SCRATCH.get();
            c.entry().writeTo(s.entry);
            c.handle().writeTo(fi);
            if (r.replied()) {
              LibFuse.fuse_reply_create(r.req, s.entry, fi);
            }
          }));
    }
    if (overrides("fallocate", ctx, j, j, i, j, j)) {
      bind(LowLevelOp.FALLOCATE, (FallocateCb) (req, ino, mode, offset, length, fi) ->
          serve(req, LowLevelOp.FALLOCATE, r -> {
            fs.fallocate(r, ino, fh(fi), mode, offset, length);
            replyOk(r);
          }));
    }
    if (version.hasLseek() && overrides("lseek", ctx, j, j, j, i)) {
      bind(LowLevelOp.LSEEK, (LseekCb) (req, ino, off, whence, fi) ->
          serve(req, LowLevelOp.LSEEK, r -> {
            long at = fs.lseek(r, ino, fh(fi), off, whence);
            if (r.replied()) {
              version.replyLseek(r.req, at);
            }
          }));
    }
  }

  private void init(Pointer userdata, Pointer conn) {
    try {
      int capable = conn.getInt(Layouts.CONN_CAPABLE);
      int want = conn.getInt(Layouts.CONN_WANT);
      // O_TRUNC arrives in open, so truncation is atomic with it.
      want |= capable & FuseConstants.FUSE_CAP_ATOMIC_O_TRUNC;
      // The kernel clears setuid/setgid on write and chown itself (through setattr) instead of
      // leaving it to every filesystem.
      want &= ~FuseConstants.FUSE_CAP_HANDLE_KILLPRIV;
      // Pages are cached only while the filesystem says nothing changed beneath them.
      want &= ~FuseConstants.FUSE_CAP_WRITEBACK_CACHE;
      conn.setInt(Layouts.CONN_WANT, want);
      if (options.maxBackground > 0) {
        conn.setInt(Layouts.CONN_MAX_BACKGROUND, options.maxBackground);
      }
      fs.init(new FuseConnection(
          conn.getInt(Layouts.CONN_PROTO_MAJOR),
          conn.getInt(Layouts.CONN_PROTO_MINOR),
          conn.getInt(Layouts.CONN_MAX_WRITE),
          conn.getInt(Layouts.CONN_MAX_READ),
          conn.getInt(Layouts.CONN_MAX_READAHEAD),
          capable,
          want));
      onInit.accept(null);
    } catch (Throwable t) {
      LOG.log(Level.ERROR, "filesystem init failed", t);
      onInit.accept(t);
    }
  }

  private void read(Pointer req, long ino, long size, long off, Pointer fi) {
    serve(req, LowLevelOp.READ, r -> {
      Scratch s = SCRATCH.get();
      ByteBuffer dst = s.dataBuffer(Math.max(1, size)).limit(Math.toIntExact(size));
      Memory m = s.data;
      int n = fs.read(r, ino, fh(fi), off, dst);
      if (n < 0 || n > size) {
        throw new IllegalStateException("read returned " + n + " for " + size + " bytes");
      }
      if (r.replied()) {
        LibFuse.fuse_reply_buf(r.req, m, n);
      }
    });
  }

  private void readdir(Pointer req, long ino, long size, long off, Pointer fi) {
    serve(req, LowLevelOp.READDIR, r -> {
      Scratch s = SCRATCH.get();
      Memory m = s.data(Math.max(1, size));
      long[] used = {0};
      s.stat.clear();
      fs.readdir(r, ino, fh(fi), off, (name, child, mode, next) -> {
        checkOffset(next);
        s.stat.setLong(Layouts.ST_INO, child);
        s.stat.setInt(Layouts.ST_MODE, mode);
        long room = size - used[0];
        long need = LibFuse.fuse_add_direntry(
            r.req, m.share(used[0]), room, LibFuse.cString(name), s.stat, next);
        if (need > room) {
          return false;
        }
        used[0] += need;
        return true;
      });
      if (r.replied()) {
        LibFuse.fuse_reply_buf(r.req, m, used[0]);
      }
    });
  }

  private void readdirplus(Pointer req, long ino, long size, long off, Pointer fi) {
    serve(req, LowLevelOp.READDIRPLUS, r -> {
      Scratch s = SCRATCH.get();
      Memory m = s.data(Math.max(1, size));
      long[] used = {0};
      fs.readdirplus(r, ino, fh(fi), off, (name, entry, next) -> {
        checkOffset(next);
        entry.writeTo(s.entry);
        long room = size - used[0];
        long need = LibFuse.fuse_add_direntry_plus(
            r.req, m.share(used[0]), room, LibFuse.cString(name), s.entry, next);
        if (need > room) {
          return false;
        }
        used[0] += need;
        return true;
      });
      if (r.replied()) {
        LibFuse.fuse_reply_buf(r.req, m, used[0]);
      }
    });
  }

  private static void checkOffset(long next) {
    if (next <= 0) {
      throw new IllegalArgumentException("directory offsets must be positive, not " + next);
    }
  }

  /** listxattr's reply: each name followed by a NUL. */
  static byte[] nulSeparated(List<String> names) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (String n : names) {
      byte[] b = n.getBytes(StandardCharsets.UTF_8);
      out.write(b, 0, b.length);
      out.write(0);
    }
    return out.toByteArray();
  }
}
