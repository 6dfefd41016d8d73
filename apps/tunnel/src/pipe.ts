// Bidirectional piping with half-close preserved: when one side ends, the
// other side's writable is ended (FIN for a socket, FIN frame for an mpx
// stream) while the opposite direction keeps flowing, as `shutdown(SHUT_WR)`
// does. Backpressure as Node's pipe() has it (Splice.relay() below). Both sides must be half-open capable
// (`allowHalfOpen: true`). No idle timeout: an idle connection stays up.
// A failure on either side never passes on as an end: the other side is
// aborted (a RST for a socket, RESET for a stream), see Splice.onEnd().
// Between an mpx stream and a socket (the tunnel's normal case) the bytes
// skip the stream's Readable and Writable: see Splice.sinkTo() and relay().
import { Socket } from 'node:net';
import { ByteCount, MpxStream, readBlocks, type StreamSink } from '@mpx/core';
import type { Duplex } from 'node:stream';
import type { SocketReader } from './socket-reader.js';
import { endSeenAs } from './socket-end.js';

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

/** A splice as its abort sees it: its two sides and the bytes read from each and handed to the other. */
export interface SpliceState {
  readonly a: Duplex;
  readonly b: Duplex;
  readonly aToB: number;
  readonly bToA: number;
}

export interface SpliceOptions {
  /** Called for every chunk, for live byte counters. */
  onBytes?: (direction: 'aToB' | 'bToA', n: number) => void;
  /**
   * How to tear down `other` after `failed` raised `err` or closed before
   * finishing both directions. Default: other.destroy(). `other` is no
   * longer piped anywhere (and paused): an abort that ends it gracefully
   * should resume() it so that it can see the peer's end and close.
   * `state`: both sides and the bytes each handed on so far.
   */
  abort?: (other: Duplex, err: Error | undefined, failed: Side, state: SpliceState) => void;
  /**
   * a (or b) is read with this reader's `onread`: a → b (b → a) goes through
   * it (reads into a reused buffer, stopped as soon as the other side pushes
   * back) instead of relay().
   */
  aReader?: SocketReader;
  bReader?: SocketReader;
}

/** Pipes a ⇄ b until both have closed; never rejects. */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<SpliceResult> {
  return new Promise((resolve) => new Splice(a, b, options, resolve).start());
}

/**
 * A delivery of one chunk this large or larger (a DATA frame's full payload)
 * stays corked to the end of the turn (Splice.flush()). Rationale: a bulk
 * stream striped over several carriers is delivered once per carrier read,
 * a payload at a time, and each write to the application's socket cost a
 * system call and a wake-up of its reader; with 256 connections fetching
 * 64 KiB answers through 4 carriers, corked to the turn's end the client
 * made 5.4 system calls per answer instead of 6.2. Smaller lone chunks are
 * requests and answers, written at once.
 */
export const TURN_CORK_BYTES = 16 * 1024;

const PROBE = Buffer.alloc(0);

/** The splice each side belongs to: the listeners below are shared by every splice and find theirs here. */
const SPLICE = Symbol('mpx.splice');
type Spliced = Duplex & { [SPLICE]?: Splice };

/**
 * One spliced pair. Its listeners are module functions shared by every
 * splice (`this` is the emitting side, which points back here), and it is
 * its own stream sink: at 10,000 connections the closures of a splice per
 * connection (~13 closures and their contexts, ~1.1 KB) were 11 MB.
 */
class Splice implements StreamSink, SpliceState {
  /** Bytes read from a (from b) and handed on, as small integers however many pass. */
  readonly fromA = new ByteCount();
  readonly fromB = new ByteCount();
  error: Error | undefined;
  errorSide: Side | undefined;
  closed = 0;
  /** relay(): a → b (or b → a) is paused until its destination drains. */
  waitingA = false;
  waitingB = false;
  /** The socket an mpx stream's bytes go straight into (sinkTo()), if one does. */
  sinkSocket: Socket | null = null;
  /** The first chunk of a delivery waits here; a second one corks the socket. */
  held: Uint8Array | null = null;
  /** sinkSocket is corked, and uncorkSink() is scheduled for the end of the turn (corkToTurnEnd()). */
  corked = false;
  /** Chunks of `readBlocks` written to sinkSocket, in write order, until it has written them (sinkWrite()). */
  written: Uint8Array[] | null = null;
  /** The write callback of those chunks (one per splice, made on first use). */
  afterWrite: (() => void) | null = null;

  constructor(
    readonly a: Duplex,
    readonly b: Duplex,
    readonly options: SpliceOptions,
    readonly resolve: (result: SpliceResult) => void,
  ) {}

