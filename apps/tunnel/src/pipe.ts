// Bidirectional piping with half-close preserved: when one side ends, the
// other side's writable is ended (FIN for a socket, FIN frame for an mpx
// stream) while the opposite direction keeps flowing, as `shutdown(SHUT_WR)`
// does. Backpressure as Node's pipe() has it (relay() below). Both sides must be half-open capable
// (`allowHalfOpen: true`). No idle timeout: an idle connection stays up.
// A failure on either side never passes on as an end: the other side is
// aborted (a RST for a socket, RESET for a stream), see forwardEnd().
// Between an mpx stream and a socket (the tunnel's normal case) the bytes
// skip the stream's Readable and Writable: see sinkTo() and relay().
import { Socket } from 'node:net';
import { MpxStream, type StreamSink } from '@mpx/core';
import type { Duplex } from 'node:stream';
import type { SocketReader } from './socket-reader.js';

export type Side = 'a' | 'b';

/**
 * Write buffer of the tunnel's local sockets (the application's and the
 * target's), bytes. Rationale: Node's default of 16 KiB is one stream frame,
 * so relay() below would pause after every payload and could
 * never gather more than one; 256 KiB lets a read's worth of frames (and
 * more) leave in one writev.
 */
export const SOCKET_WRITE_BUFFER = 256 * 1024;

export interface SpliceResult {
  /** Bytes read from a and handed to b, and the reverse. */
  readonly aToB: number;
  readonly bToA: number;
  /** The first error either side raised, and which side it was. */
  readonly error?: Error;
  readonly errorSide?: Side;
}

export interface SpliceOptions {
  /** Called for every chunk, for live byte counters. */
  onBytes?: (direction: 'aToB' | 'bToA', n: number) => void;
  /**
   * How to tear down `other` after `failed` raised `err` or closed before
   * finishing both directions. Default: other.destroy(). `other` is no
   * longer piped anywhere (and paused): an abort that ends it gracefully
   * should resume() it so that it can see the peer's end and close.
   */
  abort?: (other: Duplex, err: Error | undefined, failed: Side) => void;
  /**
   * b was opened with this reader's `onread`: b → a goes through it (reads
   * into a reused buffer, stopped as soon as a pushes back) instead of relay().
   */
  bReader?: SocketReader;
}

/** Pipes a ⇄ b until both have closed; never rejects. */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<SpliceResult> {
  const abort = options.abort ?? ((other: Duplex) => other.destroy());
  return new Promise((resolve) => {
    let aToB = 0;
    let bToA = 0;
    let error: Error | undefined;
    let errorSide: Side | undefined;
    let closed = 0;

    const count =
      (direction: 'aToB' | 'bToA') =>
      (n: number): void => {
        if (direction === 'aToB') aToB += n;
        else bToA += n;
        options.onBytes?.(direction, n);
      };
    const countA = count('aToB');
    const countB = count('bToA');
    const onError =
      (side: Side) =>
      (err: Error): void => {
        if (error === undefined) {
          error = err;
          errorSide = side;
        }
        const other = side === 'a' ? b : a;
        if (!other.destroyed) abort(other, err, side);
      };
    const onClose = (side: Side) => (): void => {
      const self = side === 'a' ? a : b;
      const other = side === 'a' ? b : a;
      // Closed without finishing both directions (destroyed, reset): the other
      // side cannot complete either. A clean close leaves the other to finish.
      const clean = self.readableEnded && self.writableFinished;
      if (!clean && !other.destroyed && (side !== errorSide || error === undefined)) abort(other, error, side);
      if (++closed === 2) {
        resolve({ aToB, bToA, ...(error === undefined ? {} : { error, errorSide: errorSide as Side }) });
      }
    };

    a.on('error', onError('a'));
    b.on('error', onError('b'));
    for (const [side, s] of [
      ['a', a],
      ['b', b],
    ] as const) {
      if (closeEmitted(s)) queueMicrotask(onClose(side));
      // on, not once: 'close' comes once, and once() costs a wrapper per listener (~200 bytes each, 10,000s of connections).
      else s.on('close', onClose(side));
    }
    pass(a, b, countA);
    if (options.bReader === undefined) {
      pass(b, a, countB);
    } else {
      options.bReader.start(b, { to: a, onBytes: countB });
    }
    forwardEnd(a, b);
    forwardEnd(b, a);
  });
}

/** One direction: sinkTo() from an mpx stream to a socket, else relay(). */
function pass(from: Duplex, to: Duplex, onBytes: (n: number) => void): void {
  if (from instanceof MpxStream && to instanceof Socket) sinkTo(from, to, onBytes);
  else relay(from, to, onBytes);
}

/**
 * An mpx stream's received bytes straight into a socket (attachSink): no
 * push(), no 'data', no pause()/resume(). The stream holds what the socket
 * does not take (write() returning false) until 'drain', and returns no
 * credit for it meanwhile (SPEC §7), as relay() pausing it did. The stream
 * delivers once per carrier read: a lone chunk (a small request or answer)
 * is written as it is, several (a bulk read's payloads) leave corked, in one
 * writev. Once the socket is destroyed nothing more is written and the
 * stream stays held.
 */
