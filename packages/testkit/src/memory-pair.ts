// An in-memory carrier pair with fault injection, for session tests that must
// not touch sockets. Each end is a stream.Duplex that behaves like a
// net.Socket with `allowHalfOpen: true`:
//
// - ordered and lossless until killed; delivery is always asynchronous;
// - backpressure: bytes pass writer buffer → path (window = highWaterMark) →
//   reader buffer (readableHighWaterMark). A reader that does not read stops
//   the path, write callbacks stop completing, and write() returns false;
// - `end()` → the peer emits 'end' after every earlier byte; the peer may
//   still write back (half-close);
// - clean `destroy()` → like close(): bytes already in the path are still
//   delivered, then the peer sees 'end'. Bytes the peer sends to the
//   destroyed end reset the peer (destroyed with an ECONNRESET error), as a
//   TCP RST would;
// - `destroy(err)` → like an abortive close: in-flight bytes both ways are
//   dropped and the peer is destroyed with an ECONNRESET error;
// - `kill(err)` → both ends destroyed with `err` (default ECONNRESET) at once.
import { Duplex } from 'node:stream';
import type { LinkReader, LinkWriter, WriteCallback } from './memory-link.js';
import { MemoryLink, connectionReset } from './memory-link.js';

export interface MemoryPairOptions {
  /** Writable and readable high-water mark of each end, and the bytes the path holds (default 64 KiB). */
  highWaterMark?: number;
  /** Rate cap per direction in bytes per second (default unlimited). */
  bytesPerSecond?: number;
  /** One-way delay per direction (default 0). */
  latencyMs?: number;
  /** Deliver at most this many bytes per 'data' event (default unlimited). */
  maxChunk?: number;
  /** Seeded random source for `chunkJitter`. */
  random?: () => number;
  /** Cut delivered bytes at random points (from `random`); pieces may also span writes. */
  chunkJitter?: boolean;
}

export interface MemoryPair {
  /** Bytes written to `a` are read from `b` and vice versa. */
  readonly a: Duplex;
  readonly b: Duplex;
  /** Stop delivering both ways without closing (a blackholed path); writers back up. */
  stall(): void;
  unstall(): void;
  /** Abrupt loss of the path: both ends destroyed with `err` (default ECONNRESET); in-flight bytes lost. */
  kill(err?: Error): void;
  setLatency(ms: number): void;
  setRate(bytesPerSecond: number | undefined): void;
  /** Bytes delivered each way so far. */
  readonly stats: { readonly aToB: number; readonly bToA: number };
}

const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

/** One end of the pair: writes go to `outbound`, reads come from `inbound`. */
class MemoryCarrier extends Duplex implements LinkReader, LinkWriter {
  peer: MemoryCarrier | undefined;
  readonly #outbound: MemoryLink;
  readonly #inbound: MemoryLink;

  constructor(highWaterMark: number, outbound: MemoryLink, inbound: MemoryLink) {
    super({ allowHalfOpen: true, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.#outbound = outbound;
    this.#inbound = inbound;
    outbound.writer = this;
    inbound.reader = this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.#outbound.send([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: WriteCallback): void {
    this.#outbound.send(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: WriteCallback): void {
    this.#outbound.sendEof();
    callback();
  }

  override _read(): void {
    this.#inbound.schedule();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error === null) {
      // Clean close: what is in flight still arrives, then end-of-stream.
      this.#outbound.sendEof();
      this.#inbound.schedule();
    } else {
      const reset = connectionReset('read');
      this.#outbound.abort(error);
      this.#inbound.abort(reset);
      const peer = this.peer;
      if (peer !== undefined) setImmediate(() => peer.resetByPeer(reset));
    }
    callback(error);
  }

  isGone(): boolean {
    return this.destroyed;
  }

  hasRoom(): boolean {
    return !this.destroyed && this.readableLength < this.readableHighWaterMark;
  }

  accept(chunk: Buffer): void {
    this.push(chunk);
  }

  acceptEof(): void {
    this.push(null);
  }

  resetByPeer(error: Error = connectionReset('read')): void {
    if (!this.destroyed) this.destroy(error);
  }
}

function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0)) throw new RangeError(`createMemoryPair: ${name} must be >= 0, got ${value}`);
}

function checkPositive(name: string, value: number | undefined): void {
  if (value !== undefined && !(value > 0)) throw new RangeError(`createMemoryPair: ${name} must be > 0, got ${value}`);
}

export function createMemoryPair(options: MemoryPairOptions = {}): MemoryPair {
  checkPositive('highWaterMark', options.highWaterMark);
  checkPositive('bytesPerSecond', options.bytesPerSecond);
  checkNonNegative('latencyMs', options.latencyMs);
  checkPositive('maxChunk', options.maxChunk);
  if (options.chunkJitter === true && options.random === undefined) {
    throw new RangeError('createMemoryPair: chunkJitter needs a seeded `random`');
  }
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const linkOptions = {
    window: highWaterMark,
    latencyMs: options.latencyMs ?? 0,
    bytesPerSecond: options.bytesPerSecond,
    maxChunk: options.maxChunk ?? Infinity,
    jitter: options.chunkJitter === true ? options.random : undefined,
  };
  const aToB = new MemoryLink(linkOptions);
  const bToA = new MemoryLink(linkOptions);
  const a = new MemoryCarrier(highWaterMark, aToB, bToA);
  const b = new MemoryCarrier(highWaterMark, bToA, aToB);
  a.peer = b;
  b.peer = a;
  const links = [aToB, bToA];

  return {
    a,
    b,
    stall: () => links.forEach((link) => link.setStalled(true)),
    unstall: () => links.forEach((link) => link.setStalled(false)),
    kill: (err?: Error) => {
      const error = err ?? connectionReset('read', 'memory pair killed (ECONNRESET)');
      a.destroy(error);
      b.destroy(error);
    },
    setLatency: (ms: number) => {
      checkNonNegative('latencyMs', ms);
      links.forEach((link) => link.setLatency(ms));
    },
    setRate: (bytesPerSecond: number | undefined) => {
      checkPositive('bytesPerSecond', bytesPerSecond);
      links.forEach((link) => link.setRate(bytesPerSecond));
    },
    stats: {
      get aToB() {
        return aToB.delivered;
      },
      get bToA() {
        return bToA.delivered;
      },
    },
  };
}
