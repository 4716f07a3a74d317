package dev.daxfs.fs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A reentrant read-write lock paired with a sequence count, like Linux's seqcount_rwlock_t: the
 * outermost write acquisition makes the count odd and the matching release makes it even again,
 * so a reader may skip the lock, read, and then check that no writer held the lock meanwhile.
 *
 * <p>Why: a shared acquisition is an atomic instruction on the way in and another on the way
 * out, and on x86 each is a full fence that waits for every earlier load. A 4 KiB read from
 * cold memory then cannot overlap the next one, and random reads lose their memory-level
 * parallelism. An optimistic read issues no atomic at all.
 *
 * <p>The reader's contract ({@link #readBegin}, {@link #readValid}): what it read between the
 * two calls is consistent only if {@code readValid} returns true; until then it may have seen
 * a half-made change, so it must tolerate garbage (catch runtime exceptions, bound its loops)
 * and must not act on what it read. When the count is odd, or validation fails, the reader
 * takes the read lock instead.
 *
 * <p>A condition wait releases the lock without passing through {@link WriteLock#unlock}, so
 * the count stays odd while the writer waits: optimistic readers then take the read lock and
 * queue behind the writer, which is what a locked reader would have done anyway.
 */
final class SeqRwLock extends ReentrantReadWriteLock {

  private static final VarHandle SEQ;

  static {
    try {
      SEQ = MethodHandles.lookup().findVarHandle(SeqRwLock.class, "seq", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Odd while a writer holds the lock; written only by the holder of the write lock. */
  @SuppressWarnings("unused") // through SEQ
  private long seq;

  /** The write lock that keeps {@link #seq}. */
  private final SequencedWriteLock writer = new SequencedWriteLock(this);

  @Override
  public WriteLock writeLock() {
    return writer;
  }

  /** Starts an optimistic read: the stamp to validate; odd means a writer holds the lock. */
  long readBegin() {
    return (long) SEQ.getAcquire(this);
  }

  /** Whether no writer held the lock since {@code stamp} was taken (and none held it then). */
  boolean readValid(long stamp) {
    // Orders the reader's loads before the re-read of the count (StampedLock.validate does the
    // same).
    VarHandle.acquireFence();
    return (stamp & 1) == 0 && (long) SEQ.getOpaque(this) == stamp;
  }

  /** The write lock: bumps the count on the outermost acquisition and release. */
  private final class SequencedWriteLock extends WriteLock {

    SequencedWriteLock(SeqRwLock lock) {
      super(lock);
    }

    @Override
    public void lock() {
      super.lock();
      entered();
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
      super.lockInterruptibly();
      entered();
    }

    @Override
    public boolean tryLock() {
      if (!super.tryLock()) {
        return false;
      }
      entered();
      return true;
    }

    @Override
    public boolean tryLock(long timeout, TimeUnit unit) throws InterruptedException {
      if (!super.tryLock(timeout, unit)) {
        return false;
      }
      entered();
      return true;
    }

    @Override
    public void unlock() {
      if (getWriteHoldCount() == 1) {
        // Every store made under the lock happens before the count turns even.
        SEQ.setRelease(SeqRwLock.this, (long) SEQ.getOpaque(SeqRwLock.this) + 1);
      }
      super.unlock();
    }

    private void entered() {
      if (getWriteHoldCount() == 1) {
        SEQ.setOpaque(SeqRwLock.this, (long) SEQ.getOpaque(SeqRwLock.this) + 1);
        // The odd count is visible before any store made under the lock.
        VarHandle.storeStoreFence();
      }
    }
  }
}
