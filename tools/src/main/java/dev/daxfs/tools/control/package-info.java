/**
 * The control socket of a mounted daxfs: a Unix-domain socket that only the mount's owner can
 * reach, carrying one JSON object per line.
 *
 * <h2>Protocol (version 1)</h2>
 *
 * <ol>
 *   <li>On connect the server sends a greeting: {@code {"daxfs":"control","protocol":1,
 *       "pid":N,"mountpoint":"/mnt/daxfs"}}.
 *   <li>The client sends requests, one per line: {@code {"id":1,"op":"stat"}}; further members
 *       are the request's arguments. {@code id} is the client's own number, echoed back.
 *   <li>The server answers each request in order, one line each: {@code {"id":1,"ok":true,
 *       "result":{...}}} or {@code {"id":1,"ok":false,"errno":"ENOENT","error":"one sentence"}}.
 * </ol>
 *
 * <p>A connection is a <em>session</em>. Whatever a session's requests create that must not
 * outlive their client (a layout lease held by {@code daxfs lease hold}) is registered with the
 * session ({@link dev.daxfs.tools.control.ControlSession#own}) and released when the connection
 * closes, however it closes: the client's exit, Ctrl-C, or kill -9 (the kernel closes its
 * socket). DMA streams are the mount's, not a session's: they run until stopped.
 *
 * <p>Requests of a mount ({@link dev.daxfs.tools.control.ControlHandler}s registered by the
 * mount process): {@code ping}; {@code stat}; {@code unmount}; {@code dma_start} (members
 * {@code device}, {@code odp}, {@code path} from the mount's root, {@code ino}, {@code offset},
 * {@code length}, {@code write}, {@code hold_ms}, {@code longterm}, {@code lease}, {@code
 * interval_ms}, {@code count}; answers the stream); {@code dma_list} (answers {@code
 * streams}); {@code dma_stop} ({@code stream}: the id; answers the stream as it ended); {@code
 * lease_hold} ({@code path}, {@code ino}, {@code offset}, {@code length}, {@code pid}; answers
 * the leased range, whole pages, held until the session ends); {@code scrub} (answers what
 * {@code daxfs scrub} prints: blocks verified, stale blocks, the bad ones).
 */
package dev.daxfs.tools.control;
