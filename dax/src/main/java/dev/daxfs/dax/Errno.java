package dev.daxfs.dax;

/**
 * The POSIX error numbers daxfs speaks, with their Linux values (asm-generic/errno-base.h and
 * errno.h). Every layer above {@code pmem} reports a refused operation as one of these, so the
 * FUSE layer can hand the number to the kernel unchanged.
 */
public enum Errno {
  EPERM(1, "Operation not permitted"),
  ENOENT(2, "No such file or directory"),
  EINTR(4, "Interrupted system call"),
  EIO(5, "Input/output error"),
  ENXIO(6, "No such device or address"),
  E2BIG(7, "Argument list too long"),
  EBADF(9, "Bad file descriptor"),
  EAGAIN(11, "Resource temporarily unavailable"),
  ENOMEM(12, "Cannot allocate memory"),
  EACCES(13, "Permission denied"),
  EFAULT(14, "Bad address"),
  EBUSY(16, "Device or resource busy"),
  EEXIST(17, "File exists"),
  EXDEV(18, "Invalid cross-device link"),
  ENODEV(19, "No such device"),
  ENOTDIR(20, "Not a directory"),
  EISDIR(21, "Is a directory"),
  EINVAL(22, "Invalid argument"),
  ETXTBSY(26, "Text file busy"),
  EFBIG(27, "File too large"),
  ENOSPC(28, "No space left on device"),
  ESPIPE(29, "Illegal seek"),
  EROFS(30, "Read-only file system"),
  EMLINK(31, "Too many links"),
  ERANGE(34, "Numerical result out of range"),
  ENAMETOOLONG(36, "File name too long"),
  ENOSYS(38, "Function not implemented"),
  ENOTEMPTY(39, "Directory not empty"),
  ELOOP(40, "Too many levels of symbolic links"),
  ENODATA(61, "No data available"),
  EOPNOTSUPP(95, "Operation not supported"),
  /** The same number as {@link #EOPNOTSUPP} on Linux; {@link #of(int)} answers EOPNOTSUPP. */
  ENOTSUP(95, "Operation not supported"),
  ETIMEDOUT(110, "Connection timed out"),
  ESTALE(116, "Stale file handle");

  /** The Linux errno value. */
  private final int number;

  /** What strerror(3) prints for it in the C locale. */
  private final String description;

  Errno(int number, String description) {
    this.number = number;
    this.description = description;
  }

  /** The Linux errno value, as the FUSE reply carries it (negated there). */
  public int number() {
    return number;
  }

  /** The C library's text for this error, e.g. "No such file or directory". */
  public String description() {
    return description;
  }

  /**
   * The errno with this Linux number. 95 answers {@link #EOPNOTSUPP} (ENOTSUP is an alias).
   *
   * @throws IllegalArgumentException for a number daxfs does not use
   */
  public static Errno of(int number) {
    for (Errno e : values()) {
      if (e.number == number) {
        return e;
      }
    }
    throw new IllegalArgumentException("errno " + number + " is not one daxfs reports");
  }
}
