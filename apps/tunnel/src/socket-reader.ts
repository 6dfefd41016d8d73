// Reads a socket with Node's `onread` into one reused buffer and hands a copy
// of each read to a destination (an mpx stream), instead of 'data' events and
// pipe(). Two costs of pipe() go away:
// - memory per stream: libuv reads up to 64 KiB at a time into a fresh
//   buffer, and a paused socket still holds one more read, so a stream whose
//   peer never reads cost its send queue (SPEC §7.4, 16 KiB) plus two such
//   reads, ~140 KB. Here a read is at most READ_SIZE, and reading stops in
//   the same call in which the destination pushes back (returning false from
//   the callback stops the handle at once): the stream's queue plus one read.
// - a 64 KiB allocation per read: the copy is exactly as long as the read.
//
// One buffer serves every reader of the process: libuv calls the callback
// right after each read, and the callback copies the bytes out before it
// returns, so no read can overwrite bytes still needed.
import type { OnReadOpts } from 'node:net';
import type { Writable } from 'node:stream';

/**
 * Largest read, bytes. Rationale: the stream's send queue (streamSendBuffer,
 * 16 KiB by default) and a DATA frame's payload are this size; a larger read
 * would only wait in the queue, and is what made a never-reading peer cost
 * ~140 KB per stream.
 */
export const READ_SIZE = 16 * 1024;

const shared = Buffer.allocUnsafe(READ_SIZE);

/** Where reads go, and who hears about them. */
export interface ReaderTarget {
  /** The destination: every read is written to it, in order. */
  readonly to: Writable;
  /** Bytes of each read, as they go out. */
  readonly onBytes: (n: number) => void;
}

export class SocketReader {
  /** Pass to `net.connect()` (or `dialTcp`) as `onread`. */
  readonly onread: OnReadOpts;
  #target: ReaderTarget | undefined;
  #socket: { resume(): unknown } | undefined;
  /** Reads that came before start(): handed on there. */
  readonly #early: Buffer[] = [];
  #waiting = false;

  constructor(buffer: Uint8Array = shared) {
    this.onread = { buffer, callback: (n, buf) => this.#onRead(n, buf) };
  }

  /** Starts handing reads of `socket` (opened with this reader's `onread`) to `target.to`. */
  start(socket: { resume(): unknown }, target: ReaderTarget): void {
    this.#socket = socket;
    this.#target = target;
    const early = this.#early.splice(0);
    let more = true;
    for (const chunk of early) more = this.#deliver(chunk);
    if (more) socket.resume();
  }

  /** False stops the socket's reads until the destination drains. */
  #onRead(n: number, buf: Uint8Array): boolean {
    const chunk = Buffer.allocUnsafe(n);
    chunk.set(buf.subarray(0, n));
    if (this.#target === undefined) {
      this.#early.push(chunk);
      return false;
    }
    return this.#deliver(chunk);
  }

  #deliver(chunk: Buffer): boolean {
    const { to, onBytes } = this.#target as ReaderTarget;
    if (to.destroyed || to.writableEnded) return false;
    onBytes(chunk.length);
    // Not corked: the stream queues each write at once (frames leave per tick
    // anyway), and a corked stream would report a full buffer after one read.
    if (to.write(chunk)) return true;
    if (!this.#waiting) {
      this.#waiting = true;
      to.once('drain', this.#onDrain);
    }
    return false;
  }

  #onDrain = (): void => {
    this.#waiting = false;
    this.#socket?.resume();
  };
}
