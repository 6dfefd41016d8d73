// A stream (SPEC §6) as a Node Duplex that behaves like net.Socket: half-close
// with end(), abort with destroy(), backpressure on write(), in-order reads.
// The session owns the wire; the stream owns its buffers and credit.
import { Duplex } from 'node:stream';
import { FrameType } from './constants.js';
import { MpxError } from './errors.js';
import { ReceiveWindow, SendCredit } from './flow-control.js';
import type { DataFrame } from './frame.js';
import type { IdleWatch } from './idle-watch.js';
import { ReorderBuffer, type GapBudget } from './reorder-buffer.js';

/** What a stream needs from its session. */
export interface StreamHost {
  readonly streamSendBuffer: number;
  /** The gaps the session's reorder buffers share (SPEC §7.3). */
  readonly reorderGaps: GapBudget;
  /** True while the session's send credit covers every stream's queue (SPEC §7.4). */
  readonly queuesCovered: boolean;
  /** The bytes queued on this stream changed by `delta`. */
  queueChanged(delta: number): void;
  /** The stream has something to send (data, SYN or FIN). */
  wakeSender(stream: MpxStream): void;
  /** The application took `n` bytes: return credit (SPEC §7). */
  released(stream: MpxStream, n: number): void;
  /** The Duplex is being destroyed (SPEC §6.4). */
  destroyed(stream: MpxStream, err: Error | null): void;
}

export interface StreamStats {
  readonly id: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly buffered: number;
  readonly queued: number;
}

export class MpxStream extends Duplex {
  readonly id: number;
  readonly #host: StreamHost;

  // Send side (SPEC §6.3).
  readonly sendCredit: SendCredit;
  #queue: Uint8Array[] = [];
  #queueHead = 0;
  #queued = 0;
  #sendOffset = 0;
  #synSent: boolean;
  #finQueued = false;
  #finSent = false;
  #writeCallback: ((err?: Error | null) => void) | null = null;
  #finalCallback: ((err?: Error | null) => void) | null = null;

  // Receive side.
  readonly reorder: ReorderBuffer;
  readonly recvWindow: ReceiveWindow;
  /** Bytes counted as released for session credit (read, or dropped). */
  releasedBytes = 0;
  #reading = false;
  #delivering = false;
  #endPushed = false;

  resetSent = false;
  resetReceived = false;
  /** Owned by the session: the idle timer (streamIdleTimeoutMs), if on. */
  idle: IdleWatch | undefined;
  /**
   * SPEC §6.6: the opener's data begins with a target header (readTargetHeader).
   * Set by the session: when opening with a target, or from the TARGET flag of
   * the peer's DATA frame that opened the stream.
   */
  target = false;
  /**
   * SPEC §6.6: whether `target` is known. False for a peer stream opened by a
   * frame other than its own DATA (a higher id's frame, or its WINDOW or
   * RESET) until its first DATA frame arrives; then the stream emits
   * `'kind'` (target: boolean). Always true for locally opened streams.
   */
  kindKnown: boolean;
  readonly #locallyOpened: boolean;

  constructor(id: number, host: StreamHost, sendWindow: number, recvWindow: number, locallyOpened: boolean) {
    super({ allowHalfOpen: true, readableHighWaterMark: STREAM_READ_BUFFER, writableHighWaterMark: STREAM_WRITE_BUFFER });
    this.id = id;
    this.#host = host;
    this.sendCredit = new SendCredit(sendWindow);
    this.recvWindow = new ReceiveWindow(recvWindow);
    this.reorder = new ReorderBuffer({ budget: host.reorderGaps });
    // A peer-opened stream needs no SYN from us (SPEC §6.2).
    this.#synSent = !locallyOpened;
    this.#locallyOpened = locallyOpened;
    this.kindKnown = locallyOpened;
  }

  /** Bytes handed to carriers so far: the final size once FIN or RESET is sent. */
  get sendOffset(): number {
    return this.#sendOffset;
  }

  get finSent(): boolean {
    return this.#finSent;
  }

  get endPushed(): boolean {
    return this.#endPushed;
  }

  /** SPEC §6.3: both directions done cleanly. */
  get cleanlyClosed(): boolean {
    return this.#finSent && this.#endPushed;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  stats(): StreamStats {
    return {
      id: this.id,
      bytesSent: this.#sendOffset,
      bytesReceived: this.reorder.highestReceived,
      buffered: this.reorder.bufferedBytes,
      queued: this.#queued,
    };
  }

  // ---- send side, driven by the session's scheduler ----

