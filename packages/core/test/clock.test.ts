// The system clock reads the time once per run of JavaScript (clock.ts).
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';

/** Spins until performance.now() passes `t` (it advances within a run; bounded). */
function spinPast(t: number): number {
  for (let i = 0; i < 1e8; i++) {
    const now = performance.now();
    if (now > t) return now;
  }
  throw new Error('performance.now() did not advance');
}

describe('systemClock', () => {
  it('returns one time for a whole run of JavaScript, and reads it again in the next', async () => {
    await Promise.resolve();
    const first = systemClock.now();
    const later = spinPast(first);
    expect(systemClock.now()).toBe(first);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(systemClock.now()).toBeGreaterThanOrEqual(later);
  });

  it('reads the time again once the microtasks queued before it have run', async () => {
    const first = systemClock.now();
    const later = spinPast(first);
    await Promise.resolve();
    await Promise.resolve();
    expect(systemClock.now()).toBeGreaterThanOrEqual(later);
  });
});
