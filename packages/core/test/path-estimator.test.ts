import { describe, expect, it } from 'vitest';
import { MIN_INFLIGHT_CAP, PathEstimator } from '../src/path-estimator.js';

describe('PathEstimator', () => {
  it('smooths RTT samples like RFC 6298', () => {
    const e = new PathEstimator();
    e.onRttSample(100);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    e.onRttSample(200);
    expect(e.srtt).toBeCloseTo(112.5);
    expect(e.rttvar).toBeCloseTo(62.5);
    expect(e.minRtt).toBe(100);
  });

  it('measures the delivery rate over at least one RTT and keeps the windowed maximum', () => {
    const e = new PathEstimator();
    e.onRttSample(50);
    e.onAcked(0, 0, true); // starts a sample
    e.onAcked(100_000, 25, true); // too short to close the sample
    e.onAcked(100_000, 50, true); // 200 kB in 50 ms
    expect(e.rate(50)).toBeCloseTo(4000);
    e.onAcked(50_000, 100, true); // 50 kB in 50 ms: lower, the max stays
    expect(e.rate(100)).toBeCloseTo(4000);
    expect(e.rate(5000)).toBeUndefined(); // forgotten after the window
  });

  it('uses the minimum RTT for the cap, so its own queueing does not inflate it', () => {
    const e = new PathEstimator();
    e.onRttSample(10, 0);
    for (let t = 1; t <= 50; t++) e.onRttSample(500, t); // a queue builds up
    e.onAcked(0, 0, true);
    e.onAcked(100_000, 1000, true); // 100 B/ms
    expect(e.srtt).toBeGreaterThan(400);
    expect(e.minRtt).toBe(10);
    expect(e.inflightCap(1000, 1 << 24)).toBe(MIN_INFLIGHT_CAP);
  });

  it('forgets an old minimum RTT after ten seconds (the path changed)', () => {
    const e = new PathEstimator();
    e.onRttSample(10, 0);
    e.onRttSample(80, 20_000);
    expect(e.minRtt).toBe(80);
  });

  it('replaces an expired minimum with the smallest sample since, not the next one', () => {
    const e = new PathEstimator();
    e.onRttSample(10, 0);
    e.onRttSample(300, 4_000);
    e.onRttSample(50, 8_000); // the path got slower: the best seen since
    e.onRttSample(400, 12_000); // a queued sample when the old minimum expires
    expect(e.minRtt).toBe(50);
    e.onRttSample(450, 15_000);
    e.onRttSample(420, 19_000);
    expect(e.minRtt).toBe(420); // 50 expired at 18 s; 420 is the best since
  });

  it('drops samples taken while the carrier idled', () => {
    const e = new PathEstimator();
    e.onRttSample(10);
    e.onAcked(0, 0, true);
    e.onAcked(1000, 100, false);
    e.onAcked(1000, 200, true);
    expect(e.rate(200)).toBeUndefined();
  });

  it('caps in-flight bytes at two bandwidth-delay products, within [MIN_INFLIGHT_CAP, ceiling]', () => {
    const e = new PathEstimator();
    expect(e.inflightCap(0, 1 << 24)).toBe(MIN_INFLIGHT_CAP); // nothing known yet: start small
    for (let i = 0; i < 20; i++) e.onRttSample(100);
    e.onAcked(0, 0, true);
    e.onAcked(1_000_000, 100, true); // 10 kB/ms = 10 MB/s
    const cap = e.inflightCap(100, 1 << 24);
    expect(cap).toBeGreaterThanOrEqual(2 * 10_000 * 100);
    expect(cap).toBeLessThan(3 * 10_000 * 100);
    expect(e.inflightCap(100, 1_000_000)).toBe(1_000_000);
    const slow = new PathEstimator();
    slow.onRttSample(1);
    slow.onAcked(0, 0, true);
    slow.onAcked(10, 10, true);
    expect(slow.inflightCap(10, 1 << 24)).toBe(MIN_INFLIGHT_CAP);
  });
});