  start(): void {
    const { a, b } = this;
    (a as Spliced)[SPLICE] = this;
    (b as Spliced)[SPLICE] = this;
    a.on('error', onError);
    b.on('error', onError);
    for (const s of [a, b]) {
      if (closeEmitted(s)) queueMicrotask(() => this.onClose(s));
      // on, not once: 'close' comes once, and once() costs a wrapper per listener (~200 bytes each, 10,000s of connections).
      else s.on('close', onClose);
    }
    const { aReader, bReader } = this.options;
    if (aReader === undefined) this.pass(a, b);
    else aReader.start(a, { to: b, onBytes: (n) => this.count(a, n) });
    if (bReader === undefined) this.pass(b, a);
    else bReader.start(b, { to: a, onBytes: (n) => this.count(b, n) });
    // on, not once: 'end' comes once (see above).
    a.on('end', onEnd);
    b.on('end', onEnd);
  }

  get aToB(): number {
    return this.fromA.value;
  }

  get bToA(): number {
    return this.fromB.value;
  }

  other(side: Duplex): Duplex {
    return side === this.a ? this.b : this.a;
  }

  /** Bytes read from `from` and handed on. */
  count(from: Duplex, n: number): void {
    const direction = from === this.a ? 'aToB' : 'bToA';
    if (direction === 'aToB') this.fromA.add(n);
    else this.fromB.add(n);
    this.options.onBytes?.(direction, n);
  }

  abort(other: Duplex, err: Error | undefined, failed: Side): void {
    if (this.options.abort === undefined) other.destroy();
    else this.options.abort(other, err, failed, this);
  }

  onError(side: Duplex, err: Error): void {
    const name: Side = side === this.a ? 'a' : 'b';
    if (this.error === undefined) {
      this.error = err;
      this.errorSide = name;
    }
    const other = this.other(side);
    if (!other.destroyed) this.abort(other, err, name);
  }

  onClose(side: Duplex): void {
    const name: Side = side === this.a ? 'a' : 'b';
    const other = this.other(side);
    // Closed without finishing both directions (destroyed, reset): the other
    // side cannot complete either. A clean close leaves the other to finish.
    const clean = side.readableEnded && side.writableFinished;
    if (!clean && !other.destroyed && (name !== this.errorSide || this.error === undefined)) this.abort(other, this.error, name);
    if (++this.closed === 2) {
      const { aToB, bToA, error, errorSide } = this;
      this.resolve({ aToB, bToA, ...(error === undefined ? {} : { error, errorSide: errorSide }) });
    }
  }

  /** One direction: sinkTo() from an mpx stream to a socket, else relay(). */
  pass(from: Duplex, to: Duplex): void {
    if (from instanceof MpxStream && to instanceof Socket) this.sinkTo(from, to);
    else this.relay(from, to);
  }

  /**
   * An mpx stream's received bytes straight into a socket (attachSink): no
   * push(), no 'data', no pause()/resume(). The stream holds what the socket
   * does not take (write() returning false) until 'drain', and returns no
   * credit for it meanwhile (SPEC §7), as relay() pausing it did. The stream
   * delivers once per carrier read: a lone chunk (a small request or answer)
   * is written as it is; several (a bulk read's payloads), or one full
   * payload, leave corked, with the turn's later deliveries, in one writev
   * once the turn's I/O callbacks are done (flush()). Once the socket is
   * destroyed nothing more is written and the stream stays held.
   */
  sinkTo(from: MpxStream, to: Socket): void {
    this.sinkSocket = to;
    to.on('drain', onDrain);
    from.attachSink(this);
  }

  /** StreamSink: the sink stream's next in-order bytes. */
  write(chunk: Uint8Array): boolean {
    const to = this.sinkSocket as Socket;
    this.count(this.other(to), chunk.byteLength);
    if (to.destroyed) return false;
    if (this.held === null && !this.corked) {
      this.held = chunk;
      // What write() will answer (Writable: its buffer below the high-water mark).
      return to.writableLength + chunk.byteLength < to.writableHighWaterMark;
    }
    if (this.held !== null) {
      this.corkToTurnEnd(to);
      this.sinkWrite(to, this.held);
      this.held = null;
    }
    return this.sinkWrite(to, chunk);
  }

  /** Corks the sink socket until the turn's I/O callbacks are done (uncorkSink()). */
  corkToTurnEnd(to: Socket): void {
    to.cork();
    this.corked = true;
    setImmediate(uncorkSink, this);
  }

