// SPEC §8: behaviour of the weighted fair carrier picker.
import { describe, it, expect } from 'vitest';
import { WeightedPicker } from '../src/scheduler.js';
import { MpxError } from '../src/errors.js';

const MAX_FRAME = 65536;

/** A carrier as the picker sees it: a name for the expectations, and the flag the picker reads. */
class Carrier {
  writable = true;
  constructor(readonly name: string) {}
}

/** The picker over carriers known by name, so that expectations read as names. */
class NamedPicker {
  readonly picker: WeightedPicker<Carrier>;
  readonly #carriers = new Map<string, Carrier>();

  /** `lead`: the picker's lead (0: plain weighted fair queueing). */
  constructor(lead = 0) {
    this.picker = new WeightedPicker<Carrier>(lead);
  }

  carrier(name: string): Carrier {
    let c = this.#carriers.get(name);
    if (c === undefined) {
      c = new Carrier(name);
      this.#carriers.set(name, c);
    }
    return c;
  }

  get size(): number {
    return this.picker.size;
  }

  get writableCount(): number {
    return this.picker.writableCount;
  }

  add(name: string, weight: number): void {
    this.picker.add(this.carrier(name), weight);
  }

  remove(name: string): void {
    this.picker.remove(this.carrier(name));
  }

  has(name: string): boolean {
    return this.picker.has(this.carrier(name));
  }

  setWeight(name: string, weight: number): void {
    this.picker.setWeight(this.carrier(name), weight);
  }

  /** The carrier drains or fills; the picker sees it at its next look. */
  setWritable(name: string, writable: boolean): void {
    this.carrier(name).writable = writable;
  }

  observe(): void {
    this.picker.observe();
  }

  pick(size: number): string | undefined {
    return this.picker.pick(size)?.name;
  }
}

/** Picks `n` frames of `size` bytes and returns the bytes each carrier got. */
function run(picker: NamedPicker, n: number, size: number): Map<string, number> {
  const bytes = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = picker.pick(size);
    if (c === undefined) throw new Error('no carrier picked');
    bytes.set(c, (bytes.get(c) ?? 0) + size);
  }
  return bytes;
}

function sequence(picker: NamedPicker, n: number, size: number): (string | undefined)[] {
  return Array.from({ length: n }, () => picker.pick(size));
}

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MpxError);
  expect((caught as MpxError).code).toBe(code);
}

