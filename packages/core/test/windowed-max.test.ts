// The path estimator's windowed maximum (SPEC §8, delivery rate) against the
// plain list it replaced: every value kept, oldest dropped by time, the
// maximum found by a walk. Every fc.assert call has a fixed seed.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { WindowedMax } from '../src/windowed-max.js';

/** The obviously right windowed max: every sample, walked on each read. */
class Model {
  readonly samples: Array<{ at: number; value: number }> = [];

  push(at: number, value: number): void {
    this.samples.push({ at, value });
  }

  expire(now: number, window: number): void {
    while (this.samples.length > 0 && now - (this.samples[0] as { at: number }).at > window) this.samples.shift();
  }

  get max(): number | undefined {
    let best: number | undefined;
    for (const s of this.samples) if (best === undefined || s.value > best) best = s.value;
    return best;
  }
}

type Op = { kind: 'push'; dt: number; value: number } | { kind: 'expire'; dt: number; window: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  // Few distinct values, so that ties and runs of equal values are common.
  fc.record({ kind: fc.constant('push' as const), dt: fc.integer({ min: 0, max: 30 }), value: fc.integer({ min: 0, max: 8 }) }),
  // The window changes with the minimum RTT: shrinking and growing both occur.
  fc.record({ kind: fc.constant('expire' as const), dt: fc.integer({ min: 0, max: 30 }), window: fc.integer({ min: 0, max: 120 }) }),
);

describe('WindowedMax', () => {
  it('gives the maximum of the unexpired values, as a walk over all of them does, under any sequence of adds and expiries', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const fast = new WindowedMax();
        const model = new Model();
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          if (o.kind === 'push') {
            fast.push(now, o.value);
            model.push(now, o.value);
          } else {
            fast.expire(now, o.window);
            model.expire(now, o.window);
          }
          expect(fast.max).toBe(model.max);
          expect(fast.size === 0).toBe(model.samples.length === 0);
        }
      }),
      { seed: 0x5eed_0a11, numRuns: 500 },
    );
  });

  it('falls back to a smaller later value once the larger one expires', () => {
    const m = new WindowedMax();
    m.push(0, 10);
    m.push(5, 3);
    m.push(6, 7);
    expect(m.max).toBe(10);
    m.expire(20, 18);
    expect(m.max).toBe(7);
    m.expire(30, 18);
    expect(m.max).toBeUndefined();
    expect(m.size).toBe(0);
  });

  it('keeps only a bounded number of entries when every value is smaller than the last and the window slides', () => {
    const m = new WindowedMax();
    for (let t = 0; t < 10_000; t++) {
      m.push(t, 10_000 - t);
      m.expire(t, 100);
      expect(m.max).toBe(10_000 - Math.max(0, t - 100));
    }
    expect(m.size).toBe(101);
  });
});