function sinkTo(from: MpxStream, to: Socket, onBytes: (n: number) => void): void {
  // The first chunk of a delivery waits here; a second one corks the socket.
  let held: Uint8Array | null = null;
  let corked = false;
  const sink: StreamSink = {
    write(chunk: Uint8Array): boolean {
      onBytes(chunk.byteLength);
      if (to.destroyed) return false;
      if (held === null && !corked) {
        held = chunk;
        // What write() will answer (Writable: its buffer below the high-water mark).
        return to.writableLength + chunk.byteLength < to.writableHighWaterMark;
      }
      if (held !== null) {
        to.cork();
        corked = true;
        to.write(held);
        held = null;
      }
      return to.write(chunk);
    },
    flush(): void {
      if (held !== null) {
        const chunk = held;
        held = null;
        if (!to.destroyed) to.write(chunk);
      } else if (corked) {
        corked = false;
        to.uncork();
      }
    },
  };
  to.on('drain', () => from.sinkDrained());
  from.attachSink(sink);
}

const PROBE = Buffer.alloc(0);

/**
 * Passes `from`'s end (FIN) on to `to`, but only a real one. Linux reports a
 * peer's RST that arrives while received bytes still wait to be read as a
 * clean end of file once they are read (read() returns 0). A zero-byte
 * write tells them apart: after a FIN our direction is still open and it
 * succeeds; after a RST it fails (ECONNRESET), the socket is destroyed with
 * that error, and splice aborts the other side instead of ending it. When
 * `from` cannot be written any more (its direction already ended), its end
 * passes on as it came.
 */
function forwardEnd(from: Duplex, to: Duplex): void {
  // on, not once: 'end' comes once (see splice).
  from.on('end', () => {
    if (!(from instanceof Socket) || !from.writable) {
      to.end();
      return;
    }
    from.write(PROBE, (err) => {
      if (err === undefined || err === null) to.end();
    });
  });
}

/**
 * Hands every chunk `from` emits to `to`, pausing `from` while `to` pushes
 * back and resuming it on 'drain': what pipe() does, without its state per
 * pipe (about ten closures and two once-listeners, ~1.5 KB a direction: at
 * 10,000 connections, tens of MB). Chunks emitted within one tick reach `to`
 * in one write: an mpx stream delivers a frame's payload at a time (16 KiB),
 * and a socket write per payload would cost a system call each. Corked, they
 * leave as one writev when the tick ends. An mpx stream is not corked: its
 * writes only queue (frames leave once per tick anyway), and corked, every
 * write would push back (its high-water mark is 1 byte, SPEC §7.4); chunks
 * go to its send() instead of write(), its queue without the Writable's
 * per-chunk work (same credit and backpressure, 'drain' alike). Once `to`
 * is destroyed nothing more is written and `from` stays paused, as pipe()
 * unpiped it.
 */
function relay(from: Duplex, to: Duplex, onBytes: (n: number) => void): void {
  const stream = to instanceof MpxStream ? to : null;
  let waiting = false;
  to.on('drain', () => {
    if (!waiting) return;
    waiting = false;
    from.resume();
  });
  from.on('data', (chunk: Buffer) => {
    onBytes(chunk.length);
    if (to.destroyed) {
      from.pause();
      return;
    }
    if (!(stream === null ? corkedWrite(to, chunk) : stream.send(chunk))) {
      waiting = true;
      from.pause();
    }
  });
  // As pipe() starts: a source paused before (a proxy handshake read from it) flows again.
  if (to.writableNeedDrain) {
    waiting = true;
    from.pause();
  } else if (from.readableFlowing !== true) {
    from.resume();
  }
}

/** write(), corked until the end of the tick: the writes of one tick leave in one writev. */
function corkedWrite(to: Duplex, chunk: Uint8Array): boolean {
  if (to.writableCorked === 0) {
    to.cork();
    process.nextTick(uncork, to);
  }
  return to.write(chunk);
}

function uncork(stream: Duplex): void {
  stream.uncork();
}

interface StreamStates {
  _readableState?: { closeEmitted?: boolean };
  _writableState?: { closeEmitted?: boolean };
}

/** True once 'close' has been emitted (a listener added now would never run). */
function closeEmitted(stream: Duplex): boolean {
  const states = stream as unknown as StreamStates;
  return states._readableState?.closeEmitted === true || states._writableState?.closeEmitted === true;
}

/**
 * Aborts a TCP connection the way the far end's abort arrived: with a RST
 * (`resetAndDestroy`), so that the application sees a reset, not a clean EOF.
 * Falls back to destroy() for anything that is not a connected TCP socket.
 */
export function abortSocket(socket: Duplex): void {
  if (socket.destroyed) return;
  if (socket instanceof Socket && !socket.connecting) {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // not a TCP handle (e.g. a pipe): destroy below
    }
  }
  socket.destroy();
}
