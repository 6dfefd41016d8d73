import { describe, expect, it } from 'vitest';
import { DEFAULT_JITTER_EVERY_MS, DelayJitter } from '../src/jitter.js';

/** A random source that returns `values` in turn and counts its draws. */
function scripted(values: number[]): { random: () => number; draws: () => number } {
  let i = 0;
  return { random: () => values[i++ % values.length]!, draws: () => i };
}

describe('DelayJitter', () => {
  it('draws one extra delay per slot, in [0, ms], and holds it for the slot', () => {
    const r = scripted([0.5, 0, 0.999]);
    const j = new DelayJitter({ ms: 20, everyMs: 10, random: r.random });
    expect(j.extraAt(0)).toBe(10);
    expect(j.extraAt(9.9)).toBe(10);
    expect(r.draws()).toBe(1);
    expect(j.extraAt(10)).toBe(0);
    expect(j.extraAt(25)).toBeCloseTo(19.98);
    expect(j.extraAt(25.5)).toBeCloseTo(19.98);
    expect(r.draws()).toBe(3);
    // A slot skipped (nothing admitted in it) costs no draw.
    expect(j.extraAt(1000)).toBe(10);
    expect(r.draws()).toBe(4);
  });

  it('defaults its slot and draws nothing when ms is 0', () => {
    const r = scripted([0.5]);
    expect(new DelayJitter({ ms: 5, random: r.random }).everyMs).toBe(DEFAULT_JITTER_EVERY_MS);
    const none = new DelayJitter({ ms: 0, random: r.random });
    expect(none.extraAt(0) + none.extraAt(50)).toBe(0);
    expect(r.draws()).toBe(0);
  });

  it.each([
    [{ ms: -1 }, /jitter.ms/],
    [{ ms: Number.NaN }, /jitter.ms/],
    [{ ms: 5, everyMs: 0 }, /jitter.everyMs/],
    [{ ms: 5, everyMs: Infinity }, /jitter.everyMs/],
  ])('rejects %j', (o, message) => {
    expect(() => new DelayJitter(o)).toThrow(message);
  });
});
