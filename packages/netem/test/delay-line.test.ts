import { describe, it, expect } from 'vitest';
import { DelayLine } from '../src/delay-line.js';

describe('DelayLine', () => {
  it('releases entries in order, only once due', () => {
    const line = new DelayLine<string>();
    line.push(10, 'a');
    line.push(10, 'b');
    line.push(20, 'c');
    expect(line.shiftDue(9)).toBeUndefined();
    expect(line.shiftDue(10)?.item).toBe('a');
    expect(line.shiftDue(10)?.item).toBe('b');
    expect(line.shiftDue(15)).toBeUndefined();
    expect(line.peek()?.at).toBe(20);
    expect(line.shiftDue(25)?.item).toBe('c');
    expect(line.length).toBe(0);
  });

  it('keeps FIFO order across internal compaction', () => {
    const line = new DelayLine<number>();
    const out: number[] = [];
    for (let i = 0; i < 1000; i++) {
      line.push(i, i);
      if (i % 3 === 0) {
        for (let e = line.shiftDue(i); e !== undefined; e = line.shiftDue(i)) out.push(e.item);
      }
    }
    for (let e = line.shiftDue(1e9); e !== undefined; e = line.shiftDue(1e9)) out.push(e.item);
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
