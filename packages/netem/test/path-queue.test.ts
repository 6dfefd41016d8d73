import { describe, expect, it } from 'vitest';
import { PathQueue } from '../src/path-queue.js';

describe('PathQueue', () => {
  it('without a bound, lets a connection be read only while none of its bytes wait', () => {
    const q = new PathQueue(undefined, () => 1000);
    expect(q.limit).toBeUndefined();
    expect(q.mayRead(0)).toBe(true);
    expect(q.mayRead(1)).toBe(false);
  });

  it('with a bound in bytes, keeps reading until the path holds that many waiting bytes', () => {
    const q = new PathQueue({ bytes: 100 }, () => 1000);
    q.add(60);
    expect(q.mayRead(60)).toBe(true);
    q.add(40);
    expect(q.queued).toBe(100);
    expect(q.mayRead(40)).toBe(false);
    expect(q.mayRead(0)).toBe(true); // a connection with nothing waiting is always read
    q.remove(30);
    expect(q.mayRead(10)).toBe(true);
  });

  it('with a bound in ms, follows the path rate as it changes', () => {
    let rate = 1_000_000;
    const q = new PathQueue({ ms: 40 }, () => rate);
    expect(q.limit).toBe(40_000);
    rate = 125_000;
    expect(q.limit).toBe(5_000);
    q.add(6_000);
    expect(q.mayRead(6_000)).toBe(false);
  });

  it('never counts below zero', () => {
    const q = new PathQueue({ bytes: 10 }, () => 1);
    q.remove(5);
    expect(q.queued).toBe(0);
  });

  it('rejects a negative or non-finite bound, naming the field', () => {
    expect(() => new PathQueue({ bytes: -1 }, () => 1)).toThrow(/pathQueue\.bytes/);
    expect(() => new PathQueue({ ms: Number.NaN }, () => 1)).toThrow(/pathQueue\.ms/);
  });
});
