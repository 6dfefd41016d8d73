// DescriptorHeadroom: new connections are refused while open descriptors are
// within the reserve of the limit; /proc/self/fd is counted rarely, with an
// upper bound in between. Fake clock and a counted stand-in for /proc.
import { describe, expect, it } from 'vitest';
import { DescriptorHeadroom, defaultReserve } from '../src/descriptors.js';

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
  setTimeout(): never {
    throw new Error('not used');
  }
  clearTimeout(): void {}
}

function headroom(limit: number | undefined, open: { n: number; reads: number }, clock = new FakeClock()) {
  const count = (): number => {
    open.reads++;
    return open.n;
  };
  return { h: new DescriptorHeadroom({ limit, reserve: 10, count, clock }), clock };
}

describe('DescriptorHeadroom', () => {
  it('keeps one eighth of the limit, from 32 to 1024 descriptors', () => {
    expect([256, 1024, 8192, 1 << 20].map(defaultReserve)).toEqual([32, 128, 1024, 1024]);
  });

  it('lets connections in up to the limit minus the reserve, counting those let in since the last read', () => {
    const open = { n: 80, reads: 0 };
    const { h } = headroom(100, open);
    const allowed = Array.from({ length: 20 }, () => h.allows()).filter(Boolean).length;
    expect(allowed).toBe(10); // 80 open + 10 let in reaches the mark of 90
    expect(open.reads).toBe(1); // within the same instant, no second read
  });

  it('counts again, at most every 20 ms, while at the mark, and lets connections in once descriptors were closed', () => {
    const open = { n: 95, reads: 0 };
    const { h, clock } = headroom(100, open);
    expect(h.allows()).toBe(false);
    clock.t = 10;
    open.n = 50;
    expect(h.allows()).toBe(false); // too soon to read again
    clock.t = 20;
    expect(h.allows()).toBe(true);
    expect(open.reads).toBe(2);
  });

  it('does not check without a known limit', () => {
    const open = { n: 1_000_000, reads: 0 };
    const { h } = headroom(undefined, open);
    expect(h.allows()).toBe(true);
    expect(open.reads).toBe(0);
  });
});