describe('WeightedPicker', () => {
  it('splits bytes 1:1:2:4 by weight', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    p.add('c', 2);
    p.add('d', 4);
    const bytes = run(p, 8 * 1000, 1000);
    expect(bytes.get('a')).toBe(1000 * 1000);
    expect(bytes.get('b')).toBe(1000 * 1000);
    expect(bytes.get('c')).toBe(2 * 1000 * 1000);
    expect(bytes.get('d')).toBe(4 * 1000 * 1000);
  });

  /**
   * 4,000 frames over carriers 'a' (weight 1) and 'b' (weight 3): frame `i`
   * picked for `size(i)` bytes, and `sent` says what the picked carrier
   * really took (charging the picker for more, if it grew). Returns b − 3a.
   */
  function offOneToThree(p: NamedPicker, size: (i: number) => number, sent: (carrier: string, size: number) => number): number {
    p.add('a', 1);
    p.add('b', 3);
    const bytes = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const c = p.pick(size(i)) as string;
      bytes.set(c, (bytes.get(c) ?? 0) + sent(c, size(i)));
    }
    return (bytes.get('b') ?? 0) - 3 * (bytes.get('a') ?? 0);
  }

  it('splits bytes by weight when frame sizes differ', () => {
    const p = new NamedPicker();
    const off = offOneToThree(
      p,
      (i) => (i % 2 === 0 ? 100 : 1500),
      (_c, size) => size,
    );
    // Off the exact 1:3 split by less than one frame per carrier.
    expect(Math.abs(off)).toBeLessThanOrEqual(4 * 1500);
  });

  it('splits bytes by weight when a picked frame grows (a bulk frame on a fast carrier), charged for what it added', () => {
    const p = new NamedPicker();
    // Picked for 16 KiB; on 'b' the frame grows to 64 KiB.
    const off = offOneToThree(
      p,
      () => 16_384,
      (c, size) => {
        if (c !== 'b') return size;
        p.picker.charge(p.carrier(c), 65_536 - size);
        return 65_536;
      },
    );
    expect(Math.abs(off)).toBeLessThanOrEqual(4 * 65_536);
    // Unknown carriers are ignored.
    p.picker.charge(new Carrier('gone'), 1000);
  });

  it('breaks ties by the order carriers were added', () => {
    const p = new NamedPicker();
    p.add('x', 1);
    p.add('y', 1);
    p.add('z', 1);
    expect(sequence(p, 6, 10)).toEqual(['x', 'y', 'z', 'x', 'y', 'z']);
  });

  it('sends a weight-3 carrier three frames for each frame of a weight-1 carrier', () => {
    const p = new NamedPicker();
    p.add('slow', 1);
    p.add('fast', 3);
    const seq = sequence(p, 400, 1200);
    expect(seq.filter((c) => c === 'fast')).toHaveLength(300);
    // No run of 'fast' longer than its weight allows.
    expect(seq.join(',')).not.toContain('fast,fast,fast,fast');
  });

  it('skips a carrier that is not writable', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 8);
    p.setWritable('b', false);
    expect(p.writableCount).toBe(1);
    expect(sequence(p, 20, 500)).toEqual(Array(20).fill('a'));
  });

  it('returns undefined when none writable', () => {
    const p = new NamedPicker();
    expect(p.pick(100)).toBeUndefined();
    p.add('a', 1);
    p.add('b', 1);
    p.setWritable('a', false);
    p.setWritable('b', false);
    expect(p.writableCount).toBe(0);
    expect(p.size).toBe(2);
    expect(p.pick(100)).toBeUndefined();
  });

  it('a carrier back from drain does not burst to catch up', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    run(p, 10, MAX_FRAME);
    p.setWritable('a', false);
    run(p, 1000, MAX_FRAME); // all to 'b'
    p.setWritable('a', true);
    const next = sequence(p, 10, MAX_FRAME);
    expect(next.filter((c) => c === 'a').length).toBeLessThanOrEqual(6);
    expect(next.filter((c) => c === 'b').length).toBeGreaterThanOrEqual(4);
  });

  it('a carrier back from drain while ahead keeps its lead (no fresh start)', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    expect(p.pick(MAX_FRAME)).toBe('a'); // 'a' is now 64 KiB ahead
    p.setWritable('a', false);
    expect(p.pick(1024)).toBe('b');
    p.setWritable('a', true);
    // 'b' is owed 63 KiB: it takes the next 63 frames of 1 KiB.
    expect(sequence(p, 63, 1024)).toEqual(Array(63).fill('b'));
  });

  it('a carrier back while all others are in drain does not burst when they return', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    p.add('c', 1);
    p.setWritable('a', false);
    run(p, 1000, MAX_FRAME); // 'b' and 'c' move far ahead of 'a'
    p.setWritable('b', false);
    p.setWritable('c', false);
    p.observe(); // the picker looks while none is writable
    p.setWritable('a', true); // returns alone
    p.observe();
    p.setWritable('b', true);
    p.setWritable('c', true);
    const next = sequence(p, 30, MAX_FRAME);
    for (const c of ['a', 'b', 'c']) expect(next.filter((x) => x === c)).toHaveLength(10);
  });

  it('a new carrier starts at the current virtual time', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    run(p, 1000, MAX_FRAME);
    p.add('c', 1);
    expect(p.size).toBe(3);
    expect(p.writableCount).toBe(3);
    const bytes = run(p, 300, MAX_FRAME);
    for (const c of ['a', 'b', 'c']) expect(bytes.get(c)).toBe(100 * MAX_FRAME);
  });

  it('removes a carrier and forgets it', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    p.remove('a');
    p.remove('unknown'); // ignored
    expect(p.has('a')).toBe(false);
    expect(p.has('b')).toBe(true);
    expect(p.size).toBe(1);
    expect(p.writableCount).toBe(1);
    expect(sequence(p, 3, 10)).toEqual(['b', 'b', 'b']);
    p.remove('b');
    expect(p.size).toBe(0);
    expect(p.writableCount).toBe(0);
    expect(p.pick(10)).toBeUndefined();
  });

  it('a removed carrier added again starts at the current virtual time', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    p.remove('a');
    run(p, 500, MAX_FRAME);
    p.add('a', 1);
    const bytes = run(p, 200, MAX_FRAME);
    expect(bytes.get('a')).toBe(100 * MAX_FRAME);
    expect(bytes.get('b')).toBe(100 * MAX_FRAME);
  });

  it('follows a weight change from the next frame on', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    run(p, 100, 1000);
    p.setWeight('b', 4);
    const bytes = run(p, 5000, 1000);
    expect(bytes.get('a')).toBe(1000 * 1000);
    expect(bytes.get('b')).toBe(4000 * 1000);
  });

  it('a carrier whose writability did not change keeps its virtual time', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    expect(p.pick(MAX_FRAME)).toBe('a');
    p.setWritable('a', true); // already writable: no reset of its lead
    expect(p.pick(MAX_FRAME)).toBe('b');
    p.setWritable('b', false);
    p.observe();
    p.setWritable('b', false);
    p.observe();
    expect(p.writableCount).toBe(1);
  });

  it('keeps the same pick pattern across a very long transfer (virtual times renormalised)', () => {
    // 65535 = 3 * 5 * 17 * 257, so every charge is an exact integer and ties
    // fall the same way before and after the shift.
    const size = 65535;
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 3);
    p.add('idle', 5);
    p.setWritable('idle', false); // far behind the others when it returns
    const first = sequence(p, 8, size);
    // 2^20 frames of 64 KiB: the smallest virtual time passes 2^30 (the
    // renormalisation bound) seven times.
    for (let i = 0; i < 2 ** 20 - 16; i++) p.pick(size);
    expect(sequence(p, 8, size)).toEqual(first);
    p.setWritable('idle', true);
    const bytes = run(p, 9000, size);
    expect(bytes.get('a')).toBe(1000 * size);
    expect(bytes.get('b')).toBe(3000 * size);
    expect(bytes.get('idle')).toBe(5000 * size);
  });

  it('rejects weight 0', () => {
    const p = new NamedPicker();
    expectCode(() => p.add('a', 0), 'MPX_ERR_INVALID_ARGUMENT');
    expect(p.has('a')).toBe(false);
  });

  it('rejects weights that are not integers in 1-65535', () => {
    const p = new NamedPicker();
    for (const w of [-1, 1.5, 65536, Number.NaN, Infinity]) expectCode(() => p.add('a', w), 'MPX_ERR_INVALID_ARGUMENT');
    p.add('a', 65535);
    p.add('b', 1);
    expectCode(() => p.setWeight('a', 0), 'MPX_ERR_INVALID_ARGUMENT');
    expect(p.size).toBe(2);
  });

  it('rejects adding a carrier twice and unknown carriers', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    expectCode(() => p.add('a', 2), 'MPX_ERR_INVALID_ARGUMENT');
    expectCode(() => p.setWeight('zz', 2), 'MPX_ERR_INVALID_ARGUMENT');
  });

  it('rejects a negative or non-finite frame size', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    expectCode(() => p.pick(-1), 'MPX_ERR_INVALID_ARGUMENT');
    expectCode(() => p.pick(Number.NaN), 'MPX_ERR_INVALID_ARGUMENT');
    expect(p.pick(0)).toBe('a');
  });

  it('uses object carriers as keys', () => {
    const one = { id: 1, writable: true };
    const two = { id: 2, writable: true };
    const p = new WeightedPicker<typeof one>();
    p.add(one, 1);
    p.add(two, 1);
    expect(Array.from({ length: 4 }, () => p.pick(10))).toEqual([one, two, one, two]);
  });

  it('reads writability from the carrier at each pick, without being told', () => {
    const one = { id: 1, writable: true };
    const two = { id: 2, writable: true };
    const p = new WeightedPicker<typeof one>();
    p.add(one, 1);
    p.add(two, 1);
    one.writable = false;
    expect(p.writableCount).toBe(1);
    expect(Array.from({ length: 3 }, () => p.pick(10))).toEqual([two, two, two]);
    two.writable = false;
    expect(p.pick(10)).toBeUndefined();
    one.writable = true;
    expect(p.pick(10)).toBe(one);
  });

  it('a carrier that drained and came back between two picks keeps its virtual time', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    expect(p.pick(MAX_FRAME)).toBe('a'); // 'a' is 64 KiB ahead, 'b' is behind
    p.setWritable('b', false);
    p.setWritable('b', true); // no pick saw it leave: it missed nothing
    expect(sequence(p, 2, MAX_FRAME)).toEqual(['b', 'a']);
  });
});

