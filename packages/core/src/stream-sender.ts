// The send side of a stream (SPEC §6.2, §6.3, §7.1), with no I/O: the queue
// of bytes written and not yet framed, the peer's credit for the stream, the
// send offset and the SYN/FIN/RESET state. The session's send loop asks it
// for the next frame; the stream's Duplex feeds it and holds the writer back.
import { FrameType } from './constants.js';
import { SendCredit } from './flow-control.js';
import type { DataFrame } from './frame.js';
import type { PayloadOwner } from './payload-owner.js';

export class StreamSender {
  readonly #id: number;
  readonly #credit: SendCredit;
  /** Told of every change to the bytes queued (the session bounds all queues together, SPEC §7.4). */
  readonly #onQueueChange: (delta: number) => void;
  /** Gives joined frames their memory, and is told of queued bytes copied or dropped (payload-owner.ts). */
  readonly #owner: PayloadOwner | undefined;
  /** Chunks queued to send: [#queueHead, #queueTail) of #queue; the slots around them hold EMPTY. */
  #queue: Uint8Array[] = [];
  #queueHead = 0;
  #queueTail = 0;
  #queued = 0;
  #synSent: boolean;
  #finQueued = false;
  #finSent = false;
  #stopped = false;
  /** SPEC §6.6: this side opened the stream with a target header: every DATA frame carries TARGET. */
  #target = false;

  constructor(id: number, credit: number, locallyOpened: boolean, onQueueChange: (delta: number) => void, owner?: PayloadOwner) {
    this.#owner = owner;
    this.#id = id;
    this.#credit = new SendCredit(credit);
    // A peer-opened stream needs no SYN from us (SPEC §6.2).
    this.#synSent = !locallyOpened;
    this.#onQueueChange = onQueueChange;
  }

  /** Bytes framed so far: the final size once FIN or RESET is sent. */
  get offset(): number {
    // SPEC §7.1: the stream's credit is charged exactly the bytes framed, so what it counts as sent is the next offset.
    return this.#credit.sent;
  }

  get queued(): number {
    return this.#queued;
  }

  get finSent(): boolean {
    return this.#finSent;
  }

  /** stop() was called: a RESET went (or goes) out instead of more data. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The stream's credit left (SPEC §7.1). */
  get creditAvailable(): number {
    return this.#credit.available;
  }

  /** SPEC §5.2: a WINDOW value for this stream; true when the credit grew. */
  updateCredit(maxOffset: number): boolean {
    return this.#credit.update(maxOffset);
  }

  enqueue(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#queue[this.#queueTail++] = chunk;
    this.#queued += chunk.byteLength;
    this.#onQueueChange(chunk.byteLength);
  }

  /** SPEC §6.6: the stream, opened by this side, starts with a target header. */
  markTarget(): void {
    this.#target = true;
  }

  /** The writer ended: FIN goes with the last queued byte. */
  queueFin(): void {
    this.#finQueued = true;
  }

