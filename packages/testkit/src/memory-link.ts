// One direction of an in-memory carrier pair: the "network path" between a
// writer end and a reader end. It holds the bytes in flight, paces them
// (latency, rate cap, re-chunking), stalls, and hands them to the reader only
// as fast as the reader's buffer takes them. No per-byte work: buffers pass
// through as views unless jitter asks for coalescing.
import { performance } from 'node:perf_hooks';
import type { RandomSource } from './seeded-random.js';
import { randomInt } from './seeded-random.js';

/** The reading end, as the link sees it. */
export interface LinkReader {
  /** Destroyed: bytes arriving now are answered with a reset. */
  isGone(): boolean;
  /** Whether the reader's buffer has room (below its readable high-water mark). */
  hasRoom(): boolean;
  /** Push bytes to the reader. */
  accept(chunk: Buffer): void;
  /** Push end-of-stream to the reader. */
  acceptEof(): void;
}

/** The writing end, as the link sees it. */
export interface LinkWriter {
  /** Bytes reached a destroyed reader: the writer is reset (like a TCP RST). */
  resetByPeer(): void;
}

export type WriteCallback = (error?: Error | null) => void;

export interface LinkOptions {
  /** Bytes the path itself holds before write callbacks stop completing. */
  window: number;
  latencyMs: number;
  bytesPerSecond: number | undefined;
  /** Largest piece delivered in one push (Infinity: no limit). */
  maxChunk: number;
  /** When set, delivered pieces are cut at random sizes (and may span writes). */
  jitter: RandomSource | undefined;
}

interface Entry {
  /** `null` is end-of-stream. */
  readonly buf: Buffer | null;
  /** performance.now() time from which it may be delivered (0: at once). */
  readonly dueAt: number;
}

/** Rationale: one pump never delivers much more than this before yielding, so both directions and timers progress. */
const PUMP_BUDGET = 1024 * 1024;
/** Rationale: with jitter and no maxChunk, pieces are at most this large. */
const JITTER_DEFAULT_MAX = 64 * 1024;
/** Rationale: under a rate cap, deliver in pieces of about 10 ms worth of bytes. */
const RATE_PIECE_SECONDS = 0.01;
const EMPTY = Buffer.alloc(0);

export class MemoryLink {
  /** Bytes delivered to the reader so far. */
  delivered = 0;
  reader: LinkReader | undefined;
  writer: LinkWriter | undefined;

