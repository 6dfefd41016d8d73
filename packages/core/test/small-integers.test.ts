// small-integers.ts: counts and offsets past 2^31 kept exact while their
// parts stay small.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ByteCount, OFFSET_STEP, small, stepsIn } from '../src/small-integers.js';

describe('small()', () => {
  it('gives back every integer unchanged, and +0 for -0', () => {
    for (const n of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      expect(small(n)).toBe(n);
    }
    expect(Object.is(small(-0), 0)).toBe(true);
  });
});

describe('stepsIn()', () => {
  it('counts the whole steps in a relative offset', () => {
    expect(stepsIn(0)).toBe(0);
    expect(stepsIn(OFFSET_STEP - 1)).toBe(0);
    expect(stepsIn(OFFSET_STEP)).toBe(1);
    expect(stepsIn(3 * OFFSET_STEP + 5)).toBe(3);
  });
});

describe('ByteCount', () => {
  it('counts exactly across many steps, in small and large additions', () => {
    const count = new ByteCount();
    expect(count.value).toBe(0);
    count.add(OFFSET_STEP - 1);
    count.add(1);
    expect(count.value).toBe(OFFSET_STEP);
    count.add(2 ** 33 + 7); // several steps at once
    expect(count.value).toBe(OFFSET_STEP + 2 ** 33 + 7);
    count.add(2 ** 52);
    expect(count.value).toBe(OFFSET_STEP + 2 ** 33 + 7 + 2 ** 52);
  });

  it('equals the plain sum of any additions (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(70_000), fc.integer({ min: 0, max: 2 ** 34 })), { maxLength: 200 }), (adds) => {
        const count = new ByteCount();
        let sum = 0;
        for (const n of adds) {
          count.add(n);
          sum += n;
          expect(count.value).toBe(sum);
        }
      }),
      { seed: 0x62797465, numRuns: 200 },
    );
  });
});
