package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for what another thread must do. Tests prove a wait by state (a counter, a thread
 * parked in a named method), never by how long something took; the deadline here only keeps a
 * hung test from running forever, and reaching it is a failure that says what never happened.
 */
final class Waiting {
  private Waiting() {}

  /** The hang guard, seconds: far beyond what any healthy run needs on a loaded machine. */
  static final long HANG_GUARD_SECONDS = Long.getLong("daxfs.test.hangGuardSeconds", 120);

  /** Polls {@code condition} until it holds; fails naming {@code what} at the hang guard. */
  static void until(BooleanSupplier condition, String what) {
    until(condition, () -> what);
  }

  /** As {@link #until(BooleanSupplier, String)}, describing the state when it fails. */
  static void until(BooleanSupplier condition, Supplier<String> what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_GUARD_SECONDS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail(what.get() + " never happened (hang guard: " + HANG_GUARD_SECONDS + " s)");
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting until " + what.get());
      }
    }
  }

  /**
   * Joins {@code threads} within {@code hangGuardSeconds} in all; if one is still running then,
   * fails with every thread's state and stack, calling them {@code what}.
   */
  static void joinAll(List<Thread> threads, long hangGuardSeconds, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(hangGuardSeconds);
    for (Thread th : threads) {
      th.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (th.isAlive()) {
        StringBuilder dump = new StringBuilder();
        for (Thread x : threads) {
          dump.append(x.getName()).append(' ').append(x.getState()).append('\n');
          for (StackTraceElement s : x.getStackTrace()) {
            dump.append("    at ").append(s).append('\n');
          }
        }
        fail(what + " is stuck (hang guard: " + hangGuardSeconds + " s):\n" + dump);
      }
    }
  }

  /** An operation on its own thread, so that a test can see it block and then let it go. */
  static final class Op {
    /** Completes with the operation's outcome. */
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /** The thread running it. */
    private final Thread thread;

    Op(String name, Runnable body) {
      thread = new Thread(() -> {
        try {
          body.run();
          done.complete(null);
        } catch (Throwable t) {
          done.completeExceptionally(t);
        }
      }, name);
      thread.setDaemon(true);
      thread.start();
    }

    boolean isDone() {
      return done.isDone();
    }

    void interrupt() {
      thread.interrupt();
    }

    /**
     * Waits until the thread is parked (WAITING or TIMED_WAITING) with {@code className}'s
     * {@code method} on its stack: it is blocked there and cannot go on by itself. Fails if the
     * operation returns instead.
     */
    void awaitParkedIn(String className, String method) {
      until(() -> {
        if (done.isDone()) {
          join();
          fail(thread.getName() + " returned instead of waiting in " + className + "."
              + method);
        }
        Thread.State s = thread.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
          return false;
        }
        for (StackTraceElement e : thread.getStackTrace()) {
          if (e.getClassName().equals(className) && e.getMethodName().equals(method)) {
            return true;
          }
        }
        return false;
      }, thread.getName() + " waiting in " + className + "." + method);
    }

    /** Waits for the operation to return; rethrows what it threw. */
    void join() {
      try {
        done.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        fail(thread.getName() + " never returned (hang guard: " + HANG_GUARD_SECONDS + " s)");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + thread.getName());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw new AssertionError(thread.getName() + " failed", e.getCause());
      }
    }
  }
}
