import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest';
import { SharedBucket, wakeGrain } from '../src/shared-bucket.js';
import type { BucketWaiter } from '../src/shared-bucket.js';

/** A consumer that wants `limit` bytes and takes them in 64 KiB pieces. */
class Greedy implements BucketWaiter {
  got = 0;
  readonly #shared: SharedBucket;
  readonly #limit: number;
  constructor(shared: SharedBucket, limit = Number.MAX_SAFE_INTEGER) {
    this.#shared = shared;
    this.#limit = limit;
  }
  pull(): void {
    while (this.got < this.#limit) {
      const g = this.#shared.tryTake(this, Math.min(64 * 1024, this.#limit - this.got));
      if (g === 0) return;
      this.got += g;
    }
  }
  grant(): void {
    this.pull();
  }
}

describe('SharedBucket', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shares the rate between waiting consumers round-robin', () => {
    const rate = 1_000_000;
    const shared = new SharedBucket(rate, () => Date.now());
    const a = new Greedy(shared);
    const b = new Greedy(shared);
    a.pull(); // a takes the initial burst, then queues
    b.pull(); // b finds a waiting and queues behind it
    vi.advanceTimersByTime(1000);
    const total = a.got + b.got;
    expect(total).toBeGreaterThanOrEqual(rate); // burst + ~1 s of rate
    expect(total).toBeLessThanOrEqual(rate + shared.bucket.burst);
    const bShare = b.got / total;
    expect(bShare).toBeGreaterThan(0.4);
    expect(bShare).toBeLessThan(0.6);
    shared.close();
  });

  it('makes a newcomer queue behind waiters instead of taking their tokens', () => {
    const shared = new SharedBucket(1000, () => Date.now());
    const a = new Greedy(shared);
    a.pull();
    vi.advanceTimersByTime(0);
    const late: BucketWaiter = { grant: () => undefined };
    expect(shared.tryTake(late, 10)).toBe(0);
    expect(shared.waiting).toBe(2);
    shared.remove(late);
    expect(shared.waiting).toBe(1);
    shared.close();
    expect(shared.waiting).toBe(0);
  });

  it('releases waiters once the rate is lifted', () => {
    const shared = new SharedBucket(1000, () => Date.now());
    const a = new Greedy(shared, 5_000_000);
    let calls = 0;
    const once: BucketWaiter = {
      grant: () => {
        calls++;
        shared.tryTake(once, 10);
      },
    };
    a.pull();
    shared.tryTake(once, 10);
    shared.setRate(Infinity);
    vi.advanceTimersByTime(1);
    expect(calls).toBe(1);
    expect(a.got).toBe(5_000_000); // uncapped: the whole demand at once
    shared.close();
  });

  it('hands out no slivers: below a grain, the caller waits', () => {
    const shared = new SharedBucket(1_000_000, () => Date.now()); // grain 2000 B (2 ms)
    const w: BucketWaiter = { grant: () => undefined };
    expect(shared.tryTake(w, 1e9)).toBe(shared.bucket.burst);
    vi.advanceTimersByTime(1); // 1000 B earned: less than a grain
    expect(shared.tryTake(w, 1e9)).toBe(0);
    expect(shared.waiting).toBe(1);
    shared.close();
  });

  it('catches up tokens while a consumer reports demand, not while idle', () => {
    const shared = new SharedBucket(1_000_000, () => Date.now());
    const w: BucketWaiter = { grant: () => undefined };
    const burst = shared.bucket.burst;
    shared.tryTake(w, burst);
    shared.setDemand(w, true);
    vi.advanceTimersByTime(100);
    expect(shared.bucket.available()).toBe(100_000);
    shared.setDemand(w, false);
    expect(shared.bucket.available()).toBe(burst);
    shared.close();
  });

  it('wakes for a grain between one MTU and 2 ms of rate', () => {
    expect(wakeGrain(1000, 16384, 1e6)).toBe(1460);
    expect(wakeGrain(125_000_000, 1_250_000, 1e6)).toBe(250_000);
    expect(wakeGrain(125_000_000, 1_250_000, 100)).toBe(100);
  });
});
