// `onread` for a socket accepted by a `net.Server`: what `net.connect()`'s
// `onread` option does for a dialled one, which Node 20 offers no option for.
//
// Why: an accepted socket read with 'data' gets a new 64 KiB backing store
// per read. The carriers an mpx server accepts are its bulk receive path
// (an upload), and those reads, still held at two scavenges in a row, die
// in V8's old generation and start a full collection every ~200 ms
// (docs/decisions/0014). Dialled carriers lend their reads and keep bulk
// ones in reused blocks (lent-reads.ts); this gives accepted ones the same.
//
// How: Node's Socket constructor turns `onread` into three fields of the
// socket (the buffer or its generator, and the callback) and hands the
// first buffer to the handle (`useUserBuffer`); every read then goes to
// the callback (stream_base_commons' onStreamRead reads those fields). An
// accepted socket has the three fields too, set to null by the same
// constructor. They are keyed by symbols private to Node, found here by
// their description. This runs in the server's 'connection' listener,
// before the event loop has read anything from the socket. Where a Node
// lacks any of it (another version), nothing is changed and the socket is
// read with 'data' as before: the caller learns which from the result.
import type { OnReadOpts, Socket } from 'node:net';

interface OnreadSlots {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

/** What slotsOf() found, once found: the symbols are the net module's own, the same for every socket. */
let found: OnreadSlots | undefined;

/**
 * The fields of `socket` that Node's `onread` option sets, if this Node has
 * them. Looked up on the first socket only: listing a socket's symbols cost
 * 3.5 µs per accepted connection (a --cpu-prof of short connections).
 */
function slotsOf(socket: Socket): OnreadSlots | undefined {
  found ??= lookUpSlots(socket);
  return found;
}

function lookUpSlots(socket: Socket): OnreadSlots | undefined {
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  let generator: symbol | undefined;
  for (const key of Object.getOwnPropertySymbols(socket)) {
    if (key.description === 'kBuffer') buffer = key;
    else if (key.description === 'kBufferCb') callback = key;
    else if (key.description === 'kBufferGen') generator = key;
  }
  if (buffer === undefined || callback === undefined || generator === undefined) return undefined;
  return { buffer, callback, generator };
}

interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/**
 * Reads `socket`, just accepted and not yet read (call it in the server's
 * 'connection' listener), with `onread` (a buffer generator and a
 * callback, as for `net.connect()`). Returns false, and changes nothing,
 * when this Node does not allow it (see the top of the file) or the socket
 * already has `onread`.
 */
export function readAcceptedWith(socket: Socket, onread: OnReadOpts): boolean {
  const slots = slotsOf(socket);
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  if (slots === undefined || typeof handle?.useUserBuffer !== 'function' || typeof onread.buffer !== 'function') return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (fields[slots.buffer] !== null || fields[slots.callback] !== null || fields[slots.generator] !== null) return false;
  const first = onread.buffer();
  fields[slots.generator] = onread.buffer;
  // Node calls it as a method of the socket, as it calls the one `net.connect()` is given.
  fields[slots.callback] = (onread as { callback: (n: number, buf: Uint8Array) => boolean }).callback;
  fields[slots.buffer] = first;
  handle.useUserBuffer(first);
  return true;
}
