import { describe, expect, it } from 'vitest';
import { RateSampler, recoveredAt, worstOf } from '../src/bulk.js';

/** Samples every 100 ms of a counter growing at `rates[k]` units/s during second k. */
function sampled(rates: number[]): RateSampler {
  const s = new RateSampler();
  let v = 0;
  for (let t = 0; t <= rates.length * 1000; t += 100) {
    s.add(t, [v, 2 * v]);
    v += (rates[Math.floor(t / 1000)] ?? 0) / 10;
  }
  return s;
}

describe('RateSampler', () => {
  it('gives the rate of each counter over 1-s windows', () => {
    const s = sampled([100, 300, 200]);
    expect(s.windows(0, 0, 3000, 1000).map((w) => w.rate)).toEqual([100, 300, 200]);
    expect(s.windows(1, 0, 3000, 1000).map((w) => w.rate)).toEqual([200, 600, 400]);
  });

  it('reads a window between samples from the nearest ones', () => {
    const s = sampled([100, 100]);
    expect(s.rate(0, 40, 1040)).toBeCloseTo(100, 6);
  });

  it('is 0 for an empty or reversed span', () => {
    expect(new RateSampler().rate(0, 0, 1000)).toBe(0);
    expect(sampled([100]).rate(0, 1000, 0)).toBe(0);
  });
});

describe('recoveredAt', () => {
  it('finds the end of the first window at or above the floor', () => {
    const s = sampled([100, 10, 10, 100, 100]);
    // 0.5-s windows from 1000 ms, 100 ms apart: the first fully in second 3 starts at 3000.
    expect(recoveredAt(s, 0, 1000, 5000, 90)).toBe(3500);
  });

  it('is null when the rate never comes back', () => {
    expect(recoveredAt(sampled([100, 10, 10]), 0, 1000, 3000, 90)).toBeNull();
  });
});

describe('worstOf', () => {
  it('runs every repeat and picks the highest score', async () => {
    const { runs, worst } = await worstOf(
      3,
      async (i) => [5, 9, 2][i]!,
      (x) => x,
    );
    expect(runs).toEqual([5, 9, 2]);
    expect(worst).toBe(9);
  });
});