describe('WeightedPicker with a lead (SPEC §8: one write per turn)', () => {
  it('keeps small frames on the carrier it picked last until that one leads another by the lead, then moves on', () => {
    const p = new NamedPicker(1000);
    p.add('a', 1);
    p.add('b', 1);
    // a takes 10 frames of 100 (v = 1000 = b's v + the lead); b is then
    // further behind than the lead allows and takes over, up to 1000 past a.
    expect(sequence(p, 31, 100).join('')).toBe('a'.repeat(10) + 'b'.repeat(20) + 'a');
  });

  it('alternates frame by frame without a lead', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    expect(sequence(p, 6, 100).join('')).toBe('ababab');
  });

  it('measures the lead in bytes over the weight of the carrier it is ahead of', () => {
    const p = new NamedPicker(1000);
    p.add('a', 1);
    p.add('b', 4);
    // b (weight 4) may lead a by 1000 / 1 = 1000 in virtual time, i.e. 4000
    // bytes of its own: 40 frames of 100 before a's turn comes.
    const seq = sequence(p, 60, 100);
    expect(seq.slice(0, 41).join(',')).toBe([...Array<string>(40).fill('b'), 'a'].join(','));
  });

  it('moves on at once when the carrier it picked last needs drain, and keeps to the new one', () => {
    const p = new NamedPicker(1000);
    p.add('a', 1);
    p.add('b', 1);
    expect(sequence(p, 3, 100).join('')).toBe('aaa');
    p.setWritable('a', false);
    p.setWritable('a', true);
    p.setWritable('a', false);
    expect(sequence(p, 3, 100).join('')).toBe('bbb');
    p.setWritable('a', true);
    // a is back at no less than b's v; b, picked last, keeps the frames while within the lead.
    expect(p.pick(100)).toBe('b');
  });

  it('forgets the carrier it picked last once that one is removed', () => {
    const p = new NamedPicker(1000);
    p.add('a', 1);
    p.add('b', 1);
    p.add('c', 1);
    expect(sequence(p, 2, 100).join('')).toBe('aa');
    p.remove('a');
    expect(sequence(p, 2, 100).join('')).toBe('bb');
  });

  it('keeps the long-run byte shares of the weights', () => {
    const p = new NamedPicker(16 * 1024);
    p.add('a', 1);
    p.add('b', 1);
    p.add('c', 2);
    const bytes = run(p, 40_000, 100);
    // Off the exact 1:1:2 split by at most the lead per carrier.
    expect(Math.abs((bytes.get('a') ?? 0) - 1_000_000)).toBeLessThanOrEqual(2 * 16 * 1024);
    expect(Math.abs((bytes.get('b') ?? 0) - 1_000_000)).toBeLessThanOrEqual(2 * 16 * 1024);
    expect(Math.abs((bytes.get('c') ?? 0) - 2_000_000)).toBeLessThanOrEqual(2 * 16 * 1024);
  });

  it('rejects a negative or non-finite lead', () => {
    expectCode(() => new WeightedPicker(-1), 'MPX_ERR_INVALID_ARGUMENT');
    expectCode(() => new WeightedPicker(Number.NaN), 'MPX_ERR_INVALID_ARGUMENT');
    expectCode(() => new WeightedPicker(Infinity), 'MPX_ERR_INVALID_ARGUMENT');
  });
});