  /**
   * Payload bytes the next frame would carry given `sessionCredit`, or -1 when
   * the stream has nothing it may send now (no data, or no credit).
   */
  nextPayload(sessionCredit: number, maxPayload: number): number {
    if (this.#finSent || this.resetSent || this.destroyed) return -1;
    const n = Math.min(this.#queued, this.sendCredit.available, sessionCredit, maxPayload);
    const fin = this.#finQueued && n === this.#queued;
    if (n > 0 || fin || !this.#synSent) return n;
    return -1;
  }

  /** True when the stream waits only for session credit. */
  blockedOnSession(sessionCredit: number): boolean {
    return sessionCredit === 0 && this.#queued > 0 && this.sendCredit.available > 0 && !this.resetSent;
  }

  /** Cuts the next DATA frame (SPEC §5.1). Call only after nextPayload() ≥ 0. */
  takeFrame(n: number): DataFrame {
    const payload = this.#dequeue(n);
    const fin = this.#finQueued && this.#queued === 0;
    const fields: DataFrame = {
      type: FrameType.DATA,
      streamId: this.id,
      offset: this.#sendOffset,
      syn: !this.#synSent,
      fin,
      payload,
    };
    // SPEC §5.1: every DATA frame of a target stream says so, whichever arrives first.
    const frame = this.target && this.#locallyOpened ? { ...fields, target: true } : fields;
    this.#synSent = true;
    this.#sendOffset += n;
    this.sendCredit.charge(n);
    if (fin) {
      this.#finSent = true;
      const cb = this.#finalCallback;
      this.#finalCallback = null;
      if (cb !== null) process.nextTick(cb);
    }
    this.#releaseWriter();
    return frame;
  }

  /** Drops everything not yet sent (on reset). */
  dropQueued(): void {
    this.#host.queueChanged(-this.#queued);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queued = 0;
  }

  #dequeue(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#queue[this.#queueHead] as Uint8Array;
    if (first.byteLength >= n) {
      // Zero-copy in the common case: a view of the writer's buffer.
      const out = first.subarray(0, n);
      if (first.byteLength === n) {
        this.#queue[this.#queueHead++] = EMPTY;
      } else {
        this.#queue[this.#queueHead] = first.subarray(n);
      }
      this.#compact();
      this.#queued -= n;
      this.#host.queueChanged(-n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#queue[this.#queueHead] as Uint8Array;
      const take = Math.min(chunk.byteLength, n - filled);
      out.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.byteLength) this.#queue[this.#queueHead++] = EMPTY;
      else this.#queue[this.#queueHead] = chunk.subarray(take);
    }
    this.#compact();
    this.#queued -= n;
    this.#host.queueChanged(-n);
    return out;
  }

  #compact(): void {
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #releaseWriter(): void {
    if (this.#writeCallback !== null && this.#mayTakeMore()) {
      const cb = this.#writeCallback;
      this.#writeCallback = null;
      cb();
    }
  }

  /**
   * SPEC §7.4: the writer may go on while the queue fits in streamSendBuffer,
   * or while the peer's credit covers all of it (the stream's own, and the
   * session's not yet promised to other queues). Bytes nobody may send stay
   * at streamSendBuffer plus the writer's last chunk.
   */
  #mayTakeMore(): boolean {
    const queued = this.#queued;
    if (queued <= this.#host.streamSendBuffer) return true;
    return queued <= this.sendCredit.available && this.#host.queuesCovered;
  }

  #enqueue(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    this.#host.queueChanged(chunk.byteLength);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#enqueue(chunk);
    this.#afterWrite(callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    for (const { chunk } of chunks) this.#enqueue(chunk);
    this.#afterWrite(callback);
  }

  #afterWrite(callback: (err?: Error | null) => void): void {
    // Backpressure: hold the callback (so write() returns false and 'drain'
    // follows once frames leave) while the queue is more than may wait.
    if (this.#mayTakeMore()) callback();
    else this.#writeCallback = callback;
    this.#host.wakeSender(this);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#finQueued = true;
    this.#finalCallback = callback;
    this.#host.wakeSender(this);
  }

  // ---- receive side ----

  override _read(): void {
    this.#reading = true;
    this.deliver();
  }

  /** Pushes in-order bytes to the reader while it wants them (SPEC §6.5). */
  deliver(): void {
    if (this.#delivering || this.destroyed) return;
    this.#delivering = true;
    let released = 0;
    try {
      while (this.#reading) {
        const chunk = this.reorder.read();
        if (chunk === null) break;
        released += chunk.byteLength;
        this.#reading = this.push(chunk);
      }
      if (!this.#endPushed && this.reorder.isFinished) {
        this.#endPushed = true;
        this.push(null);
      }
    } finally {
      this.#delivering = false;
    }
    if (released > 0) this.#host.released(this, released);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const pending = this.#writeCallback;
    this.#writeCallback = null;
    const final = this.#finalCallback;
    this.#finalCallback = null;
    const error = err ?? (this.cleanlyClosed ? null : new MpxError('MPX_ERR_STREAM_RESET', 'stream destroyed'));
    this.#host.destroyed(this, err);
    pending?.(error);
    final?.(error);
    callback(err);
  }
}

const EMPTY = new Uint8Array(0);
/**
 * The Readable high-water mark of a stream. Bytes in the Readable buffer have
 * had their credit returned (SPEC §7.4), so this bounds what an application
 * that stops reading holds beyond the window. Rationale: 64 KiB; 16 KiB (one
 * payload) cost a third of the download throughput on loopback.
 */
export const STREAM_READ_BUFFER = 64 * 1024;
/**
 * The Writable high-water mark: the writer sees backpressure as soon as a
 * chunk waits in the Duplex (it waits only while the stream holds it back).
 */
export const STREAM_WRITE_BUFFER = 16 * 1024;
