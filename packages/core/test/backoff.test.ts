import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';

describe('backoffDelay', () => {
  it('is 0 before any failure', () => {
    expect(backoffDelay(0, { initialMs: 100, maxMs: 1000, random: () => 0.5 })).toBe(0);
  });

  it('doubles per failure and stays within [d/2, d]', () => {
    const lo = { initialMs: 100, maxMs: 10_000, random: () => 0 };
    const hi = { initialMs: 100, maxMs: 10_000, random: () => 0.999999 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, lo))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, hi))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the ceiling, even after very many failures', () => {
    const o = { initialMs: 100, maxMs: 3_000, random: () => 0.999999 };
    expect(backoffDelay(1000, o)).toBe(3000);
  });

  it('keeps the jitter under a lower cap', () => {
    const lo = { initialMs: 100, maxMs: 10_000, random: () => 0 };
    const hi = { initialMs: 100, maxMs: 10_000, random: () => 0.999999 };
    expect(backoffDelay(10, lo, 250)).toBe(125);
    expect(backoffDelay(10, hi, 250)).toBe(250);
    expect(backoffDelay(1, hi, 250)).toBe(100);
  });
});
