package dev.daxfs.tools.crash;

import dev.daxfs.dax.CpuMapping;
import dev.daxfs.dax.Errno;
import dev.daxfs.dax.ErrnoException;
import dev.daxfs.fs.Attr;
import dev.daxfs.fs.Cred;
import dev.daxfs.fs.DaxFs;
import dev.daxfs.fs.FileHandle;
import dev.daxfs.fs.MountOptions;
import dev.daxfs.fs.SetAttr;
import dev.daxfs.pmem.PmemRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs workload operations on a mounted daxfs, as a program would through system calls, with
 * root's credentials. Handles are named by the path they were opened with; an operation that
 * needs one (write, mwrite, falloc, fsync, fdatasync) opens it if none is open and keeps it
 * open until {@code close} or {@code remount}. Regular files and special nodes open read-write,
 * directories read-only.
 *
 * <p>Not thread-safe; one per workload run.
 */
final class Executor implements AutoCloseable {

  private static final Cred ROOT = Cred.root();

  /** Length of every mapping mwrite makes: the whole range a workload file may reach. */
  static final long MAP_LENGTH = WorkloadParser.MAX_FILE;

  /** The region the filesystem lives on (remount mounts it again). */
  private final PmemRegion region;

  /** How the filesystem is mounted (again on remount). */
  private final MountOptions options;

  /** The mounted filesystem. */
  private DaxFs fs;

  /** Open handles by name. */
  private final Map<String, FileHandle> handles = new LinkedHashMap<>();

  /** Mappings by the name of the handle they were made through. */
  private final Map<String, CpuMapping> mappings = new LinkedHashMap<>();

  Executor(PmemRegion region, MountOptions options) {
    this.region = region;
    this.options = options;
    this.fs = DaxFs.mount(region, options);
  }

  DaxFs fs() {
    return fs;
  }

  /**
   * Runs {@code op}, the {@code counter}-th of its workload. Returns null on success, else the
   * errno the filesystem (or, for msync and close of what is not open, the call itself)
   * returned. Anything but an errno propagates: it is a failure of the filesystem.
   */
  Errno run(Op op, long counter) {
    try {
      execute(op, counter);
      return null;
    } catch (ErrnoException e) {
      return e.errno();
    }
  }

  private static String abs(String path) {
    return "/" + path;
  }

