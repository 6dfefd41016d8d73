// SPEC §8: streams with data and credit are served round-robin.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RoundRobin } from '../src/round-robin.js';

const SEED = 0x4e4e;

function drain<T>(q: RoundRobin<T>): T[] {
  const out: T[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) out.push(item);
  return out;
}

describe('RoundRobin', () => {
  it('serves items in the order they were pushed', () => {
    const q = new RoundRobin<number>();
    for (const n of [3, 1, 2]) q.push(n);
    expect(q.size).toBe(3);
    expect(drain(q)).toEqual([3, 1, 2]);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('does not queue an item twice and keeps its place', () => {
    const q = new RoundRobin<string>();
    q.push('a');
    q.push('b');
    q.push('a');
    expect(q.size).toBe(2);
    expect([...q]).toEqual(['a', 'b']);
    expect(drain(q)).toEqual(['a', 'b']);
  });

  it('puts a stream pushed back after its turn behind the others', () => {
    const q = new RoundRobin<string>();
    for (const s of ['a', 'b', 'c']) q.push(s);
    const turns: string[] = [];
    for (let i = 0; i < 7; i++) {
      const s = q.shift() as string;
      turns.push(s);
      q.push(s); // still has data and credit
    }
    expect(turns).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('deletes an item from anywhere in the queue', () => {
    const q = new RoundRobin<string>();
    for (const s of ['a', 'b', 'c', 'd']) q.push(s);
    expect(q.delete('c')).toBe(true);
    expect(q.delete('c')).toBe(false);
    expect(q.delete('zz')).toBe(false);
    expect(q.has('c')).toBe(false);
    expect(q.has('d')).toBe(true);
    expect(q.size).toBe(3);
    expect(drain(q)).toEqual(['a', 'b', 'd']);
  });

  it('queues a deleted item again at the tail, not at its old place', () => {
    const q = new RoundRobin<string>();
    for (const s of ['a', 'b', 'c']) q.push(s);
    q.delete('a');
    q.push('a');
    expect([...q]).toEqual(['b', 'c', 'a']);
    expect(drain(q)).toEqual(['b', 'c', 'a']);
  });

  it('stays small under many push/delete cycles with nothing shifted', () => {
    const q = new RoundRobin<number>();
    q.push(-1);
    for (let i = 0; i < 100_000; i++) {
      q.push(i % 5);
      q.delete(i % 5);
    }
    expect(q.size).toBe(1);
    // Dead slots are compacted away rather than kept for every cycle.
    expect(q.slotCount).toBeLessThan(100);
    expect(drain(q)).toEqual([-1]);
  });

  it('stays small while streams that keep data are pushed back after each turn, never emptying', () => {
    const q = new RoundRobin<string>();
    for (const s of ['a', 'b']) q.push(s);
    for (let i = 0; i < 100_000; i++) q.push(q.shift() as string);
    expect(q.slotCount).toBeLessThan(100);
    expect(drain(q)).toEqual(['a', 'b']);
  });

  /** Random push/shift/delete/turn sequences against a plain array: items are `itemOf(0..7)`. */
  function checkAgainstModel<T>(make: () => RoundRobin<T>, itemOf: (n: number) => T): void {
    type Op = { kind: 'push' | 'shift' | 'delete' | 'turn'; item: number };
    const opArb: fc.Arbitrary<Op> = fc.record({
      kind: fc.constantFrom<Op['kind']>('push', 'shift', 'delete', 'turn'),
      item: fc.integer({ min: 0, max: 7 }),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400, size: 'max' }), (ops) => {
        const q = make();
        const model: T[] = [];
        for (const op of ops) {
          switch (op.kind) {
            case 'push':
              q.push(itemOf(op.item));
              if (!model.includes(itemOf(op.item))) model.push(itemOf(op.item));
              break;
            case 'shift':
              expect(q.shift()).toBe(model.shift());
              break;
            case 'delete': {
              const at = model.indexOf(itemOf(op.item));
              expect(q.delete(itemOf(op.item))).toBe(at >= 0);
              if (at >= 0) model.splice(at, 1);
              break;
            }
            case 'turn': {
              // The session's loop: take the head, send one frame, push it back.
              const got = q.shift();
              expect(got).toBe(model.shift());
              if (got !== undefined) {
                q.push(got);
                model.push(got);
              }
              break;
            }
            default: {
              const never: never = op.kind;
              throw new Error(`unknown op ${String(never)}`);
            }
          }
          expect(q.size).toBe(model.length);
          expect(q.has(itemOf(op.item))).toBe(model.includes(itemOf(op.item)));
        }
        expect([...q]).toEqual(model);
        return true;
      }),
      { seed: SEED, numRuns: 200 },
    );
  }

  it('behaves like a plain array model under random operations', () => {
    checkAgainstModel(
      () => new RoundRobin<number>(),
      (n) => n,
    );
  });

  it('behaves like a plain array model with positions kept on the items themselves', () => {
    type Item = { readonly n: number; position: number | undefined };
    const items: Item[] = Array.from({ length: 8 }, (_, n) => ({ n, position: undefined }));
    const onItems = {
      get: (item: Item) => item.position,
      set: (item: Item, position: number) => {
        item.position = position;
      },
      delete: (item: Item) => {
        const had = item.position !== undefined;
        item.position = undefined;
        return had;
      },
    };
    checkAgainstModel(
      () => {
        for (const item of items) item.position = undefined;
        return new RoundRobin<Item>(onItems);
      },
      (n) => items[n] as Item,
    );
  });

  it('serves every busy stream once per round under random arrivals and departures', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ item: fc.integer({ min: 0, max: 9 }), join: fc.boolean() }), { maxLength: 300, size: 'max' }), (events) => {
        // Between two turns of a stream, no other stream takes two turns.
        const q = new RoundRobin<number>();
        const since = new Map<number, Set<number>>(); // stream → streams served since its last turn
        for (const e of events) {
          if (e.join) {
            q.push(e.item);
            if (!since.has(e.item)) since.set(e.item, new Set());
          } else if (q.delete(e.item)) {
            since.delete(e.item);
          }
          const s = q.shift();
          if (s === undefined) continue;
          for (const [other, served] of since) {
            if (other === s) continue;
            expect(served.has(s)).toBe(false);
            served.add(s);
          }
          since.set(s, new Set());
          q.push(s);
        }
        return true;
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
