// Reads a socket with Node's `onread` into one reused buffer and hands a copy
// of each read to a destination (an mpx stream), instead of 'data' events and
// pipe(); a bulk transfer reads straight into the memory it is sent from
// (below). Two costs of pipe() go away:
// - memory per stream: libuv reads up to 64 KiB at a time into a fresh
//   buffer, and a paused socket still holds one more read, so a stream whose
//   peer never reads cost its send queue plus two such reads, ~140 KB. Here
//   a read is sized to what the stream takes before it pushes back (its
//   `sendRoom`: its credit, at most the session credit not yet spoken for,
//   SPEC §7.4), and the stream pushes back in the same write that fills it,
//   which stops the socket at once (returning false from the callback): a
//   stream without credit holds nothing read beyond it, and the bytes stay
//   in the kernel's socket buffer, not in the process.
// - a 64 KiB allocation per read: the copy is exactly as long as the read.
//
// One buffer serves every reader of the process: libuv calls the callback
// right after each read, and the callback copies the bytes out before it
// returns, so no read can overwrite bytes still needed.
//
// Bulk: once a read of BULK_READ bytes or more filled its buffer, the next
// read goes into memory of its own taken from `memory` (a PayloadPool block),
// which the destination is given as it is: no copy. The copy cost a sending
// server about a tenth of its CPU in a bulk download (memmove, 9.7% of its
// samples). Only after a full read: a socket waiting for its next read holds
// that memory, and an interactive or idle one (whose reads do not fill their
// buffer) must hold none.
//
// Used by the server for its targets (dialled with `onread`) and by the
// client for its local connections (accepted: given `onread` with
// @mpx/transport-tcp's readAcceptedWith; proxy connections, whose handshake
// is read first, keep 'data').
import type { OnReadOpts } from 'node:net';
import { MpxStream } from '@mpx/core';
import type { Writable } from 'node:stream';

/**
 * Smallest read, bytes. A read is sized to the destination's room, but the
 * room can fall to 0 between the write that left some and the next read
 * (other streams' queues took the session credit left); libuv cannot read 0
 * bytes, so such a read takes this much beyond the room. Rationale: small
 * next to what a stream's objects cost (a few KB), and never a read of a
 * few bytes.
 */
export const MIN_READ = 1024;
/**
 * What a stream may read from its socket (the server's target, the client's local connection) beyond the stream's
 * credit, or once the session's queues reach SEND_AHEAD (in place of
 * --stream-send-buffer, 16 KiB by default). Rationale: a stream whose
 * client stopped reading holds this much in the server for as long as it
 * lasts; at 3,000 such streams, 16 KiB each was 47 MiB of queued reads (and
 * of glibc heap left behind after them), 4 KiB is 12 MiB, and 4 KiB is still
 * a whole small answer (a request/response in one read).
 */
export const READ_AHEAD = 4 * 1024;
/** Largest read, bytes, when the destination says it takes that much (libuv's own read size). */
export const MAX_READ = 64 * 1024;

/**
 * A read that fills a buffer of at least this many bytes makes the next one
 * go into memory of its own (see the top). Rationale: one DATA frame's
 * payload; a smaller room is a stream near its credit, whose reads are
 * cheap to copy.
 */
export const BULK_READ = 16 * 1024;

const shared = Buffer.allocUnsafe(MAX_READ);

/** Memory reads are copied into, or read into (a PayloadPool). */
export interface ReadMemory {
  /** `n` bytes to read or copy into. */
  take(n: number): Buffer;
  /** Bytes of a taken buffer no read filled (or all of it, once copied out): the memory is free again once nothing else of it is out. */
  release(bytes: Uint8Array): void;
}

const fresh: ReadMemory = { take: (n) => Buffer.allocUnsafe(n), release: () => {} };

/** Where reads go, and who hears about them. */
export interface ReaderTarget {
  /** The destination: every read is written to it, in order. */
  readonly to: Writable;
  /** Bytes of each read, as they go out. */
  readonly onBytes: (n: number) => void;
}

export interface SocketReaderOptions {
  /**
   * Bytes the next read may bring (an mpx stream's `readRoom(ahead)`: what
   * it takes before it pushes back, or, once it has, what it will take when
   * the socket is resumed); each read is sized to it, between MIN_READ and
   * the buffer's length. Without it every read is MIN_READ. Asked right
   * after each read, for the next one.
   */
  room?: () => number;
  /** The buffer every read goes into (one per process by default). */
  buffer?: Uint8Array;
  /**
   * Where a read is copied, or, in bulk, read into (a PayloadPool, whose
   * session gives the memory back once acknowledged); by default fresh
   * allocations.
   */
  memory?: ReadMemory;
  /** An mpx stream destination is given this as send()'s `ahead` (what it may queue past its credit). */
  ahead?: number;
}

export class SocketReader {
  /** Pass to `net.connect()` (or `dialTcp`, or `readAcceptedWith()` for an accepted socket) as `onread`. */
  readonly onread: OnReadOpts;
  #target: ReaderTarget | undefined;
  #socket: { resume(): unknown } | undefined;
  /** Reads that came before start(): handed on there. */
  readonly #early: Buffer[] = [];
  #waiting = false;
  /** The last read filled a buffer of BULK_READ bytes or more: the next one goes into memory of its own. */
  #bulk = false;
  /** Memory of its own the next read goes into, or null: the shared buffer. */
  #own: Buffer | null = null;

  readonly #memory: ReadMemory;
  readonly #ahead: number | undefined;

  constructor(options: SocketReaderOptions = {}) {
    const { room = () => 0, buffer = shared } = options;
    this.#memory = options.memory ?? fresh;
    this.#ahead = options.ahead;
    const size = (): number => Math.min(buffer.byteLength, Math.max(MIN_READ, room()));
    const next = (): Uint8Array => {
      const n = size();
      this.#own = this.#bulk && n >= BULK_READ ? this.#memory.take(n) : null;
      return this.#own ?? buffer.subarray(0, n);
    };
    this.onread = { buffer: next, callback: (n, buf) => this.#onRead(n, buf) };
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
    // Read by onread's buffer(), called right after this.
    this.#bulk = n === buf.byteLength && n >= BULK_READ;
    const own = this.#own;
    this.#own = null;
    let chunk: Buffer;
    if (own !== null && buf === own && n * 4 >= own.byteLength) {
      // Read in place: what the read left unfilled is free again.
      chunk = own.subarray(0, n);
      if (n < own.byteLength) this.#memory.release(own.subarray(n));
    } else {
      // The shared buffer, or a short read in a large one: copied out, so that it does not hold that memory.
      chunk = this.#memory.take(n);
      chunk.set(buf.subarray(0, n));
      if (own !== null) this.#memory.release(own);
    }
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
    // An mpx stream takes it through send(): its queue without the Writable's
    // per-chunk work, same credit and backpressure ('drain' alike).
    if (to instanceof MpxStream ? to.send(chunk, this.#ahead) : to.write(chunk)) return true;
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

/**
 * A reader of the socket that feeds `stream` (the server's target, the
 * client's local connection): each read sized to the stream's room within
 * READ_AHEAD (readRoom: after a push-back, the room the read will find once
 * the queue has gone out), into `memory`. Its closure is its own: it lives
 * as long as the stream.
 */
export function readerForStream(stream: MpxStream, memory: ReadMemory): SocketReader {
  return new SocketReader({ room: () => stream.readRoom(READ_AHEAD), memory, ahead: READ_AHEAD });
}
