package dev.daxfs.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ErrnoTest {

  @Test
  void numbersAreLinuxs() {
    assertEquals(1, Errno.EPERM.number());
    assertEquals(2, Errno.ENOENT.number());
    assertEquals(4, Errno.EINTR.number());
    assertEquals(5, Errno.EIO.number());
    assertEquals(6, Errno.ENXIO.number());
    assertEquals(7, Errno.E2BIG.number());
    assertEquals(9, Errno.EBADF.number());
    assertEquals(11, Errno.EAGAIN.number());
    assertEquals(12, Errno.ENOMEM.number());
    assertEquals(13, Errno.EACCES.number());
    assertEquals(14, Errno.EFAULT.number());
    assertEquals(16, Errno.EBUSY.number());
    assertEquals(17, Errno.EEXIST.number());
    assertEquals(18, Errno.EXDEV.number());
    assertEquals(20, Errno.ENOTDIR.number());
    assertEquals(21, Errno.EISDIR.number());
    assertEquals(22, Errno.EINVAL.number());
    assertEquals(26, Errno.ETXTBSY.number());
    assertEquals(27, Errno.EFBIG.number());
    assertEquals(28, Errno.ENOSPC.number());
    assertEquals(30, Errno.EROFS.number());
    assertEquals(31, Errno.EMLINK.number());
    assertEquals(34, Errno.ERANGE.number());
    assertEquals(36, Errno.ENAMETOOLONG.number());
    assertEquals(38, Errno.ENOSYS.number());
    assertEquals(39, Errno.ENOTEMPTY.number());
    assertEquals(40, Errno.ELOOP.number());
    assertEquals(61, Errno.ENODATA.number());
    assertEquals(95, Errno.EOPNOTSUPP.number());
    assertEquals(95, Errno.ENOTSUP.number());
    assertEquals(110, Errno.ETIMEDOUT.number());
    assertEquals(116, Errno.ESTALE.number());
  }

  @Test
  void lookupByNumberPrefersEopnotsupp() {
    assertEquals(Errno.EOPNOTSUPP, Errno.of(95));
    assertEquals(Errno.ENOENT, Errno.of(2));
    assertThrows(IllegalArgumentException.class, () -> Errno.of(9999));
  }

  @Test
  void exceptionCarriesErrnoAndSentence() {
    ErrnoException e = new ErrnoException(Errno.ENOSPC, "no free block");
    assertEquals(Errno.ENOSPC, e.errno());
    assertEquals("no free block", e.getMessage());
    assertEquals("ENOSPC: no free block", e.toString());
  }
}
