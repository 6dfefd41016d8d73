import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryTimeline, resumedAfter, throughputOf } from '../src/gaps.js';

describe('DeliveryTimeline', () => {
  it('reports no gap before two arrivals', () => {
    const t = new DeliveryTimeline();
    t.record(100, 10);
    expect(t.summary()).toMatchObject({ bytes: 10, firstAt: 100, lastAt: 100, longestGapMs: 0, longestGap: null, gaps: [] });
  });

  it('finds the longest interval between consecutive arrivals', () => {
    const t = new DeliveryTimeline(50);
    for (const [at, n] of [
      [0, 1],
      [10, 1],
      [400, 1],
      [420, 1],
      [480, 1],
    ] as const)
      t.record(at, n);
    const s = t.summary();
    expect(s.longestGapMs).toBe(390);
    expect(s.longestGap).toEqual({ from: 10, to: 400 });
    expect(s.gaps).toEqual([
      { from: 10, to: 400 },
      { from: 420, to: 480 },
    ]);
    expect(s.bytes).toBe(5);
  });

  it('ignores empty arrivals', () => {
    const t = new DeliveryTimeline();
    t.record(0, 5);
    t.record(1000, 0);
    t.record(1001, 5);
    expect(t.summary().longestGapMs).toBe(1001);
  });

  it('longest gap is the largest difference of sorted arrival times (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 2, maxLength: 50 }), (times) => {
        const sorted = [...times].sort((a, b) => a - b);
        const t = new DeliveryTimeline(0);
        for (const at of sorted) t.record(at, 1);
        let max = 0;
        for (let i = 1; i < sorted.length; i++) max = Math.max(max, (sorted[i] as number) - (sorted[i - 1] as number));
        expect(t.summary().longestGapMs).toBe(max);
        expect(t.summary().gaps).toHaveLength(sorted.length - 1);
      }),
      { seed: 20261121, numRuns: 200 },
    );
  });
});

describe('resumedAfter', () => {
  const gaps = [
    { from: 100, to: 4200 },
    { from: 5000, to: 5100 },
  ];

  it('is the end of the gap spanning the moment minus the moment', () => {
    expect(resumedAfter(gaps, 4100)).toBe(100);
    expect(resumedAfter(gaps, 100)).toBe(4100);
  });

  it('is 0 when delivery was flowing at that moment', () => {
    expect(resumedAfter(gaps, 4500)).toBe(0);
    expect(resumedAfter(gaps, 4200)).toBe(0);
    expect(resumedAfter([], 10)).toBe(0);
  });
});

describe('throughputOf', () => {
  it('divides bytes by the time between first and last arrival', () => {
    expect(throughputOf({ bytes: 1000, firstAt: 0, lastAt: 500 })).toBe(2000);
  });

  it('is 0 without a time span', () => {
    expect(throughputOf({ bytes: 10, firstAt: null, lastAt: null })).toBe(0);
    expect(throughputOf({ bytes: 10, firstAt: 5, lastAt: 5 })).toBe(0);
  });
});
