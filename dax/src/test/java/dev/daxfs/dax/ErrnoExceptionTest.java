package dev.daxfs.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ErrnoExceptionTest {

  @Test
  void anErrnoIsAnAnswerWithoutAStackTrace() {
    ErrnoException e = new ErrnoException(Errno.ENOENT, "no such name");
    assertEquals(0, e.getStackTrace().length, "filling one in is what made misses expensive");
    assertEquals(Errno.ENOENT, e.errno());
    assertEquals("ENOENT: no such name", e.toString());
  }

  @Test
  void aCauseKeepsItsOwnTrace() {
    IllegalStateException cause = new IllegalStateException("media");
    ErrnoException e = new ErrnoException(Errno.EIO, "media error in page 3", cause);
    assertSame(cause, e.getCause());
    assertEquals(0, e.getStackTrace().length);
    assertEquals(true, cause.getStackTrace().length > 0);
  }

  @Test
  void suppressedExceptionsAreKept() {
    ErrnoException e = new ErrnoException(Errno.EIO, "write failed");
    e.addSuppressed(new IllegalStateException("close failed too"));
    assertEquals(1, e.getSuppressed().length);
  }

  @Test
  void aMessageIsRequired() {
    assertThrows(NullPointerException.class, () -> new ErrnoException(Errno.EIO, null));
  }
}
