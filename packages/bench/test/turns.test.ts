import { describe, expect, it } from 'vitest';
import { worstRound } from '../src/turns.js';

describe('worstRound', () => {
  it('picks the round with the lowest ratio when higher is better', () => {
    expect(worstRound([100, 200, 100], [90, 100, 80], true)).toEqual({ round: 1, ratio: 0.5, base: 200, candidate: 100 });
  });

  it('picks the round with the highest ratio when lower is better', () => {
    expect(worstRound([2, 2], [3, 5], false)).toEqual({ round: 1, ratio: 2.5, base: 2, candidate: 5 });
  });

  it('lets a failed round (NaN or zero) be the worst, so it cannot pass', () => {
    const w = worstRound([100, 100], [90, NaN], true);
    expect(w.round).toBe(1);
    expect(w.ratio).toBeNaN();
    expect(worstRound([0, 100], [90, 90], false).ratio).toBeNaN();
  });

  it('gives NaN without rounds', () => {
    expect(worstRound([], [], true).ratio).toBeNaN();
  });
});
