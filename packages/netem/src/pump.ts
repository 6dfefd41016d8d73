// One direction of a forwarded connection:
//
//   src socket ──data──▶ pending ──tokens (own bucket, then path bucket)──▶ delay line ──due──▶ dst.write
//
// Backpressure: the source is paused whenever bytes wait for tokens (with a
// path queue bound: once the path's queue is full, see path-queue.ts), the
// destination asked for 'drain', the path is frozen (stall/down), or the bytes
// held here (pending + delay line) reach the bound. Because the source is paused
// rather than read further, the kernel buffers fill and the sender sees TCP
// backpressure. Bytes held per direction ≤ bound − 1 + one read chunk (≤ 64 KiB);
// see PathOptions.maxBufferedBytes for the bound.
//
// Backlog (for token catch-up, see CATCH_UP_MS): the pump counts as backlogged
// from the moment bytes wait for tokens until it observes the source idle — a
// full event-loop turn after resuming the source with no data arriving. Merely
// draining `pending` does not end the backlog: the next chunk is usually already
// in the kernel, and an event-loop stall in that gap must not cost tokens.
//
// A FIN from the source travels through the delay line like data and is
// delivered as dst.end() after the bytes before it (half-close preserved).

import type { Socket } from 'node:net';
import { DelayLine } from './delay-line.js';
import type { PathQueue } from './path-queue.js';
import { wakeGrain, type BucketWaiter, type SharedBucket } from './shared-bucket.js';
import { TokenBucket, defaultBurst } from './token-bucket.js';

/**
 * Entries due within this slack of now are released when the line timer
 * fires. Node timers count from the event loop's cached millisecond clock, so
 * a timer can fire up to a millisecond before the exact due time as well as a
 * few tenths after it; without the slack an early fire would re-arm for
 * another millisecond or more, and bytes that arrived a fraction of a
 * millisecond after the head (a frame header and its payload in two reads,
 * say) would wait for a timer of their own. With it, each direction's delay
 * stays within about a millisecond of the asked value, either side.
 */
const RELEASE_SLACK_MS = 1;

/** What a pump needs from its path. */
export interface PumpLink {
  readonly now: () => number;
  /** Read for each admitted chunk, so a change applies to bytes admitted after it. */
  readonly delayMs: number;
  readonly shared: SharedBucket;
  /** The path's queue in front of `shared` (this direction). */
  readonly queue: PathQueue;
  frozen(): boolean;
  bound(): number;
  delivered(n: number): void;
}

export class Pump implements BucketWaiter {
  readonly bucket: TokenBucket;
  /** Bytes written to the destination so far. */
  bytes = 0;