  /**
   * Payload bytes the next frame would carry given `sessionCredit`, or -1 when
   * there is nothing that may be sent now (no data, or no credit).
   */
  nextPayload(sessionCredit: number, maxPayload: number): number {
    if (this.#finSent || this.#stopped) return -1;
    let n = Math.min(this.#queued, this.#credit.available, sessionCredit, maxPayload);
    if (n > 0) n = this.#unjoined(n);
    const fin = this.#finQueued && n === this.#queued;
    if (n > 0 || fin || !this.#synSent) return n;
    return -1;
  }

  /**
   * `n`, or less so that the frame does not join a chunk of UNJOINED bytes
   * or more with another: it ends where such a chunk ends, and a run of
   * smaller chunks stops before one.
   */
  #unjoined(n: number): number {
    let run = 0;
    for (let i = this.#queueHead; i < this.#queueTail && run < n; i++) {
      const size = (this.#queue[i] as Uint8Array).byteLength;
      if (size >= UNJOINED) return run > 0 ? run : Math.min(n, size);
      run += size;
    }
    return n;
  }

  /** True when only session credit is missing. */
  blockedOnSession(sessionCredit: number): boolean {
    return sessionCredit === 0 && this.#queued > 0 && this.#credit.available > 0 && !this.#stopped;
  }

  /** Cuts the next DATA frame (SPEC §5.1) and charges the stream's credit. Call only after nextPayload() ≥ 0. */
  takeFrame(n: number): DataFrame {
    const payload = this.#dequeue(n);
    const fin = this.#finQueued && this.#queued === 0;
    const streamId = this.#id;
    const offset = this.offset;
    const syn = !this.#synSent;
    // SPEC §5.1: every DATA frame of a target stream says so, whichever arrives first.
    // (Two literals, not a spread of one: one object per frame.)
    const frame: DataFrame = this.#target
      ? { type: FrameType.DATA, streamId, offset, syn, fin, payload, target: true }
      : { type: FrameType.DATA, streamId, offset, syn, fin, payload };
    this.#synSent = true;
    this.#credit.charge(n);
    if (fin) this.#finSent = true;
    return frame;
  }

  /** SPEC §6.4: the stream is reset; drops what is queued and returns the final size to send in RESET. */
  stop(): number {
    this.#stopped = true;
    // Not -0, a boxed double that would make the sum it is added to one too (small-integers.ts).
    if (this.#queued > 0) this.#onQueueChange(-this.#queued);
    if (this.#owner !== undefined) for (let i = this.#queueHead; i < this.#queueTail; i++) this.#owner.release(this.#queue[i] as Uint8Array);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queueTail = 0;
    this.#queued = 0;
    return this.offset;
  }

  #dequeue(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.#queue[this.#queueHead] as Uint8Array;
    let out: Uint8Array;
    if (first.byteLength >= n) {
      // Zero-copy in the common case: the writer's buffer itself, or a view of it.
      if (first.byteLength === n) {
        out = first;
        this.#queue[this.#queueHead++] = EMPTY;
      } else {
        out = first.subarray(0, n);
        this.#queue[this.#queueHead] = first.subarray(n);
      }
    } else {
      out = this.#owner?.take(n) ?? Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.#queue[this.#queueHead] as Uint8Array;
        const take = Math.min(chunk.byteLength, n - filled);
        const part = take === chunk.byteLength ? chunk : chunk.subarray(0, take);
        out.set(part, filled);
        this.#owner?.release(part); // copied: the chunk's memory is not needed for these bytes any more
        filled += take;
        if (take === chunk.byteLength) this.#queue[this.#queueHead++] = EMPTY;
        else this.#queue[this.#queueHead] = chunk.subarray(take);
      }
    }
    this.#compact();
    this.#queued -= n;
    this.#onQueueChange(-n);
    return out;
  }

  /**
   * Rationale: the array is reused once it empties (every frame, in
   * request/response traffic), not replaced; dropped only when it grew past
   * 1024 slots, and compacted when that many slots before the head were used.
   */
  #compact(): void {
    if (this.#queueHead === this.#queueTail) {
      if (this.#queueTail > 1024) this.#queue = [];
      this.#queueHead = 0;
      this.#queueTail = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queueTail) {
      this.#queue = this.#queue.slice(this.#queueHead, this.#queueTail);
      this.#queueTail -= this.#queueHead;
      this.#queueHead = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A queued chunk of at least this many bytes is never joined with the next
 * into one frame: its last frame is shorter instead. Rationale: joining
 * copies both parts into a fresh allocation (one per read of a bulk
 * stream, whose reads rarely end on a frame boundary), and the copy keeps
 * the writer's buffer from being given back (payload-owner.ts); a frame of
 * 4 KiB or more costs little more than a full one. Smaller chunks are still
 * joined, so that many small writes leave in few frames.
 */
export const UNJOINED = 4 * 1024;
