// The server's pool of payload blocks (payload-pool.ts), without sockets: a
// block comes back only once every byte cut from it was released, never
// when it was kept, and the free list is bounded.
import { fullGc } from '@mpx/testkit';
import { describe, expect, it } from 'vitest';
import { MIN_POOLED, PAGE_BLOCKS_ABOVE, PayloadPool } from '../src/payload-pool.js';

const KiB = 1024;

/** Full collections until `done` holds (FinalizationRegistry callbacks run as tasks after one), at most 50 rounds. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let round = 0; round < 50 && !done(); round++) {
    fullGc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const onPages = (b: Uint8Array): boolean => (b.buffer as ArrayBuffer & { resizable?: boolean }).resizable === true;

describe('PayloadPool', () => {
  it('makes new blocks page buffers only while more than PAGE_BLOCKS_ABOVE bytes of blocks are out', () => {
    const size = 64 * KiB;
    const pool = new PayloadPool([size], 2 * PAGE_BLOCKS_ABOVE);
    const reads = Array.from({ length: PAGE_BLOCKS_ABOVE / size }, () => pool.take(size));
    expect(reads.some(onPages)).toBe(false);
    expect(pool.out).toBe(PAGE_BLOCKS_ABOVE);
    const beyond = [pool.take(size), pool.take(size)];
    expect(onPages(beyond[0]!)).toBe(false); // out was exactly the bound when it was taken
    expect(onPages(beyond[1]!)).toBe(true);
    for (const r of [...reads, ...beyond]) pool.release(r);
    expect(pool.out).toBe(0);
    const fresh = new PayloadPool([size], 0); // no free list: every take is a new block
    expect(onPages(fresh.take(size))).toBe(false);
  });

  it('gives a block again once every byte taken from it was released, in whatever pieces', () => {
    const pool = new PayloadPool([16 * KiB], 64 * KiB);
    const read = pool.take(10 * KiB);
    pool.release(read.subarray(0, 4 * KiB));
    expect(pool.take(10 * KiB).buffer).not.toBe(read.buffer); // 6 KiB still out
    pool.release(read.subarray(4 * KiB));
    const again = pool.take(12 * KiB);
    expect(again.buffer).toBe(read.buffer);
    expect([pool.allocated, pool.reused]).toEqual([2, 1]);
  });

  it('never gives a kept block again', () => {
    const pool = new PayloadPool([16 * KiB], 64 * KiB);
    const read = pool.take(8 * KiB);
    pool.keep(read.subarray(0, 2 * KiB));
    pool.release(read);
    expect(pool.take(8 * KiB).buffer).not.toBe(read.buffer);
    expect(pool.kept).toBe(1);
  });

  it('takes the smallest block that holds the read, and plain memory below MIN_POOLED or above the largest block', () => {
    const pool = new PayloadPool([4 * KiB, 16 * KiB], 64 * KiB);
    expect(pool.take(3 * KiB).buffer.byteLength).toBe(4 * KiB);
    expect(pool.take(5 * KiB).buffer.byteLength).toBe(16 * KiB);
    const small = pool.take(MIN_POOLED - 1);
    const large = pool.take(20 * KiB);
    pool.release(small);
    pool.release(large);
    expect(pool.allocated).toBe(2);
  });

  it('keeps at most maxFreeBytes of free blocks per size and leaves the rest to the collector', () => {
    const pool = new PayloadPool([16 * KiB], 32 * KiB);
    const reads = [pool.take(16 * KiB), pool.take(16 * KiB), pool.take(16 * KiB)];
    for (const read of reads) pool.release(read);
    expect(pool.dropped).toBe(1);
    pool.take(16 * KiB);
    pool.take(16 * KiB);
    pool.take(16 * KiB);
    expect([pool.reused, pool.allocated]).toEqual([2, 4]);
  });

  it('ignores bytes it never lent', () => {
    const pool = new PayloadPool([16 * KiB], 64 * KiB);
    pool.release(Buffer.alloc(8 * KiB));
    pool.keep(Buffer.alloc(8 * KiB));
    expect([pool.kept, pool.dropped, pool.allocated]).toEqual([0, 0, 0]);
  });

  it('counts a block the session never gives back, or keeps, as out only until the collector frees it', async () => {
    const pool = new PayloadPool([16 * KiB], 64 * KiB);
    // Taken in a function of their own, so that no reference outlives it: a frame the session dropped.
    const lose = (): void => {
      pool.take(10 * KiB);
      pool.keep(pool.take(12 * KiB));
    };
    lose();
    const held = pool.take(8 * KiB);
    expect(pool.out).toBe(3 * 16 * KiB);
    await collectUntil(() => pool.out === 16 * KiB);
    expect(pool.out).toBe(16 * KiB); // the held one alone
    pool.release(held);
    expect(pool.out).toBe(0);
  });
});