describe('WeightedPicker.pickBy (SPEC §8: frames ahead of the caps)', () => {
  it('picks the carrier with the lowest finite score, writable or not, first added on ties', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    p.add('c', 1);
    p.setWritable('a', false);
    p.setWritable('b', false);
    const scores = new Map([
      ['a', 5],
      ['b', 3],
      ['c', Infinity],
    ]);
    expect(p.picker.pickBy(100, (c) => scores.get(c.name) ?? Infinity)?.name).toBe('b');
    scores.set('a', 3);
    expect(p.picker.pickBy(100, (c) => scores.get(c.name) ?? Infinity)?.name).toBe('a');
  });

  it('returns undefined when no score is finite', () => {
    const p = new NamedPicker();
    expect(p.picker.pickBy(100, () => 0)).toBeUndefined();
    p.add('a', 1);
    expect(p.picker.pickBy(100, () => Infinity)).toBeUndefined();
  });

  it('charges the carrier it picks, as pick() does', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    p.add('b', 1);
    // 'a' takes 300 bytes ahead; plain picks then go to 'b' until it has caught up.
    expect(p.picker.pickBy(300, (c) => (c.name === 'a' ? 0 : Infinity))?.name).toBe('a');
    expect(sequence(p, 4, 100).join('')).toBe('bbba');
  });

  it('rejects a negative or non-finite frame size', () => {
    const p = new NamedPicker();
    p.add('a', 1);
    expectCode(() => p.picker.pickBy(-1, () => 0), 'MPX_ERR_INVALID_ARGUMENT');
    expectCode(() => p.picker.pickBy(Number.NaN, () => 0), 'MPX_ERR_INVALID_ARGUMENT');
  });
});

