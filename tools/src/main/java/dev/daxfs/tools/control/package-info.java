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
 * outlive their client (a layout lease held by {@code daxfs lease}, a DMA stream started
 * without a lease of its own) is registered with the session and released when the connection
 * closes, however it closes: the client's exit, Ctrl-C, or kill -9 (the kernel closes its
 * socket). Requests: {@code ping}, {@code stat}, {@code unmount}; {@code dma} and {@code lease}
 * requests register as further operations ({@link dev.daxfs.tools.control.ControlHandler}).
 */
package dev.daxfs.tools.control;
