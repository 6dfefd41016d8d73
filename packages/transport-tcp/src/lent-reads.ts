// Reads of a TCP or TLS carrier with Node's `onread` into one buffer
// shared by every carrier of the process, lent to the carrier's reader
// (LEND_READS, @mpx/core transport.ts) instead of a fresh buffer per read.
//
// Why: with 'data' events libuv reads into a new 64 KiB backing store each
// time, counted by V8 as external memory; at a few hundred MB/s those dead
// reads were what drove the process into back-to-back full collections
// (docs/decisions/0001-no-heap-ballast.md). Lent, a read is parsed in place
// and only what outlives it (each DATA payload, a frame cut by the end of the
// read) is copied, by the decoder.
//
// One buffer serves every carrier: libuv calls the callback right after each
// read, and the reader copies out what it keeps before it returns, so no read
// can overwrite bytes still needed.
//
// Bulk: once a read filled the whole buffer, the next read goes into a
// block of @mpx/core's readBlocks, which the reader keeps (LEND_READS'
// `kept`): the DATA payloads in it are handed on as views of it, not copied
// (the decoder copies a payload that is less than a quarter of the read, so
// that a small one never pins a whole read). On a bulk download those copies
// and their allocations were a fifth of the receiving client's CPU (memmove
// and malloc). The block is read into again once the session and the
// payloads' consumers are done with it (read-blocks.ts); a fresh buffer per
// read cost the receiver a full collection every ~200 ms
// (docs/decisions/0014). Only after a full read, and until two reads in a
// row did not fill their buffer: a carrier waiting for its next read holds
// that block, and an idle or interactive one (whose reads do not fill it)
// holds none once its burst is over.
//
// Accepted plain TCP sockets are read the same way (accepted-reads.ts).
//
// Until a reader borrows the reads, each read is copied and pushed to the
// readable side, so the socket is an ordinary Duplex for anyone else (the
// conformance suite, a caller that never hands it to mpx).
import type { OnReadOpts, Socket } from 'node:net';
import { LEND_READS, readBlocks, type LendsReads } from '@mpx/core';

/** Rationale: libuv's own read size for 'data' events; a carrier read is rarely larger on loopback. */
export const LENT_READ_SIZE = 64 * 1024;

/**
 * Reads in a row that did not fill their buffer after which reads go to the
 * shared buffer again. Rationale: a bulk frame (a 64 KiB payload and its
 * 20-byte prefix) is a little longer than a read, so a reader that keeps
 * pace reads a full buffer, then the frame's last bytes, and so on; leaving
 * at the first short read sent every other read to the shared buffer, where
 * each payload cut by the read's end was copied out (64 KiB and an
 * allocation per frame, and a full collection every ~200 ms on the
 * receiving side of an iperf3 upload).
 */
export const SHORT_READS_TO_LEAVE = 2;

/** The buffer every carrier of the process reads into while its reads are lent. */
export const sharedReadBuffer = Buffer.allocUnsafeSlow(LENT_READ_SIZE);

export interface LentReads {
  /** Pass to `net.connect()` / `tls.connect()` as `onread`. */
  readonly onread: OnReadOpts;
  /** Gives the socket opened with `onread` its LEND_READS method. */
  install(socket: Socket): void;
}

/**
 * Where a lending socket's reads go (see the top): `buffer`, shared, or,
 * from a read that filled its buffer until SHORT_READS_TO_LEAVE reads in a
 * row did not, a buffer of the reader's own (a
 * block of readBlocks when `buffer` is a block's size), which it keeps.
 * Also used by @mpx/transport-ws for the WebSocket carriers it reads.
 */
export class LentReadBuffers {
  readonly #buffer: Uint8Array;
  /** The buffer of its own the next read goes into, or null: `#buffer`. */
  #own: Uint8Array | null = null;
  /** Reads in a row, since the last full one, that did not fill their buffer (at most SHORT_READS_TO_LEAVE). */
  #short = SHORT_READS_TO_LEAVE;

  constructor(buffer: Uint8Array = sharedReadBuffer) {
    this.#buffer = buffer;
  }

  /** `onread`'s buffer: Node calls it once when the socket's handle is set up, then right after each read's callback. */
  readonly next = (): Uint8Array => {
    const size = this.#buffer.byteLength;
    this.#own = this.#short < SHORT_READS_TO_LEAVE ? (size === readBlocks.blockSize ? readBlocks.take() : Buffer.allocUnsafeSlow(size)) : null;
    return this.#own ?? this.#buffer;
  };

  /** Notes a read of `n` bytes into `buf` (call first in `onread`'s callback); true when `buf` is the reader's to keep. */
  read(n: number, buf: Uint8Array): boolean {
    if (n === buf.byteLength) this.#short = 0;
    else if (this.#short < SHORT_READS_TO_LEAVE) this.#short++;
    return buf === this.#own;
  }
}

export function lentReads(buffer: Uint8Array = sharedReadBuffer): LentReads {
  let socket: Socket | undefined;
  let borrower: ((chunk: Uint8Array, kept: boolean) => void) | undefined;
  const buffers = new LentReadBuffers(buffer);
  const callback = (n: number, buf: Uint8Array): boolean => {
    const kept = buffers.read(n, buf);
    if (borrower !== undefined) {
      borrower(buf.subarray(0, n), kept);
      return true;
    }
    // push() returning false stops reads until the readable side is read, as with 'data'.
    return socket?.push(kept ? Buffer.from(buf.buffer, buf.byteOffset, n) : Buffer.from(buf.subarray(0, n))) ?? false;
  };
  return {
    onread: { buffer: buffers.next, callback },
    install(s: Socket): void {
      socket = s;
      const lend: LendsReads[typeof LEND_READS] = (onChunk) => {
        borrower = onChunk;
      };
      Object.defineProperty(s, LEND_READS, { value: lend });
    },
  };
}
