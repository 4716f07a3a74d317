package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SeqRwLockTest {

  private final SeqRwLock lock = new SeqRwLock();

  @Test
  void aReadWithNoWriterIsValid() {
    long stamp = lock.readBegin();
    assertEquals(0, stamp & 1, "no writer: the count is even");
    assertTrue(lock.readValid(stamp));
  }

  @Test
  void aWriterHoldingTheLockMakesTheCountOdd() {
    lock.writeLock().lock();
    try {
      long stamp = lock.readBegin();
      assertEquals(1, stamp & 1);
      assertFalse(lock.readValid(stamp), "a read begun under a writer is never valid");
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Test
  void aWriterComingAndGoingInvalidatesTheRead() {
    long stamp = lock.readBegin();
    lock.writeLock().lock();
    lock.writeLock().unlock();
    assertEquals(0, lock.readBegin() & 1);
    assertFalse(lock.readValid(stamp), "the count moved on by two");
  }

  @Test
  void onlyTheOutermostAcquisitionCounts() {
    long before = lock.readBegin();
    lock.writeLock().lock();
    lock.writeLock().lock();
    assertEquals(before + 1, lock.readBegin());
    lock.writeLock().unlock();
    assertEquals(before + 1, lock.readBegin(), "still held: still odd");
    lock.writeLock().unlock();
    assertEquals(before + 2, lock.readBegin());
  }

  @Test
  void aReadLockDoesNotInvalidate() {
    long stamp = lock.readBegin();
    lock.readLock().lock();
    lock.readLock().unlock();
    assertTrue(lock.readValid(stamp));
  }

  @Test
  void everyWayOfTakingTheWriteLockCounts() throws Exception {
    long s = lock.readBegin();
    assertTrue(lock.writeLock().tryLock());
    lock.writeLock().unlock();
    lock.writeLock().lockInterruptibly();
    lock.writeLock().unlock();
    assertTrue(lock.writeLock().tryLock(1, TimeUnit.SECONDS));
    lock.writeLock().unlock();
    assertEquals(s + 6, lock.readBegin());
  }

  @Test
  void aFailedTryLockAndAForeignUnlockLeaveTheCountAlone() throws Exception {
    lock.writeLock().lock();
    long held = lock.readBegin();
    try {
      CompletableFuture.runAsync(() -> {
        assertFalse(lock.writeLock().tryLock());
        assertThrows(IllegalMonitorStateException.class, () -> lock.writeLock().unlock());
      }).get(30, TimeUnit.SECONDS);
      assertEquals(held, lock.readBegin());
    } finally {
      lock.writeLock().unlock();
    }
    assertEquals(held + 1, lock.readBegin());
  }
}
