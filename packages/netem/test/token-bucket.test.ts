import { describe, it, expect } from 'vitest';
import { CATCH_UP_MS, TokenBucket, defaultBurst, MIN_BURST_BYTES } from '../src/token-bucket.js';

function fakeClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('TokenBucket', () => {
  it('starts full and grants at most the burst', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    expect(b.take(150)).toBe(100);
    expect(b.take(1)).toBe(0);
  });

  it('refills at rate bytes per second of clock time', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    b.take(100);
    c.advance(50);
    expect(b.available()).toBe(50);
    expect(b.take(30)).toBe(30);
    expect(b.take(30)).toBe(20);
  });

  it('keeps fractional tokens and grants whole bytes', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    b.take(100);
    c.advance(1.5);
    expect(b.take(2)).toBe(1);
    c.advance(0.5);
    expect(b.take(2)).toBe(1);
  });

  it('caps accumulated tokens at the burst', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    b.take(100);
    c.advance(10_000);
    expect(b.available()).toBe(100);
    expect(b.take(1000)).toBe(100);
  });

  it('reports the wait until n tokens exist, capped at the burst', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    expect(b.waitMs(100)).toBe(0);
    b.take(80);
    expect(b.waitMs(40)).toBeCloseTo(20, 10);
    expect(b.waitMs(10_000)).toBeCloseTo(80, 10); // waits for the burst, not forever
    c.advance(20);
    expect(b.waitMs(40)).toBe(0);
  });

  it('credits tokens at the old rate before a rate change', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 1000, c.now);
    b.take(1000);
    c.advance(100); // 100 tokens at 1000 B/s
    b.setRate(10_000, 1000);
    expect(b.available()).toBe(100);
    c.advance(10); // 100 more at 10000 B/s
    expect(b.available()).toBe(200);
    expect(b.rate).toBe(10_000);
  });

  it('drops tokens above a smaller burst on setRate', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 1000, c.now);
    b.setRate(1000, 10);
    expect(b.take(50)).toBe(10);
  });

  it('lets a backlogged bucket catch up beyond the burst by CATCH_UP_MS of rate', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    expect(CATCH_UP_MS).toBe(200);
    b.take(100);
    b.setBacklogged(true);
    c.advance(150); // an event-loop stall while bytes were waiting
    expect(b.available()).toBe(150);
    c.advance(10_000);
    expect(b.available()).toBe(100 + 200); // burst + 200 ms of rate
    expect(b.take(250)).toBe(250);
  });

  it('drops catch-up tokens above the burst when the backlog ends', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now, 500);
    b.take(100);
    b.setBacklogged(true);
    c.advance(400);
    expect(b.available()).toBe(400);
    b.setBacklogged(false);
    expect(b.backlogged).toBe(false);
    expect(b.available()).toBe(100);
  });

  it('credits time before a backlog starts only up to the burst', () => {
    const c = fakeClock();
    const b = new TokenBucket(1000, 100, c.now);
    b.take(100);
    c.advance(1000); // idle: the bucket saves at most the burst
    b.setBacklogged(true);
    c.advance(50);
    expect(b.available()).toBe(150);
  });

  it('grants everything when the rate is Infinity', () => {
    const c = fakeClock();
    const b = new TokenBucket(Infinity, Infinity, c.now);
    expect(b.take(1e9)).toBe(1e9);
    expect(b.waitMs(1e9)).toBe(0);
    b.setRate(1000, 100);
    expect(b.take(1000)).toBe(100);
  });

  it('rejects non-positive rates and bad bursts', () => {
    const c = fakeClock();
    expect(() => new TokenBucket(0, 10, c.now)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 10, c.now)).toThrow(RangeError);
    expect(() => new TokenBucket(1000, Infinity, c.now)).toThrow(RangeError);
    expect(() => new TokenBucket(1000, 0, c.now)).toThrow(RangeError);
  });

  it('uses a default burst of max(16 KiB, 10 ms of rate)', () => {
    expect(defaultBurst(1000)).toBe(MIN_BURST_BYTES);
    expect(defaultBurst(2_500_000)).toBe(25_000);
    expect(defaultBurst(Infinity)).toBe(Infinity);
  });

  it('meters a long run at the nominal rate plus one burst', () => {
    const c = fakeClock();
    const rate = 2_500_000;
    const b = new TokenBucket(rate, defaultBurst(rate), c.now);
    let sent = 0;
    for (let i = 0; i < 3000; i++) {
      sent += b.take(64 * 1024);
      c.advance(1);
    }
    // 3000 ms at 2.5 MB/s + the initial burst, minus the last 1 ms not yet taken.
    expect(sent).toBe(rate * 3 + defaultBurst(rate) - rate / 1000);
  });
});