  readonly #src: Socket;
  readonly #dst: Socket;
  readonly #link: PumpLink;
  readonly #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #line = new DelayLine<Buffer | null>(); // null = FIN
  #lineBytes = 0;
  #srcEnded = false;
  #finQueued = false;
  #finSent = false;
  #dstBlocked = false;
  #srcPaused = true;
  #closed = false;
  #backlogged = false;
  #dataEvents = 0;
  #idleCheck: ReturnType<typeof setImmediate> | null = null;
  #ownTimer: ReturnType<typeof setTimeout> | null = null;
  #lineTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(src: Socket, dst: Socket, link: PumpLink, rate: number) {
    this.#src = src;
    this.#dst = dst;
    this.#link = link;
    this.bucket = new TokenBucket(rate, defaultBurst(rate), link.now);
  }

  /** True once the source's FIN has been passed on to the destination. */
  get finished(): boolean {
    return this.#finSent;
  }

  /** Bytes currently held by this pump (pending tokens + in the delay line). */
  get buffered(): number {
    return this.#pendingBytes + this.#lineBytes;
  }

  start(): void {
    this.#src.pause();
    this.#src.on('data', (chunk: Buffer) => {
      this.#dataEvents++;
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      this.#link.queue.add(chunk.length);
      this.run();
    });
    this.#src.on('end', () => {
      this.#srcEnded = true;
      this.run();
    });
    this.#dst.on('drain', () => {
      this.#dstBlocked = false;
      this.run();
    });
    this.run();
  }

  /** Moves bytes as far as tokens, delay and the destination allow; then sets source flow. */
  run(): void {
    if (this.#closed) return;
    const frozen = this.#link.frozen();
    if (!frozen) {
      this.#admit();
      this.#release();
    }
    this.#updateFlow();
    this.#updateBacklog(frozen);
  }

  /** Called by the path bucket when this pump may retry. */
  grant(): void {
    this.run();
  }

  setRate(rate: number): void {
    this.bucket.setRate(rate, defaultBurst(rate));
    this.#clearOwnTimer();
    this.run();
  }

  close(): void {
    this.#closed = true;
    this.#clearOwnTimer();
    if (this.#idleCheck !== null) clearImmediate(this.#idleCheck);
    this.#idleCheck = null;
    if (this.#lineTimer !== null) clearTimeout(this.#lineTimer);
    this.#lineTimer = null;
    this.#link.shared.remove(this);
    this.#link.queue.remove(this.#pendingBytes);
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#line.clear();
    this.#lineBytes = 0;
  }

  /** pending → delay line, as tokens allow. */
  #admit(): void {
    const releaseAt = this.#link.now() + this.#link.delayMs;
    while (this.#pendingBytes > 0) {
      const head = this.#pending[0]!;
      const own = this.bucket.available();
      // Wait for a grain of tokens rather than taking the few bytes earned since
      // the last call (that would spin this loop on sub-microsecond slivers).
      const b = this.bucket;
      if (own < wakeGrain(b.rate, b.burst, head.length)) {
        this.#armOwn();
        break;
      }
      const granted = this.#link.shared.tryTake(this, Math.min(head.length, own));
      if (granted <= 0) break; // queued on the path bucket; grant() will call back
      this.bucket.take(granted);
      let piece = head;
      if (granted === head.length) this.#pending.shift();
      else {
        piece = head.subarray(0, granted);
        this.#pending[0] = head.subarray(granted);
      }
      this.#pendingBytes -= granted;
      this.#link.queue.remove(granted);
      this.#line.push(releaseAt, piece);
      this.#lineBytes += granted;
    }
    if (this.#srcEnded && this.#pendingBytes === 0 && !this.#finQueued) {
      this.#finQueued = true;
      this.#line.push(releaseAt, null);
    }
  }

  /** delay line → destination, for entries that are due, until the destination needs drain. */
  #release(): void {
    if (this.#dst.destroyed || this.#finSent) return;
    const now = this.#link.now();
    let corked = false;
    while (!this.#dstBlocked) {
      const e = this.#line.shiftDue(now + RELEASE_SLACK_MS);
      if (e === undefined) break;
      if (!corked) {
        this.#dst.cork();
        corked = true;
      }
      if (e.item === null) {
        this.#finSent = true;
        this.#dst.end();
        break;
      }
      const n = e.item.length;
      this.#lineBytes -= n;
      this.bytes += n;
      this.#link.delivered(n);
      if (!this.#dst.write(e.item)) this.#dstBlocked = true;
    }
    if (corked) this.#dst.uncork();
    const head = this.#line.peek();
    if (head !== undefined && !this.#dstBlocked && !this.#finSent) this.#armLine(head.at - now);
  }

  #updateFlow(): void {
    const pause =
      this.#link.frozen() ||
      this.#dstBlocked ||
      this.#srcEnded ||
      !this.#link.queue.mayRead(this.#pendingBytes) ||
      this.#held() >= this.#link.bound();
    if (pause === this.#srcPaused) return;
    this.#srcPaused = pause;
    if (pause) this.#src.pause();
    else this.#src.resume();
  }

  #updateBacklog(frozen: boolean): void {
    // A frozen path (stall/down) or a receiver that stopped reading (the bound is
    // reached) earns no catch-up: such a link would not have carried those bytes.
    // A transient 'drain' wait is not receiver-limited and keeps the backlog.
    if (frozen || this.#srcEnded || this.#held() >= this.#link.bound()) {
      this.#setBacklogged(false);
    } else if (this.#pendingBytes > 0) {
      this.#setBacklogged(true); // pending persists only while waiting for tokens
    } else if (this.#backlogged && !this.#srcPaused && this.#idleCheck === null) {
      const seen = this.#dataEvents;
      // Two immediates span one poll phase of the (now flowing) source.
      this.#idleCheck = setImmediate(() => {
        this.#idleCheck = setImmediate(() => {
          this.#idleCheck = null;
          if (this.#closed) return;
          if (this.#dataEvents === seen && !this.#srcPaused) this.#setBacklogged(false);
          else this.#updateBacklog(this.#link.frozen());
        });
      });
    }
  }

  /**
   * Bytes counted against the per-connection bound: the delay line, plus the
   * bytes waiting for tokens unless a path queue bound limits those instead.
   */
  #held(): number {
    return this.#lineBytes + (this.#link.queue.limit === undefined ? this.#pendingBytes : 0);
  }

  #setBacklogged(b: boolean): void {
    if (b === this.#backlogged) return;
    this.#backlogged = b;
    this.bucket.setBacklogged(b);
    this.#link.shared.setDemand(this, b);
  }

  #armOwn(): void {
    if (this.#ownTimer !== null) return;
    const b = this.bucket;
    const ms = b.waitMs(wakeGrain(b.rate, b.burst, this.#pending[0]?.length ?? 1));
    this.#ownTimer = setTimeout(
      () => {
        this.#ownTimer = null;
        this.run();
      },
      Math.max(1, Math.round(ms)),
    );
  }

  #armLine(ms: number): void {
    if (this.#lineTimer !== null) return;
    this.#lineTimer = setTimeout(
      () => {
        this.#lineTimer = null;
        this.run();
      },
      Math.max(1, Math.round(ms)),
    );
  }

  #clearOwnTimer(): void {
    if (this.#ownTimer !== null) clearTimeout(this.#ownTimer);
    this.#ownTimer = null;
  }
}
