// Reads of a dialled TCP or TLS carrier with Node's `onread` into one buffer
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
// Until a reader borrows the reads, each read is copied and pushed to the
// readable side, so the socket is an ordinary Duplex for anyone else (the
// conformance suite, a caller that never hands it to mpx).
import type { OnReadOpts, Socket } from 'node:net';
import { LEND_READS, type LendsReads } from '@mpx/core';

/** Rationale: libuv's own read size for 'data' events; a carrier read is rarely larger on loopback. */
export const LENT_READ_SIZE = 64 * 1024;

const shared = Buffer.allocUnsafeSlow(LENT_READ_SIZE);

export interface LentReads {
  /** Pass to `net.connect()` / `tls.connect()` as `onread`. */
  readonly onread: OnReadOpts;
  /** Gives the socket opened with `onread` its LEND_READS method. */
  install(socket: Socket): void;
}

export function lentReads(buffer: Uint8Array = shared): LentReads {
  let socket: Socket | undefined;
  let borrower: ((chunk: Uint8Array) => void) | undefined;
  const callback = (n: number, buf: Uint8Array): boolean => {
    if (borrower !== undefined) {
      borrower(buf.subarray(0, n));
      return true;
    }
    // push() returning false stops reads until the readable side is read, as with 'data'.
    return socket?.push(Buffer.from(buf.subarray(0, n))) ?? false;
  };
  return {
    onread: { buffer, callback },
    install(s: Socket): void {
      socket = s;
      const lend: LendsReads[typeof LEND_READS] = (onChunk) => {
        borrower = onChunk;
      };
      Object.defineProperty(s, LEND_READS, { value: lend });
    },
  };
}
