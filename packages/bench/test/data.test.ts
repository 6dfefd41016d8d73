import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pattern, patternSha256 } from '../src/data.js';

describe('Pattern', () => {
  it('gives the same bytes whatever the chunk sizes (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 6 }), (seed, sizes) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const ref = new Pattern(seed);
        const whole = Buffer.concat([ref.next(Math.min(total, 256 * 1024)), ref.next(Math.max(0, total - 256 * 1024))]);
        const p = new Pattern(seed);
        const parts = Buffer.concat(sizes.map((n) => p.next(n)));
        expect(parts.equals(whole)).toBe(true);
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('differs between seeds', () => {
    expect(new Pattern(1).next(64).equals(new Pattern(2).next(64))).toBe(false);
  });

  it('refuses chunks above 256 KiB', () => {
    expect(() => new Pattern(1).next(256 * 1024 + 1)).toThrow(RangeError);
  });
});

describe('patternSha256', () => {
  it('is the sha256 of the pattern bytes', () => {
    const p = new Pattern(9);
    const bytes = Buffer.concat([p.next(200_000), p.next(100_000)]);
    expect(patternSha256(9, 300_000)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