describe("WeightedPicker.pickBy with a floor (SPEC §8: a small stream's frame)", () => {
  it("scores only the carrier it chose last while no other carrier's floor is below that score", () => {
    const p = new NamedPicker();
    for (const name of ['a', 'b', 'c', 'd']) p.add(name, 1);
    const scores = new Map([
      ['a', 5],
      ['b', 2],
      ['c', 4.5],
      ['d', 3],
    ]);
    const scored: string[] = [];
    const score = (c: Carrier): number => {
      scored.push(c.name);
      return scores.get(c.name) ?? Infinity;
    };
    const floor = (c: Carrier): number => (scores.get(c.name) ?? Infinity) - 1;
    // Nothing chosen yet: every carrier whose floor is below the best so far is scored.
    expect(p.picker.pickBy(100, score, floor)?.name).toBe('b');
    expect(scored).toEqual(['a', 'b']);
    scored.length = 0;
    // 'b' again: scored first, and no floor (a 4, c 3.5, d 2) is below its score ('d' would only tie, added after 'b').
    expect(p.picker.pickBy(100, score, floor)?.name).toBe('b');
    expect(scored).toEqual(['b']);
    scored.length = 0;
    // 'b' now scores 3.5: only 'd' (floor 2) could beat it ('c' could only tie), and does.
    scores.set('b', 3.5);
    expect(p.picker.pickBy(100, score, floor)?.name).toBe('d');
    expect(scored).toEqual(['b', 'd']);
  });

  it('gives a tie to the carrier added first, though the one chosen last was scored first', () => {
    const p = new NamedPicker();
    for (const name of ['a', 'b']) p.add(name, 1);
    const scores = new Map([
      ['a', 9],
      ['b', 1],
    ]);
    const score = (c: Carrier): number => scores.get(c.name) ?? Infinity;
    expect(p.picker.pickBy(100, score, score)?.name).toBe('b');
    scores.set('a', 1);
    expect(p.picker.pickBy(100, score, score)?.name).toBe('a');
  });
});
