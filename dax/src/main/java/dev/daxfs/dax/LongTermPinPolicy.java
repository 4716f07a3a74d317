package dev.daxfs.dax;

/**
 * Decides whether a long-term pin (FOLL_LONGTERM, e.g. an RDMA memory registration) or an ODP
 * registration may be taken on a range of a file. The filesystem sets one on each address space
 * ({@link DaxAddressSpace#setLongTermPinPolicy}); gup asks it before pinning anything.
 *
 * <p>A long-term pin cannot be waited for, so on filesystem-DAX Linux refuses it with EOPNOTSUPP
 * unless the device can take invalidations (ODP). daxfs adds the layout lease: a policy that
 * allows the pin while the requester holds a lease covering the range. Called without any lock
 * of the address space held.
 */
@FunctionalInterface
public interface LongTermPinPolicy {

  /**
   * Returns normally to allow the request.
   *
   * @throws ErrnoException to refuse it, normally with {@link Errno#EOPNOTSUPP}
   */
  void check(LongTermPinRequest request) throws ErrnoException;

  /** Linux's rule for filesystem-DAX: ODP registrations only, pins refused with EOPNOTSUPP. */
  LongTermPinPolicy ODP_ONLY =
      request -> {
        if (!request.odp()) {
          throw new ErrnoException(
              Errno.EOPNOTSUPP,
              "long-term pin of pages [" + request.startIndex() + ", " + request.endIndex()
                  + ") of inode " + request.space().inode()
                  + " refused: a filesystem-DAX file allows long-term pins only to ODP devices or under a layout lease");
        }
      };

  /** Allows everything: for files whose blocks never move, and for tests. */
  LongTermPinPolicy ALLOW_ALL = request -> {};
}
