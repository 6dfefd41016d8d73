// SPEC §8: properties of the weighted fair carrier picker under random
// weights, frame sizes and drain toggling. Fixed seeds; frame sizes and
// toggles come from a small PRNG seeded by fast-check.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { WeightedPicker } from '../src/scheduler.js';

const SEED = 0x5c4ed;
const MAX_FRAME = 65536;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type SizeMode = 'uniform' | 'max' | 'mixed';

function sizer(mode: SizeMode, rand: () => number): () => number {
  switch (mode) {
    case 'uniform':
      return () => 1 + Math.floor(rand() * MAX_FRAME);
    case 'max':
      return () => MAX_FRAME;
    case 'mixed':
      return () => (rand() < 0.5 ? 1 + Math.floor(rand() * 1500) : MAX_FRAME);
    default: {
      const never: never = mode;
      throw new Error(`unknown mode ${String(never)}`);
    }
  }
}

const weightsArb = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 8 });
const sizeModeArb = fc.constantFrom<SizeMode>('uniform', 'max', 'mixed');
/**
 * The picker's lead (0: none; the sessions' CARRIER_LEAD_BYTES; the largest
 * frame). Every bound below holds with F = max(largest frame, lead), which
 * is MAX_FRAME for all three.
 */
const leadArb = fc.constantFrom(0, 16 * 1024, MAX_FRAME);

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Carrier `i` as the picker sees it: its index, and the flag the picker reads. */
interface Carrier {
  readonly i: number;
  writable: boolean;
}

/** A picker over one writable carrier per weight, carrier `i` with `weights[i]`. */
function pickerOf(weights: readonly number[], lead = 0): { p: WeightedPicker<Carrier>; carriers: Carrier[] } {
  const p = new WeightedPicker<Carrier>(lead);
  const carriers = weights.map((w, i) => {
    const c = { i, writable: true };
    p.add(c, w);
    return c;
  });
  return { p, carriers };
}