  private void execute(Op op, long counter) {
    String p = op.path();
    switch (op.kind()) {
      case MKDIR -> fs.mkdir(ROOT, abs(p), op.mode());
      case CREAT -> {
        close(p);
        handles.put(p, fs.open(ROOT, abs(p), FileHandle.O_CREAT | FileHandle.O_RDWR
            | FileHandle.O_TRUNC, op.mode()));
      }
      case OPEN -> handle(p);
      case CLOSE -> {
        if (!handles.containsKey(p)) {
          throw new ErrnoException(Errno.EBADF, p + " is not open");
        }
        close(p);
      }
      case WRITE -> {
        FileHandle h = handle(p);
        byte[] data = DataPattern.bytes(p, counter, op.offset(), (int) op.length());
        fs.write(ROOT, h, op.offset(), ByteBuffer.wrap(data));
      }
      case MWRITE -> {
        FileHandle h = handle(p);
        CpuMapping m = mappings.get(p);
        if (m == null) {
          m = fs.mmap(ROOT, h, 0, MAP_LENGTH, CpuMapping.PROT_READ | CpuMapping.PROT_WRITE, 0);
          mappings.put(p, m);
        }
        byte[] data = DataPattern.bytes(p, counter, op.offset(), (int) op.length());
        m.store(op.offset(), data, 0, data.length);
      }
      case MSYNC -> {
        if (!mappings.containsKey(p)) {
          throw new ErrnoException(Errno.ENOMEM, p + " has no mapping");
        }
        // msync(MS_SYNC) of a DAX mapping writes back the file's dirty range (vfs_fsync_range).
        fs.fsync(handles.get(p), true);
      }
      case MUNMAP -> {
        CpuMapping m = mappings.remove(p);
        if (m != null) {
          m.close();
        }
      }
      case TRUNCATE -> fs.setattr(ROOT, fs.resolve(ROOT, abs(p), true).ino(),
          SetAttr.create().size(op.length()));
      case FALLOC -> fs.fallocate(ROOT, handle(p), op.mode(), op.offset(), op.length());
      case LINK -> fs.link(ROOT, abs(p), abs(op.other()));
      case SYMLINK -> fs.symlink(ROOT, op.other(), abs(p));
      case RENAME -> fs.rename(ROOT, abs(p), abs(op.other()), op.mode());
      case MKNOD -> fs.mknod(ROOT, abs(p), op.mode() | 0644, Op.NodeType.of(op.mode()).rdev());
      case CHOWN -> fs.setattr(ROOT, fs.resolve(ROOT, abs(p), true).ino(),
          SetAttr.create().uid(op.uid()).gid(op.gid()));
      case UTIMENS -> {
        SetAttr sa = SetAttr.create();
        if (op.atime() != Op.OMIT) {
          sa.atime(op.atime() == Op.NOW ? SetAttr.NOW : op.atime());
        }
        if (op.mtime() != Op.OMIT) {
          sa.mtime(op.mtime() == Op.NOW ? SetAttr.NOW : op.mtime());
        }
        fs.setattr(ROOT, fs.resolve(ROOT, abs(p), true).ino(), sa);
      }
      case UNLINK -> fs.unlink(ROOT, abs(p));
      case RMDIR -> fs.rmdir(ROOT, abs(p));
      case SETXATTR -> {
        byte[] v = op.value() != null ? op.value()
            : DataPattern.bytes(op.name(), counter, 0, op.valueSize());
        fs.setxattr(ROOT, fs.resolve(ROOT, abs(p), true).ino(), op.name(), v, 0);
      }
      case REMOVEXATTR -> fs.removexattr(ROOT, fs.resolve(ROOT, abs(p), true).ino(), op.name());
      case CHMOD -> fs.setattr(ROOT, fs.resolve(ROOT, abs(p), true).ino(),
          SetAttr.create().mode(op.mode()));
      case FSYNC -> fs.fsync(handle(p), false);
      case FDATASYNC -> fs.fsync(handle(p), true);
      case SYNC -> fs.sync();
      case CLEAN -> {
        if (op.cleansAll()) {
          fs.cleanAllLogs(true);
        } else {
          fs.cleanLog(fs.resolve(ROOT, abs(p), false).ino(), true);
        }
      }
      case REMOUNT -> {
        closeAll();
        fs.unmount();
        fs = DaxFs.mount(region, options);
      }
    }
  }

  /** The handle named {@code path}, opened if there is none. */
  private FileHandle handle(String path) {
    FileHandle h = handles.get(path);
    if (h == null) {
      Attr a = fs.resolve(ROOT, abs(path), true);
      int flags = a.isDir() ? FileHandle.O_RDONLY | FileHandle.O_DIRECTORY : FileHandle.O_RDWR;
      h = fs.open(ROOT, a.ino(), flags);
      handles.put(path, h);
    }
    return h;
  }

  /** Closes the mapping and the handle named {@code path}, if open. */
  private void close(String path) {
    CpuMapping m = mappings.remove(path);
    if (m != null) {
      m.close();
    }
    FileHandle h = handles.remove(path);
    if (h != null) {
      fs.release(h);
    }
  }

  private void closeAll() {
    for (String p : new ArrayList<>(handles.keySet())) {
      close(p);
    }
    for (CpuMapping m : mappings.values()) {
      m.close();
    }
    mappings.clear();
  }

  /** Closes everything and unmounts cleanly. */
  @Override
  public void close() {
    closeAll();
    fs.unmount();
  }
}
