// The overflow guard without sockets: when a carrier whose peer reads nothing is dropped.
import { describe, expect, it } from 'vitest';
import { OverflowGuard } from '../src/overflow-guard.js';

describe('OverflowGuard', () => {
  it('never trips while the write buffer stays below the limit', () => {
    const guard = new OverflowGuard(1000);
    for (let i = 0; i < 100; i++) expect(guard.onWrite(999, 500)).toBe(false);
  });

  it('trips once more than the limit was written while the buffer stayed at or above it', () => {
    const guard = new OverflowGuard(1000);
    expect(guard.onWrite(1000, 600)).toBe(false);
    expect(guard.onWrite(1600, 400)).toBe(false); // exactly the limit: not yet
    expect(guard.onWrite(2000, 1)).toBe(true);
  });

  it('starts counting again when the buffer drops below the limit', () => {
    const guard = new OverflowGuard(1000);
    expect(guard.onWrite(1000, 900)).toBe(false);
    expect(guard.onWrite(10, 900)).toBe(false); // the peer read: count reset
    expect(guard.onWrite(1000, 900)).toBe(false);
    expect(guard.onWrite(1900, 101)).toBe(true);
  });
});