  #latencyMs: number;
  #bytesPerSecond: number | undefined;
  #stalled = false;
  #aborted = false;
  #eofQueued = false;
  readonly #queue: (Entry | undefined)[] = [];
  #head = 0;
  #headOffset = 0;
  #inFlight = 0;
  #heldCallback: WriteCallback | null = null;
  #lastDueAt = 0;
  #nextFreeAt = 0;
  #immediate: NodeJS.Immediate | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly #options: LinkOptions;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.#latencyMs = options.latencyMs;
    this.#bytesPerSecond = options.bytesPerSecond;
  }

  /**
   * Take bytes from the writer. `callback` completes once the path holds at
   * most its window. The bytes are copied, as a kernel copies what write()
   * is given: a writer may reuse its buffer once the write completed.
   */
  send(chunks: readonly Buffer[], callback: WriteCallback): void {
    if (this.#aborted || this.#eofQueued) {
      callback();
      return;
    }
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.#queue.push({ buf: Buffer.from(chunk), dueAt: this.#nextDueAt() });
      this.#inFlight += chunk.length;
    }
    // Like a kernel send buffer: the write completes once the path holds at
    // most a window of bytes, so a reader that does not read stops the writer.
    if (this.#inFlight <= this.#options.window) callback();
    else this.#heldCallback = callback;
    this.schedule();
  }

  /** The writer finished (or closed cleanly): end-of-stream follows the bytes in flight. */
  sendEof(): void {
    if (this.#aborted || this.#eofQueued) return;
    this.#eofQueued = true;
    this.#queue.push({ buf: null, dueAt: this.#nextDueAt() });
    this.schedule();
  }

  /** Drop everything in flight; a held write callback completes with `error`. */
  abort(error: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#cancelWakeups();
    this.#queue.length = 0;
    this.#head = 0;
    this.#headOffset = 0;
    this.#inFlight = 0;
    const held = this.#heldCallback;
    this.#heldCallback = null;
    held?.(error);
  }

  setStalled(stalled: boolean): void {
    this.#stalled = stalled;
    if (stalled) this.#cancelWakeups();
    else this.schedule();
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  setRate(bytesPerSecond: number | undefined): void {
    this.#bytesPerSecond = bytesPerSecond;
    this.#nextFreeAt = 0;
    this.#cancelWakeups();
    this.schedule();
  }

  /** Ask for a delivery pass soon (new bytes, or the reader made room). */
  schedule(): void {
    if (this.#stalled || this.#aborted || this.#immediate !== null || this.#timer !== null) return;
    this.#immediate = setImmediate(this.#pump);
  }

  #nextDueAt(): number {
    if (this.#latencyMs <= 0 && this.#lastDueAt === 0) return 0;
    this.#lastDueAt = Math.max(performance.now() + this.#latencyMs, this.#lastDueAt);
    return this.#lastDueAt;
  }

  #wakeAt(at: number, now: number): void {
    this.#timer = setTimeout(this.#pump, Math.max(1, Math.ceil(at - now)));
  }

  #cancelWakeups(): void {
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#immediate = null;
    this.#timer = null;
  }

  readonly #pump = (): void => {
    this.#cancelWakeups();
    let budget = PUMP_BUDGET;
    while (!this.#stalled && !this.#aborted) {
      const entry = this.#queue[this.#head];
      const reader = this.reader;
      if (entry === undefined || reader === undefined) {
        this.#compact();
        return;
      }
      const rate = this.#bytesPerSecond;
      const now = entry.dueAt > 0 || rate !== undefined ? performance.now() : 0;
      if (entry.dueAt > now) return this.#wakeAt(entry.dueAt, now);
      if (entry.buf === null) {
        this.#advanceEntry();
        if (!reader.isGone()) reader.acceptEof();
        continue;
      }
      if (reader.isGone()) {
        // Bytes reached a closed end: the sender is reset, like a TCP RST.
        this.abort(connectionReset('write'));
        this.writer?.resetByPeer();
        return;
      }
      if (rate !== undefined && this.#nextFreeAt > now) return this.#wakeAt(this.#nextFreeAt, now);
      if (!reader.hasRoom()) return; // the reader's _read() schedules us again
      if (budget <= 0) break;
      const piece = this.#take(this.#pieceLimit(rate), now);
      if (rate !== undefined) this.#nextFreeAt = Math.max(this.#nextFreeAt, now) + (piece.length * 1000) / rate;
      this.delivered += piece.length;
      this.#inFlight -= piece.length;
      budget -= piece.length;
      reader.accept(piece);
      this.#releaseHeld();
    }
    this.schedule();
  };

  #pieceLimit(rate: number | undefined): number {
    let limit = this.#options.maxChunk;
    if (rate !== undefined) limit = Math.min(limit, Math.max(1, Math.floor(rate * RATE_PIECE_SECONDS)));
    const jitter = this.#options.jitter;
    if (jitter !== undefined) limit = randomInt(jitter, 1, Math.min(limit, JITTER_DEFAULT_MAX));
    return limit;
  }

  /** Up to `limit` bytes from the head; spans entries (copying) only under jitter. */
  #take(limit: number, now: number): Buffer {
    const first = this.#takeFromHead(limit);
    if (this.#options.jitter === undefined || first.length >= limit) return first;
    const parts = [first];
    let size = first.length;
    while (size < limit) {
      const next = this.#queue[this.#head];
      if (next === undefined || next.buf === null || next.dueAt > now) break;
      const part = this.#takeFromHead(limit - size);
      parts.push(part);
      size += part.length;
    }
    return parts.length === 1 ? first : Buffer.concat(parts, size);
  }

  #takeFromHead(limit: number): Buffer {
    const buf = this.#queue[this.#head]?.buf ?? EMPTY;
    const n = Math.min(limit, buf.length - this.#headOffset);
    const piece = buf.subarray(this.#headOffset, this.#headOffset + n);
    this.#headOffset += n;
    if (this.#headOffset === buf.length) this.#advanceEntry();
    return piece;
  }

  #advanceEntry(): void {
    this.#queue[this.#head] = undefined;
    this.#head++;
    this.#headOffset = 0;
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) this.#compact();
  }

  #compact(): void {
    if (this.#head === 0) return;
    this.#queue.splice(0, this.#head);
    this.#head = 0;
  }

  #releaseHeld(): void {
    if (this.#heldCallback === null || this.#inFlight > this.#options.window) return;
    const held = this.#heldCallback;
    this.#heldCallback = null;
    held();
  }
}

/** An Error shaped like Node's ECONNRESET socket error. */
export function connectionReset(syscall: 'read' | 'write', message?: string): Error {
  const error = new Error(message ?? `${syscall} ECONNRESET`) as NodeJS.ErrnoException;
  error.code = 'ECONNRESET';
  error.errno = -104;
  error.syscall = syscall;
  return error;
}
