// ReadBlocks (read-blocks.ts): a block is read into again only once its
// reader has let go of it and every view of it handed on is back.
import { describe, expect, it } from 'vitest';
import { ReadBlocks } from '../src/read-blocks.js';

const SIZE = 1024;

describe('ReadBlocks', () => {
  it('reuses a block once its reader is done with it, when nothing was handed on', () => {
    const pool = new ReadBlocks(SIZE, 4);
    const block = pool.take();
    expect(block.byteLength).toBe(SIZE);
    expect(pool.owns(block)).toBe(true);
    pool.readDone(block.subarray(0, 100)); // the read as lent: a view of the block
    expect(pool.free).toBe(1);
    expect(pool.take().buffer).toBe(block.buffer);
    expect({ allocated: pool.allocated, reused: pool.reused }).toEqual({ allocated: 1, reused: 1 });
  });

  it('holds a block until every view handed on is released, and its reader is done, in either order', () => {
    const pool = new ReadBlocks(SIZE, 4);
    const a = pool.take();
    const x = a.subarray(0, 300);
    const y = a.subarray(300, 1000);
    pool.handOn(x);
    pool.handOn(y);
    pool.readDone(a);
    pool.release(y);
    expect(pool.free).toBe(0);
    pool.release(x);
    expect(pool.free).toBe(1);

    const b = pool.take();
    expect(b.buffer).toBe(a.buffer);
    const z = b.subarray(10, 20);
    pool.handOn(z);
    pool.release(z);
    expect(pool.free).toBe(0); // its reader still holds it
    pool.readDone(b);
    expect(pool.free).toBe(1);
  });

  it('never reuses a block of which a part was not released: it is left to the collector', () => {
    const pool = new ReadBlocks(SIZE, 4);
    const a = pool.take();
    const view = a.subarray(0, 512);
    pool.handOn(view);
    pool.readDone(a);
    pool.release(view.subarray(0, 500)); // a trimmed view: 12 bytes never come back
    expect(pool.free).toBe(0);
    expect(pool.take().buffer).not.toBe(a.buffer);
  });

  it('ignores memory that is not its own, and a release of a block already free', () => {
    const pool = new ReadBlocks(SIZE, 4);
    const foreign = Buffer.allocUnsafeSlow(SIZE);
    expect(pool.owns(foreign)).toBe(false);
    pool.handOn(foreign);
    pool.release(foreign);
    pool.readDone(foreign);
    pool.copied(foreign);
    expect(pool.free).toBe(0);

    const a = pool.take();
    pool.readDone(a);
    pool.release(a); // late: the block is free already; it must not be listed twice
    pool.handOn(a);
    expect(pool.free).toBe(1);
    const b = pool.take();
    const c = pool.take();
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
  });

  it('keeps at most maxFree blocks; the rest come back to nobody', () => {
    const pool = new ReadBlocks(SIZE, 2);
    const blocks = [pool.take(), pool.take(), pool.take()];
    for (const b of blocks) pool.readDone(b);
    expect(pool.free).toBe(2);
    expect(pool.dropped).toBe(1);
    expect(pool.owns(blocks[2]!)).toBe(false);
  });

  it('copied() releases a view of a block, and skips a small array at offset 0 without reading its buffer', () => {
    const pool = new ReadBlocks(SIZE, 4);
    const a = pool.take();
    const tail = a.subarray(1000, 1010); // small, but a view: released
    const head = a.subarray(0, 40); // small at offset 0: indistinguishable from an on-heap array, skipped
    pool.handOn(tail);
    pool.handOn(head);
    pool.readDone(a);
    pool.copied(tail);
    pool.copied(new Uint8Array(10)); // on V8's heap: ignored
    expect(pool.free).toBe(0);
    pool.release(head);
    expect(pool.free).toBe(1);
  });
});
