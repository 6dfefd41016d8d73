// TLS carriers: the records of a bulk turn are read together. A TLS socket
// hands on every record it decrypts (at most 16 KiB) as a read of its own,
// and Node runs the microtask queue after each, so a session delivered each
// record to its stream's socket on its own: one write per 16 KiB (35 writes
// per MB where plain TCP carriers make 6, and 1.2-1.5 user CPU s/GB where
// they take 0.7-0.9, iperf3 through 2 carriers on loopback).
//
// Only bulk turns gather, those that bring a full record: a lone smaller
// record (a request, an answer) is read at once, as it would wait for
// nothing. Gathering such turns too cost redis-benchmark -c 50 through TLS
// carriers a fifth of its rate.
//
// - Accepted TLS sockets give 'data' (their TLS layer reads the TCP socket,
//   no `onread`): they are marked GATHER_READS, and the session gathers
//   (@mpx/core carrier-link.ts).
// - Dialled ones lend their reads (`onread`, lent-reads.ts), which cannot
//   wait: a full record starts a turn's gathering, copied from the shared
//   buffer into a buffer of the carrier's own, and the records after it are
//   read straight into that buffer behind it; at the end of the turn (or
//   when the buffer has no room for another record) the gathered records
//   are lent to the reader as one read. Kept lent, not given: the TLS
//   layer already holds the next part of the buffer to read into. 'data'
//   for them instead (a buffer per record, no copy) cost small requests
//   more than it saved.
import type { OnReadOpts, Socket } from 'node:net';
import { GATHER_FROM_BYTES, GATHER_READS, LEND_READS, type LendsReads } from '@mpx/core';
import { sharedReadBuffer, type LentReads } from './lent-reads.js';

/** A full record: the largest TLS record's plaintext, the rule the session gathers 'data' by too (GATHER_FROM_BYTES). */
const FULL_RECORD = GATHER_FROM_BYTES;
/** A dialled carrier's gathering buffer. Rationale: eight records per read lent, 128 KiB per carrier that moves bulk. */
export const GATHER_SIZE = 128 * 1024;

/** Marks an accepted TLS carrier's reads to be gathered per turn by the session. */
export function gatherReads(socket: Socket): void {
  Object.defineProperty(socket, GATHER_READS, { value: true });
}

/** `onread` for a dialled TLS socket: its reads lent, a bulk turn's records gathered into one (see the top). */
export function gatheredLentReads(): LentReads {
  let socket: Socket | undefined;
  let borrower: ((chunk: Uint8Array, kept: boolean) => void) | undefined;
  /** The carrier's own buffer, from its first full record on. */
  let own: Buffer | null = null;
  /** own[start, end): read, not lent yet. */
  let start = 0;
  let end = 0;
  /** The part of `own` the next read goes into, or null: the shared buffer. */
  let region: Uint8Array | null = null;
  /** A full record came this turn. */
  let gathering = false;
  let turnEndSet = false;

  const lend = (): void => {
    if (end === start || borrower === undefined || own === null) return;
    const chunk = own.subarray(start, end);
    start = end;
    borrower(chunk, false);
  };
  const turnEnd = (): void => {
    turnEndSet = false;
    gathering = false;
    lend();
  };
  const next = (): Uint8Array => {
    if (!gathering || own === null) {
      region = null;
      return sharedReadBuffer;
    }
    if (own.byteLength - end < FULL_RECORD) {
      lend();
      start = end = 0;
    }
    region = own.subarray(end);
    return region;
  };
  const callback = (n: number, buf: Uint8Array): boolean => {
    if (borrower === undefined) {
      // Not borrowed yet: an ordinary Duplex (see lent-reads.ts). Nothing is gathered before.
      return socket?.push(Buffer.from(buf.subarray(0, n))) ?? false;
    }
    if (buf === region) {
      end += n;
    } else if (n >= FULL_RECORD) {
      own ??= Buffer.allocUnsafeSlow(GATHER_SIZE);
      // Nothing waits in `own` when a read comes into the shared buffer (next()).
      start = end = 0;
      own.set(buf.subarray(0, n));
      end = n;
    } else {
      borrower(buf.subarray(0, n), false);
      return true;
    }
    if (!gathering && n < FULL_RECORD) {
      // Into `own` after its turn ended: a small read goes at once.
      lend();
      return true;
    }
    gathering = true;
    if (!turnEndSet) {
      turnEndSet = true;
      setImmediate(turnEnd);
    }
    return true;
  };
  const onread: OnReadOpts = { buffer: next, callback };
  return {
    onread,
    install(s: Socket): void {
      socket = s;
      // What was gathered goes before the end of the stream and its close.
      s.prependListener('end', lend);
      s.prependListener('close', lend);
      const lendReads: LendsReads[typeof LEND_READS] = (onChunk) => {
        borrower = onChunk;
      };
      Object.defineProperty(s, LEND_READS, { value: lendReads });
    },
  };
}
