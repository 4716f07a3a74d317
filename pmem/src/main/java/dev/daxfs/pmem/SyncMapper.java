package dev.daxfs.pmem;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import jdk.nio.mapmode.ExtendedMapMode;

/**
 * Maps part of a file with MAP_SYNC semantics: the mapping reaches the media directly (DAX), a
 * store is durable once its cache line is written back, and the file's metadata for a written
 * page is durable before the page becomes writable. Only a DAX-capable file or device accepts
 * such a mapping; anything else refuses it (Linux answers EOPNOTSUPP), which is how {@link
 * Regions} decides between real and emulated pmem.
 *
 * <p>Injected in tests, where no DAX device exists.
 */
@FunctionalInterface
public interface SyncMapper {

  /** The JDK's own MAP_SYNC mapping (JEP 352): READ_WRITE_SYNC or READ_ONLY_SYNC. */
  SyncMapper JDK = (channel, position, size, readOnly) ->
      channel.map(
          readOnly ? ExtendedMapMode.READ_ONLY_SYNC : ExtendedMapMode.READ_WRITE_SYNC,
          position,
          size);

  /**
   * Maps {@code [position, position + size)} of the channel's file with MAP_SYNC semantics.
   *
   * @throws IOException or UnsupportedOperationException when the file or the platform cannot be
   *     mapped that way; the message says why
   */
  MappedByteBuffer map(FileChannel channel, long position, long size, boolean readOnly)
      throws IOException;
}