describe('WeightedPicker properties', () => {
  it('gives each carrier its weight share of bytes within 5% over 20,000 picks', () => {
    fc.assert(
      fc.property(weightsArb, sizeModeArb, fc.integer(), leadArb, (weights, mode, seed, lead) => {
        const { p } = pickerOf(weights, lead);
        const nextSize = sizer(mode, prng(seed));
        const bytes = weights.map(() => 0);
        let total = 0;
        for (let n = 0; n < 20_000; n++) {
          const size = nextSize();
          const c = p.pick(size)?.i;
          if (c === undefined) return false;
          bytes[c] = (bytes[c] ?? 0) + size;
          total += size;
        }
        const W = sum(weights);
        weights.forEach((w, i) => {
          const share = (bytes[i] ?? 0) / total;
          expect(Math.abs(share - w / W)).toBeLessThanOrEqual((0.05 * w) / W);
        });
        return true;
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  /**
   * Random drain toggling: at each step a carrier may flip between writable
   * and not, then a frame is picked; the observer sees every toggle and pick.
   */
  function simulate(
    weights: readonly number[],
    mode: SizeMode,
    seed: number,
    toggleRate: number,
    steps: number,
    lead: number,
    observer: {
      onToggle(i: number, writable: boolean): void;
      onPick(c: number, size: number, writable: readonly boolean[]): void;
    },
  ): void {
    const rand = prng(seed);
    const nextSize = sizer(mode, rand);
    const { p, carriers } = pickerOf(weights, lead);
    const writable = weights.map(() => true);
    for (let n = 0; n < steps; n++) {
      if (rand() < toggleRate) {
        const i = Math.floor(rand() * weights.length);
        writable[i] = !writable[i];
        (carriers[i] as Carrier).writable = writable[i] ?? false;
        observer.onToggle(i, writable[i] ?? false);
      }
      const size = nextSize();
      const c = p.pick(size)?.i;
      if ((c === undefined) !== !writable.includes(true)) throw new Error(`step ${n}: pick gave ${c}`);
      if (c !== undefined) {
        if (writable[c] !== true) throw new Error(`step ${n}: picked carrier ${c} that is in drain`);
        observer.onPick(c, size, writable);
      }
    }
  }

  const toggleRateArb = fc.constantFrom(0.002, 0.02, 0.1);

  it('gives no catch-up burst: while the writable set holds, a carrier gets at most its share plus a bound independent of time in drain', () => {
    // Bound (derived under "Bounds" in src/scheduler.ts): over an
    // interval with a constant writable set S of total weight W, carrier A
    // gets at most (w_A / W) of the bytes plus
    //   (w_A / W) * maxFrame * ((|S| - 1) + (W - w_A) / w_min)
    // where w_min is the smallest weight. It does not grow with the time A
    // (or anyone) spent in drain; a picker that let A keep its old virtual
    // time would exceed it by the bytes A missed while away.
    fc.assert(
      fc.property(weightsArb, sizeModeArb, fc.integer(), toggleRateArb, leadArb, (weights, mode, seed, rate, lead) => {
        const wMin = Math.min(...weights);
        const got = weights.map(() => 0);
        let total = 0;
        let worst = -Infinity; // largest amount over the bound, in bytes
        simulate(weights, mode, seed, rate, 6000, lead, {
          onToggle() {
            got.fill(0); // a new interval starts
            total = 0;
          },
          onPick(c, size, writable) {
            got[c] = (got[c] ?? 0) + size;
            total += size;
            const live = weights.filter((_, i) => writable[i]);
            const W = sum(live);
            weights.forEach((w, i) => {
              if (!writable[i]) return;
              const slack = (w / W) * MAX_FRAME * (live.length - 1 + (W - w) / wMin);
              const excess = (got[i] ?? 0) - (w / W) * total - slack;
              if (excess > worst) worst = excess;
            });
          },
        });
        expect(worst).toBeLessThanOrEqual(1); // 1 byte of slack for rounding
        return true;
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('starves no carrier: a writable carrier is picked before the others carry a bounded number of bytes', () => {
    // While carrier k stays writable and is not picked, each other carrier j
    // can take at most w_j * (maxFrame / w_min + maxFrame / w_k) bytes.
    fc.assert(
      fc.property(weightsArb, sizeModeArb, fc.integer(), toggleRateArb, leadArb, (weights, mode, seed, rate, lead) => {
        const wMin = Math.min(...weights);
        const W = sum(weights);
        const othersSince = weights.map(() => 0); // bytes to others since k's last pick or return
        const picked = weights.map(() => false);
        let worst = -Infinity; // largest amount over the bound, in bytes
        simulate(weights, mode, seed, rate, 6000, lead, {
          onToggle(i, writable) {
            if (writable) othersSince[i] = 0;
          },
          onPick(c, size, writable) {
            picked[c] = true;
            weights.forEach((w, k) => {
              if (k === c) {
                othersSince[k] = 0;
                return;
              }
              othersSince[k] = (othersSince[k] ?? 0) + size;
              if (!writable[k]) return;
              const over = (othersSince[k] ?? 0) - (W - w) * (MAX_FRAME / wMin + MAX_FRAME / w);
              if (over > worst) worst = over;
            });
          },
        });
        expect(worst).toBeLessThanOrEqual(1); // 1 byte of slack for rounding
        // With rare toggles every carrier is writable long enough to be picked.
        if (rate <= 0.02) expect(picked.every(Boolean)).toBe(true);
        return true;
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('shares bytes by weight again once every carrier is back from drain', () => {
    fc.assert(
      fc.property(weightsArb, fc.integer(), leadArb, (weights, seed, lead) => {
        const rand = prng(seed);
        const { p, carriers } = pickerOf(weights, lead);
        // A burst of random drains, ending with everyone writable.
        const writable = weights.map(() => true);
        for (let n = 0; n < 2000; n++) {
          const i = Math.floor(rand() * weights.length);
          if (rand() < 0.05) {
            writable[i] = !writable[i];
            (carriers[i] as Carrier).writable = writable[i] ?? false;
          }
          p.pick(1 + Math.floor(rand() * MAX_FRAME));
        }
        for (const c of carriers) c.writable = true;
        const bytes = weights.map(() => 0);
        let total = 0;
        for (let n = 0; n < 20_000; n++) {
          const size = 1 + Math.floor(rand() * MAX_FRAME);
          const c = (p.pick(size) as Carrier).i;
          bytes[c] = (bytes[c] ?? 0) + size;
          total += size;
        }
        const W = sum(weights);
        weights.forEach((w, i) => {
          expect(Math.abs((bytes[i] ?? 0) / total - w / W)).toBeLessThanOrEqual((0.05 * w) / W);
        });
        return true;
      }),
      { seed: SEED, numRuns: 30 },
    );
  });
});

describe("WeightedPicker.pickBy with a floor (SPEC §8: a small stream's frame)", () => {
  /**
   * Two pickers over the same carriers take the same steps: pickBy with
   * random scores (few distinct values, so ties are common, and Infinity),
   * the one with floors at or below each score, a plain pick now and then,
   * a carrier removed and one added. Every choice must agree, so the floor
   * changes what is computed, never what is chosen or charged.
   */
  it('chooses what pickBy without a floor chooses, ties and plain picks between included', () => {
    fc.assert(
      fc.property(weightsArb, fc.integer(), leadArb, (weights, seed, lead) => {
        const rand = prng(seed);
        const plain = pickerOf(weights, lead);
        const floored = pickerOf(weights, lead);
        const carriers = [...weights.keys()];
        let nextId = weights.length;
        for (let n = 0; n < 2000; n++) {
          const step = rand();
          if (step < 0.01 && carriers.length > 1) {
            const i = carriers.splice(Math.floor(rand() * carriers.length), 1)[0] as number;
            plain.p.remove(plain.carriers[i] as Carrier);
            floored.p.remove(floored.carriers[i] as Carrier);
            continue;
          }
          if (step < 0.02) {
            const w = 1 + Math.floor(rand() * 8);
            for (const side of [plain, floored]) {
              const c = { i: nextId, writable: true };
              side.carriers[nextId] = c;
              side.p.add(c, w);
            }
            carriers.push(nextId++);
            continue;
          }
          const size = 1 + Math.floor(rand() * 2000);
          if (step < 0.2) {
            expect(floored.p.pick(size)?.i).toBe(plain.p.pick(size)?.i);
            continue;
          }
          const scores = new Map<number, number>();
          const floors = new Map<number, number>();
          for (const i of carriers) {
            const s = rand() < 0.1 ? Infinity : Math.floor(rand() * 4);
            scores.set(i, s);
            floors.set(i, rand() < 0.5 ? s : s - Math.floor(rand() * 3));
          }
          const chosen = plain.p.pickBy(size, (c) => scores.get(c.i) ?? Infinity)?.i;
          const withFloor = floored.p.pickBy(
            size,
            (c) => scores.get(c.i) ?? Infinity,
            (c) => floors.get(c.i) ?? Infinity,
          )?.i;
          expect(withFloor).toBe(chosen);
        }
        return true;
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
