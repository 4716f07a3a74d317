package dev.daxfs.tools.fuse;

import com.sun.jna.Callback;
import com.sun.jna.Pointer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One request from the kernel while a {@link FuseFilesystem} method serves it: the caller's
 * credentials, interrupt handling, and the guarantee of exactly one reply.
 *
 * <p>The {@code fuse_req_t} pointer is valid until the reply; every reply goes through
 * {@link #replied()} first, which refuses a second one.
 */
final class NativeRequest implements FuseContext {
  /** libfuse's interrupt callback: {@code void (*)(fuse_req_t req, void *data)}. */
  interface InterruptFunc extends Callback {
    void invoke(Pointer req, Pointer data);
  }

  /**
   * Requests that registered an interrupt action, by serial number. libfuse hands the callback
   * the serial as its {@code data}; the callback may run after the request was answered (libfuse
   * reads the function pointer under its lock and calls it after releasing it), so it looks the
   * request up here instead of trusting a pointer.
   */
  private static final Map<Long, NativeRequest> INTERRUPTIBLE = new ConcurrentHashMap<>();

  /** Serial numbers for {@link #INTERRUPTIBLE}. */
  private static final AtomicLong SERIALS = new AtomicLong();

  /** One callback for all requests, referenced for the life of the process. */
  private static final InterruptFunc ON_INTERRUPT = (req, data) -> {
    try {
      NativeRequest r = INTERRUPTIBLE.get(Pointer.nativeValue(data));
      if (r != null) {
        r.interrupt();
      }
    } catch (Throwable t) {
      // Nothing may escape into libfuse.
    }
  };

  /** libfuse's request handle; invalid once {@link #replied} is set. */
  final Pointer req;

  /** Set by the serving thread when the reply is sent; read by that thread only. */
  private boolean replied;

  /** Serial in {@link #INTERRUPTIBLE} once an action was registered, else 0. */
  private long serial;

  /** Guarded by this: the registered action, whether the kernel interrupted, whether done. */
  private Runnable interruptAction;
  private boolean interrupted;
  private boolean done;

  /** Caller credentials, read from fuse_req_ctx on first use; -1 until then. */
  private int uid = -1;
  private int gid;
  private int pid;
  private int umask;
  /** Supplementary groups, read on first use. */
  private int[] groups;

  NativeRequest(Pointer req) {
    this.req = req;
  }

  /** Marks the reply as sent; false if it already was (the caller must then not reply). */
  boolean replied() {
    if (replied) {
      return false;
    }
    replied = true;
    return true;
  }

  boolean hasReplied() {
    return replied;
  }

  /**
   * Ends interrupt handling for this request: no action runs after this returns, and an
   * interrupt status the action set on the serving thread is cleared.
   */
  void finish() {
    if (serial != 0) {
      synchronized (this) {
        done = true;
      }
      INTERRUPTIBLE.remove(serial);
    }
    Thread.interrupted();
  }

  private void readCtx() {
    if (uid == -1 && !replied) {
      Pointer ctx = LibFuse.fuse_req_ctx(req);
      uid = ctx.getInt(Layouts.CTX_UID);
      gid = ctx.getInt(Layouts.CTX_GID);
      pid = ctx.getInt(Layouts.CTX_PID);
      umask = ctx.getInt(Layouts.CTX_UMASK);
    }
  }

  private void checkLive() {
    if (replied) {
      throw new IllegalStateException("the request was already answered");
    }
  }

  @Override
  public int uid() {
    checkLive();
    readCtx();
    return uid;
  }

  @Override
  public int gid() {
    checkLive();
    readCtx();
    return gid;
  }

  @Override
  public int pid() {
    checkLive();
    readCtx();
    return pid;
  }

  @Override
  public int umask() {
    checkLive();
    readCtx();
    return umask;
  }

  @Override
  public int[] groups() {
    checkLive();
    if (groups == null) {
      int[] list = new int[32];
      int n = LibFuse.fuse_req_getgroups(req, list.length, list);
      if (n > list.length) {
        list = new int[n];
        n = LibFuse.fuse_req_getgroups(req, list.length, list);
      }
      groups = n <= 0 ? new int[0] : java.util.Arrays.copyOf(list, Math.min(n, list.length));
    }
    return groups.clone();
  }

  @Override
  public boolean isInterrupted() {
    synchronized (this) {
      if (interrupted) {
        return true;
      }
    }
    return !replied && LibFuse.fuse_req_interrupted(req) != 0;
  }

  @Override
  public void onInterrupt(Runnable action) {
    java.util.Objects.requireNonNull(action, "action");
    checkLive();
    synchronized (this) {
      interruptAction = action;
    }
    if (serial == 0) {
      serial = SERIALS.incrementAndGet();
      INTERRUPTIBLE.put(serial, this);
      // Runs ON_INTERRUPT at once, on this thread, if the kernel already interrupted.
      LibFuse.fuse_req_interrupt_func(req, ON_INTERRUPT, new Pointer(serial));
    } else {
      synchronized (this) {
        if (interrupted && !done) {
          runAction();
        }
      }
    }
  }

  /** Called on a libfuse thread when the kernel interrupts this request. */
  private synchronized void interrupt() {
    if (done) {
      return;
    }
    interrupted = true;
    runAction();
  }

  // Guarded by this; runs under the lock so that finish() cannot pass it.
  private void runAction() {
    Runnable a = interruptAction;
    interruptAction = null;
    if (a != null) {
      try {
        a.run();
      } catch (RuntimeException e) {
        System.getLogger("dev.daxfs.tools.fuse")
            .log(System.Logger.Level.WARNING, "interrupt action failed", e);
      }
    }
  }
}
