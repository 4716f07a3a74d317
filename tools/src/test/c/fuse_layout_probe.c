/*
 * Prints the layout of every libfuse3 and libc structure the Java binding touches, as the
 * installed headers define it, for LayoutProbeTest to compare with Layouts.java.
 *
 * Output lines:
 *   size  STRUCT BYTES
 *   field STRUCT MEMBER OFFSET
 *   bit   STRUCT MEMBER MASK      (bit fields: the mask a member sets in its word)
 *   const NAME VALUE
 *   version MAJOR MINOR
 */
#define FUSE_USE_VERSION 312
#define _GNU_SOURCE
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SIZE(s) printf("size %s %zu\n", #s, sizeof(struct s))
#define FIELD(s, f) printf("field %s %s %zu\n", #s, #f, offsetof(struct s, f))
#define CONST(c) printf("const %s %lld\n", #c, (long long) (c))

/* A bit field's mask: set the member alone in a zeroed struct and read its word back. */
#define BIT(f)                                                              \
  do {                                                                      \
    struct fuse_file_info fi;                                               \
    unsigned int word;                                                      \
    memset(&fi, 0, sizeof fi);                                              \
    fi.f = 1;                                                               \
    memcpy(&word, (char *) &fi + offsetof(struct fuse_file_info, flags)     \
                      + sizeof fi.flags, sizeof word);                      \
    printf("bit fuse_file_info %s %u\n", #f, word);                         \
  } while (0)

int main(void) {
  printf("version %d %d\n", FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION);

  SIZE(timespec);
  FIELD(timespec, tv_sec);
  FIELD(timespec, tv_nsec);

  SIZE(stat);
  FIELD(stat, st_dev);
  FIELD(stat, st_ino);
  FIELD(stat, st_nlink);
  FIELD(stat, st_mode);
  FIELD(stat, st_uid);
  FIELD(stat, st_gid);
  FIELD(stat, st_rdev);
  FIELD(stat, st_size);
  FIELD(stat, st_blksize);
  FIELD(stat, st_blocks);
  FIELD(stat, st_atim.tv_sec);
  FIELD(stat, st_atim.tv_nsec);
  FIELD(stat, st_mtim.tv_sec);
  FIELD(stat, st_mtim.tv_nsec);
  FIELD(stat, st_ctim.tv_sec);
  FIELD(stat, st_ctim.tv_nsec);

  SIZE(statvfs);
  FIELD(statvfs, f_bsize);
  FIELD(statvfs, f_frsize);
  FIELD(statvfs, f_blocks);
  FIELD(statvfs, f_bfree);
  FIELD(statvfs, f_bavail);
  FIELD(statvfs, f_files);
  FIELD(statvfs, f_ffree);
  FIELD(statvfs, f_favail);
  FIELD(statvfs, f_fsid);
  FIELD(statvfs, f_flag);
  FIELD(statvfs, f_namemax);

  SIZE(fuse_entry_param);
  FIELD(fuse_entry_param, ino);
  FIELD(fuse_entry_param, generation);
  FIELD(fuse_entry_param, attr);
  FIELD(fuse_entry_param, attr_timeout);
  FIELD(fuse_entry_param, entry_timeout);

  SIZE(fuse_file_info);
  FIELD(fuse_file_info, flags);
  FIELD(fuse_file_info, fh);
  FIELD(fuse_file_info, lock_owner);
  FIELD(fuse_file_info, poll_events);
  BIT(writepage);
  BIT(direct_io);
  BIT(keep_cache);
  BIT(flush);
  BIT(nonseekable);
  BIT(flock_release);
  BIT(cache_readdir);
  BIT(noflush);

  SIZE(fuse_ctx);
  FIELD(fuse_ctx, uid);
  FIELD(fuse_ctx, gid);
  FIELD(fuse_ctx, pid);
  FIELD(fuse_ctx, umask);

  SIZE(fuse_conn_info);
  FIELD(fuse_conn_info, proto_major);
  FIELD(fuse_conn_info, proto_minor);
  FIELD(fuse_conn_info, max_write);
  FIELD(fuse_conn_info, max_read);
  FIELD(fuse_conn_info, max_readahead);
  FIELD(fuse_conn_info, capable);
  FIELD(fuse_conn_info, want);
  FIELD(fuse_conn_info, max_background);
  FIELD(fuse_conn_info, congestion_threshold);
  FIELD(fuse_conn_info, time_gran);

  SIZE(fuse_forget_data);
  FIELD(fuse_forget_data, ino);
  FIELD(fuse_forget_data, nlookup);

  SIZE(fuse_args);
  FIELD(fuse_args, argc);
  FIELD(fuse_args, argv);
  FIELD(fuse_args, allocated);

  SIZE(fuse_loop_config_v1);
  FIELD(fuse_loop_config_v1, clone_fd);
  FIELD(fuse_loop_config_v1, max_idle_threads);

  SIZE(fuse_lowlevel_ops);
  FIELD(fuse_lowlevel_ops, init);
  FIELD(fuse_lowlevel_ops, destroy);
  FIELD(fuse_lowlevel_ops, lookup);
  FIELD(fuse_lowlevel_ops, forget);
  FIELD(fuse_lowlevel_ops, getattr);
  FIELD(fuse_lowlevel_ops, setattr);
  FIELD(fuse_lowlevel_ops, readlink);
  FIELD(fuse_lowlevel_ops, mknod);
  FIELD(fuse_lowlevel_ops, mkdir);
  FIELD(fuse_lowlevel_ops, unlink);
  FIELD(fuse_lowlevel_ops, rmdir);
  FIELD(fuse_lowlevel_ops, symlink);
  FIELD(fuse_lowlevel_ops, rename);
  FIELD(fuse_lowlevel_ops, link);
  FIELD(fuse_lowlevel_ops, open);
  FIELD(fuse_lowlevel_ops, read);
  FIELD(fuse_lowlevel_ops, write);
  FIELD(fuse_lowlevel_ops, flush);
  FIELD(fuse_lowlevel_ops, release);
  FIELD(fuse_lowlevel_ops, fsync);
  FIELD(fuse_lowlevel_ops, opendir);
  FIELD(fuse_lowlevel_ops, readdir);
  FIELD(fuse_lowlevel_ops, releasedir);
  FIELD(fuse_lowlevel_ops, fsyncdir);
  FIELD(fuse_lowlevel_ops, statfs);
  FIELD(fuse_lowlevel_ops, setxattr);
  FIELD(fuse_lowlevel_ops, getxattr);
  FIELD(fuse_lowlevel_ops, listxattr);
  FIELD(fuse_lowlevel_ops, removexattr);
  FIELD(fuse_lowlevel_ops, access);
  FIELD(fuse_lowlevel_ops, create);
  FIELD(fuse_lowlevel_ops, getlk);
  FIELD(fuse_lowlevel_ops, setlk);
  FIELD(fuse_lowlevel_ops, bmap);
  FIELD(fuse_lowlevel_ops, ioctl);
  FIELD(fuse_lowlevel_ops, poll);
  FIELD(fuse_lowlevel_ops, write_buf);
  FIELD(fuse_lowlevel_ops, retrieve_reply);
  FIELD(fuse_lowlevel_ops, forget_multi);
  FIELD(fuse_lowlevel_ops, flock);
  FIELD(fuse_lowlevel_ops, fallocate);
  FIELD(fuse_lowlevel_ops, readdirplus);
  FIELD(fuse_lowlevel_ops, copy_file_range);
  FIELD(fuse_lowlevel_ops, lseek);

  CONST(FUSE_ROOT_ID);
  CONST(FUSE_SET_ATTR_MODE);
  CONST(FUSE_SET_ATTR_UID);
  CONST(FUSE_SET_ATTR_GID);
  CONST(FUSE_SET_ATTR_SIZE);
  CONST(FUSE_SET_ATTR_ATIME);
  CONST(FUSE_SET_ATTR_MTIME);
  CONST(FUSE_SET_ATTR_ATIME_NOW);
  CONST(FUSE_SET_ATTR_MTIME_NOW);
  CONST(FUSE_SET_ATTR_CTIME);
  CONST(FUSE_CAP_ATOMIC_O_TRUNC);
  CONST(FUSE_CAP_EXPORT_SUPPORT);
  CONST(FUSE_CAP_SPLICE_WRITE);
  CONST(FUSE_CAP_SPLICE_MOVE);
  CONST(FUSE_CAP_SPLICE_READ);
  CONST(FUSE_CAP_AUTO_INVAL_DATA);
  CONST(FUSE_CAP_READDIRPLUS);
  CONST(FUSE_CAP_READDIRPLUS_AUTO);
  CONST(FUSE_CAP_ASYNC_DIO);
  CONST(FUSE_CAP_WRITEBACK_CACHE);
  CONST(FUSE_CAP_PARALLEL_DIROPS);
  CONST(FUSE_CAP_POSIX_ACL);
  CONST(FUSE_CAP_HANDLE_KILLPRIV);
  CONST(FUSE_CAP_CACHE_SYMLINKS);
  CONST(FUSE_CAP_EXPLICIT_INVAL_DATA);

  CONST(RENAME_NOREPLACE);
  CONST(RENAME_EXCHANGE);
  CONST(RENAME_WHITEOUT);
  CONST(FALLOC_FL_KEEP_SIZE);
  CONST(FALLOC_FL_PUNCH_HOLE);
  CONST(FALLOC_FL_COLLAPSE_RANGE);
  CONST(FALLOC_FL_ZERO_RANGE);
  CONST(FALLOC_FL_INSERT_RANGE);
  CONST(FALLOC_FL_UNSHARE_RANGE);
  CONST(SEEK_SET);
  CONST(SEEK_CUR);
  CONST(SEEK_END);
  CONST(SEEK_DATA);
  CONST(SEEK_HOLE);
  CONST(XATTR_CREATE);
  CONST(XATTR_REPLACE);
  CONST(O_ACCMODE);
  CONST(O_RDONLY);
  CONST(O_WRONLY);
  CONST(O_RDWR);
  CONST(O_APPEND);
  CONST(O_TRUNC);
  CONST(O_EXCL);
  CONST(O_CREAT);
  CONST(O_DIRECT);
  CONST(O_SYNC);
  CONST(O_DSYNC);
  CONST(O_NOATIME);
  CONST(S_IFMT);
  CONST(S_IFSOCK);
  CONST(S_IFLNK);
  CONST(S_IFREG);
  CONST(S_IFBLK);
  CONST(S_IFDIR);
  CONST(S_IFCHR);
  CONST(S_IFIFO);
  CONST(F_OK);
  CONST(R_OK);
  CONST(W_OK);
  CONST(X_OK);

  CONST(EPERM);
  CONST(ENOENT);
  CONST(ESRCH);
  CONST(EINTR);
  CONST(EIO);
  CONST(ENXIO);
  CONST(E2BIG);
  CONST(EBADF);
  CONST(EAGAIN);
  CONST(ENOMEM);
  CONST(EACCES);
  CONST(EFAULT);
  CONST(EBUSY);
  CONST(EEXIST);
  CONST(EXDEV);
  CONST(ENODEV);
  CONST(ENOTDIR);
  CONST(EISDIR);
  CONST(EINVAL);
  CONST(ENFILE);
  CONST(EMFILE);
  CONST(ETXTBSY);
  CONST(EFBIG);
  CONST(ENOSPC);
  CONST(ESPIPE);
  CONST(EROFS);
  CONST(EMLINK);
  CONST(ERANGE);
  CONST(ENAMETOOLONG);
  CONST(ENOSYS);
  CONST(ENOTEMPTY);
  CONST(ELOOP);
  CONST(ENODATA);
  CONST(EOVERFLOW);
  CONST(EOPNOTSUPP);
  CONST(ENOTCONN);
  CONST(ESTALE);
  CONST(EDQUOT);
  CONST(ECANCELED);
  return 0;
}