  /**
   * A write to the sink socket. A chunk in memory of `readBlocks` (a view of
   * a kept carrier read, @mpx/core read-blocks.ts) is released once the
   * socket has written it, so that its block is read into again instead of
   * a new one allocated. Node calls write callbacks in the order of the
   * writes (after an error too), so one callback and a queue serve them all.
   */
  sinkWrite(to: Socket, chunk: Uint8Array): boolean {
    if (!readBlocks.owns(chunk)) return to.write(chunk);
    (this.written ??= []).push(chunk);
    return to.write(chunk, (this.afterWrite ??= () => this.wrote()));
  }

  /** The sink socket is done with the oldest chunk in `written`. */
  wrote(): void {
    const chunk = (this.written as Uint8Array[]).shift();
    if (chunk !== undefined) readBlocks.release(chunk);
  }

  /**
   * StreamSink: the end of a delivery. A lone chunk below TURN_CORK_BYTES (a
   * request, an answer) is written at once; the chunks of a bulk delivery
   * stay corked until the turn's I/O callbacks are done, with those of the
   * turn's later deliveries to the same socket (the other carriers' reads).
   */
  flush(): void {
    const to = this.sinkSocket as Socket;
    const held = this.held;
    if (held !== null) {
      this.held = null;
      if (to.destroyed) return;
      if (held.byteLength < TURN_CORK_BYTES) {
        this.sinkWrite(to, held);
        return;
      }
      this.corkToTurnEnd(to);
      this.sinkWrite(to, held);
    }
  }

  /** The turn is over: what its deliveries wrote leaves in one writev. */
  uncorkSink(): void {
    this.corked = false;
    (this.sinkSocket as Socket).uncork();
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
  relay(from: Duplex, to: Duplex): void {
    to.on('drain', onDrain);
    from.on('data', onData);
    // As pipe() starts: a source paused before (a proxy handshake read from it) flows again.
    if (to.writableNeedDrain) {
      this.setWaiting(from, true);
      from.pause();
    } else if (from.readableFlowing !== true) {
      from.resume();
    }
  }

  setWaiting(from: Duplex, waiting: boolean): void {
    if (from === this.a) this.waitingA = waiting;
    else this.waitingB = waiting;
  }

  onData(from: Duplex, chunk: Buffer): void {
    this.count(from, chunk.length);
    const to = this.other(from);
    if (to.destroyed) {
      from.pause();
      return;
    }
    if (!(to instanceof MpxStream ? to.send(chunk) : corkedWrite(to, chunk))) {
      this.setWaiting(from, true);
      from.pause();
    }
  }

  onDrain(to: Duplex): void {
    const from = this.other(to);
    if (to === this.sinkSocket) {
      (from as MpxStream).sinkDrained();
      return;
    }
    if (!(from === this.a ? this.waitingA : this.waitingB)) return;
    this.setWaiting(from, false);
    from.resume();
  }

  /**
   * Passes `from`'s end (FIN) on to its other side, but only a real one.
   * Linux reports a peer's RST that arrives while received bytes still wait
   * to be read as a clean end of file once they are read (read() returns 0).
   * socket-end.ts asks the kernel which it was; after a reset, `from` is
   * destroyed with that error, and splice aborts the other side instead of
   * ending it. Where the descriptor cannot be asked, a zero-byte write
   * through the socket tells the two apart while our direction is open
   * (after a FIN it succeeds; after a RST it fails, ECONNRESET); when it is
   * not, the end passes on as it came.
   */
  onEnd(from: Duplex): void {
    const to = this.other(from);
    if (from instanceof Socket) {
      const seen = endSeenAs(from);
      if (seen !== undefined && seen !== 'fin') {
        from.destroy(seen);
        return;
      }
      if (seen === undefined && from.writable) {
        from.write(PROBE, (err) => {
          if (err === undefined || err === null) to.end();
        });
        return;
      }
    }
    to.end();
  }
}

// The shared listeners: `this` is the side that emitted.
function spliceOf(side: Duplex): Splice {
  return (side as Spliced)[SPLICE] as Splice;
}
function onError(this: Duplex, err: Error): void {
  spliceOf(this).onError(this, err);
}
function onClose(this: Duplex): void {
  spliceOf(this).onClose(this);
}
function onEnd(this: Duplex): void {
  spliceOf(this).onEnd(this);
}
function onData(this: Duplex, chunk: Buffer): void {
  spliceOf(this).onData(this, chunk);
}
function onDrain(this: Duplex): void {
  spliceOf(this).onDrain(this);
}
function uncorkSink(splice: Splice): void {
  splice.uncorkSink();
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
