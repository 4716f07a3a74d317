package dev.daxfs.tools.fuse;

/**
 * Who made a request, and whether its caller has given up on it. Valid only during the call
 * that received it.
 *
 * <p>Interrupts: when the calling program receives a signal while the request is in the
 * filesystem, the kernel sends an interrupt. A filesystem that may wait a long time (a punch
 * waiting for DMA to release pages) registers {@link #onInterrupt} and, when it fires, ends the
 * wait and throws {@code new FuseException(Errno.EINTR)}. The usual way from a thread that
 * blocks in {@link Object#wait}, {@code Condition.await} or {@link Thread#sleep}:
 *
 * <pre>{@code
 * ctx.onInterrupt(Thread.currentThread()::interrupt);
 * try {
 *   layout.awaitIdle();
 * } catch (InterruptedException e) {
 *   throw new FuseException(Errno.EINTR, "punch interrupted while waiting for DMA");
 * }
 * }</pre>
 *
 * The binding runs the action only while the request is still being served and clears the
 * serving thread's interrupt status after the reply, so a late interrupt never reaches the next
 * request served on that thread.
 */
public interface FuseContext {
  /** Effective user id of the calling process. */
  int uid();

  /** Effective group id of the calling process. */
  int gid();

  /** Thread id of the caller; 0 when the kernel made the request itself (writeback, forget). */
  int pid();

  /** The caller's umask (already applied by the kernel to create modes unless told not to). */
  int umask();

  /**
   * The caller's supplementary groups, read from /proc when first asked (so a request that does
   * not need them does not pay for them); empty when they cannot be read (the caller exited).
   */
  int[] groups();

  /** True once the kernel has interrupted this request. */
  boolean isInterrupted();

  /**
   * Runs {@code action} once if the kernel interrupts this request (at once, on this thread, if
   * it already has). The action runs on another libfuse thread and must be quick: wake the
   * waiter, do not wait. A later registration replaces an earlier one.
   */
  void onInterrupt(Runnable action);

  /** A context for calling a filesystem outside FUSE (tests, tools): never interrupted. */
  static FuseContext of(int uid, int gid, int pid, int umask, int... groups) {
    int[] copy = groups.clone();
    return new FuseContext() {
      @Override
      public int uid() {
        return uid;
      }

      @Override
      public int gid() {
        return gid;
      }

      @Override
      public int pid() {
        return pid;
      }

      @Override
      public int umask() {
        return umask;
      }

      @Override
      public int[] groups() {
        return copy.clone();
      }

      @Override
      public boolean isInterrupted() {
        return false;
      }

      @Override
      public void onInterrupt(Runnable action) {}
    };
  }
}
