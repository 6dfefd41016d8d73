// A token bucket shared by all connections of a path (one per direction), with a
// FIFO of waiting pumps served round-robin by a single timer. A pump that finds
// the queue non-empty joins its tail instead of grabbing the tokens the head is
// waiting for, so the path rate is shared fairly-ish between connections.

import { TokenBucket, defaultBurst } from './token-bucket.js';

/** A consumer that is called back when it may retry taking tokens. */
export interface BucketWaiter {
  grant(): void;
}

/**
 * How many tokens a waiter waits for before it is woken: min(need, burst,
 * max(1460, 2 ms of rate)). Rationale: waking for one byte would spin timers;
 * waking for a whole burst would make slow links needlessly lumpy.
 */
export function wakeGrain(rate: number, burst: number, need: number): number {
  return Math.max(1, Math.min(need, burst, Math.max(1460, Math.ceil(rate * 0.002))));
}

export class SharedBucket {
  readonly bucket: TokenBucket;
  readonly #queue: { waiter: BucketWaiter; need: number }[] = [];
  readonly #demand = new Set<BucketWaiter>();
  #serving: BucketWaiter | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(rate: number, now: () => number) {
    this.bucket = new TokenBucket(rate, defaultBurst(rate), now);
  }

  /** Number of waiters queued (for tests and stats). */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Takes up to `n` tokens for `waiter`. Returns 0 (and queues the waiter, which will
   * get grant() later) when less than a wake grain is available or others are
   * already waiting.
   */
  tryTake(waiter: BucketWaiter, n: number): number {
    if (n <= 0) return 0;
    if (this.#queue.length > 0 && this.#serving !== waiter) {
      this.#enqueue(waiter, n);
      return 0;
    }
    const b = this.bucket;
    // Less than a grain available: wait for it rather than hand out slivers.
    if (b.available() < wakeGrain(b.rate, b.burst, n)) {
      this.#enqueue(waiter, n);
      return 0;
    }
    return b.take(n);
  }

  /**
   * A consumer reports whether it is backlogged (its source has more bytes than
   * tokens allow). While any consumer is, the bucket may catch up on tokens lost
   * to event-loop stalls (see CATCH_UP_MS).
   */
  setDemand(waiter: BucketWaiter, backlogged: boolean): void {
    if (backlogged) this.#demand.add(waiter);
    else this.#demand.delete(waiter);
    this.#syncBacklog();
  }

  /** Forgets a waiter (its connection closed). */
  remove(waiter: BucketWaiter): void {
    this.#demand.delete(waiter);
    const i = this.#queue.findIndex((e) => e.waiter === waiter);
    if (i >= 0) this.#queue.splice(i, 1);
    if (this.#queue.length === 0) this.#clearTimer();
    this.#syncBacklog();
  }

  setRate(rate: number): void {
    this.bucket.setRate(rate, defaultBurst(rate));
    this.#clearTimer();
    this.#arm();
  }

  /** Stops the timer; queued waiters are dropped. */
  close(): void {
    this.#queue.length = 0;
    this.#demand.clear();
    this.#clearTimer();
    this.#syncBacklog();
  }

  #enqueue(waiter: BucketWaiter, need: number): void {
    const entry = this.#queue.find((e) => e.waiter === waiter);
    if (entry) entry.need = need;
    else this.#queue.push({ waiter, need });
    this.#syncBacklog();
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== null) return;
    const head = this.#queue[0];
    if (!head) return;
    const b = this.bucket;
    const ms = b.waitMs(wakeGrain(b.rate, b.burst, head.need));
    this.#timer = setTimeout(() => this.#fire(), ms <= 0 ? 0 : Math.max(1, Math.ceil(ms)));
  }

  /** The bucket may catch up on tokens only while someone waits for them. */
  #syncBacklog(): void {
    this.bucket.setBacklogged(this.#queue.length > 0 || this.#demand.size > 0);
  }

  #fire(): void {
    this.#timer = null;
    // Serve waiters in order while tokens last. A served waiter that still wants
    // more re-queues itself at the tail (tryTake returned 0); the budget bounds the
    // loop to one pass over the queue.
    // The head keeps its place if the timer fired a little early (less than its grain).
    const b = this.bucket;
    let budget = this.#queue.length;
    while (budget-- > 0) {
      const head = this.#queue[0];
      if (head === undefined || b.available() < wakeGrain(b.rate, b.burst, head.need)) break;
      const { waiter } = this.#queue.shift()!;
      this.#serving = waiter;
      try {
        waiter.grant();
      } finally {
        this.#serving = null;
      }
    }
    this.#syncBacklog();
    this.#arm();
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
