// SPEC §6.5, §5.1: the reorder buffer checked against a plain model (one flag
// per stream byte) under random inserts, reads, final sizes and clears.
// Every fc.assert call has a fixed seed, so a failure replays exactly.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { WireCode } from '../src/constants.js';
import { PinBudget } from '../src/pinning.js';
import { GapBudget, ReorderBuffer } from '../src/reorder-buffer.js';
import { OFFSET_STEP } from '../src/small-integers.js';
import { wireCodeOf } from './wire-code-of.js';

/** The slow, obviously right reorder buffer: a flag per byte offset. */
class Model {
  readonly received: boolean[] = [];
  readOffset = 0;
  highest = 0;
  finalSize: number | undefined = undefined;
  discarding = false;

  constructor(readonly maxGaps: number) {}

  get buffered(): number {
    if (this.discarding) return 0;
    let n = 0;
    for (let o = this.readOffset; o < this.received.length; o++) if (this.received[o] === true) n++;
    return n;
  }

  /** Runs of buffered bytes that do not start at the read offset: one gap below each. */
  gapCount(received: readonly boolean[] = this.received): number {
    if (this.discarding) return 0;
    let gaps = 0;
    for (let o = this.readOffset + 1; o < received.length; o++) {
      if (received[o] === true && received[o - 1] !== true) gaps++;
    }
    return gaps;
  }

  /**
   * The new-byte count, or the wire code the insert must fail with.
   * `gapRoom`: how many gaps a shared budget still allows (SPEC §7.3).
   */
  insert(offset: number, length: number, gapRoom = Infinity): number | { error: number } {
    const end = offset + length;
    if (this.finalSize !== undefined && end > this.finalSize) return { error: WireCode.FINAL_SIZE };
    if (this.discarding) {
      this.highest = Math.max(this.highest, end);
      return 0;
    }
    const next = this.received.slice();
    let added = 0;
    for (let o = offset; o < end; o++) {
      if (next[o] !== true) {
        next[o] = true;
        added++;
      }
    }
    if (this.gapCount(next) > this.maxGaps) return { error: WireCode.PROTOCOL };
    if (this.gapCount(next) > this.gapCount() + gapRoom) return { error: WireCode.LIMIT_EXCEEDED };
    for (let o = offset; o < end; o++) this.received[o] = true;
    this.highest = Math.max(this.highest, end);
    return added;
  }

  /** How many bytes are readable at the read offset. */
  readable(): number {
    if (this.discarding) return 0;
    let o = this.readOffset;
    while (this.received[o] === true) o++;
    return o - this.readOffset;
  }

  setFinalSize(size: number): number | undefined {
    if (this.finalSize !== undefined && this.finalSize !== size) return WireCode.FINAL_SIZE;
    if (this.highest > size) return WireCode.FINAL_SIZE;
    this.finalSize = size;
    return undefined;
  }
}

/** What the checks below use of a ReorderBuffer. */
type BufferLike = Pick<
  ReorderBuffer,
  | 'insert'
  | 'read'
  | 'setFinalSize'
  | 'clear'
  | 'readOffset'
  | 'bufferedBytes'
  | 'highestReceived'
  | 'gapCount'
  | 'hasReadable'
  | 'finalSize'
  | 'isFinished'
>;

/**
 * A buffer that first took and delivered `lead` bytes, seen from there:
 * offsets shifted down by `lead`, so the model's stream starts at its read
 * offset.
 */
class Advanced implements BufferLike {
  constructor(
    readonly rb: ReorderBuffer,
    readonly lead: number,
  ) {
    const chunk = new Uint8Array(1 << 20);
    for (let at = 0; at < lead; at += chunk.length) {
      rb.insert(at, chunk.subarray(0, Math.min(chunk.length, lead - at)));
      while (rb.read() !== null);
    }
  }

  insert(offset: number, data: Uint8Array): number {
    return this.rb.insert(offset + this.lead, data);
  }

  read(max?: number): Uint8Array | null {
    return this.rb.read(max);
  }

  setFinalSize(size: number): void {
    this.rb.setFinalSize(size + this.lead);
  }

  clear(): number {
    return this.rb.clear();
  }

  get readOffset(): number {
    return this.rb.readOffset - this.lead;
  }

  get bufferedBytes(): number {
    return this.rb.bufferedBytes;
  }

  get highestReceived(): number {
    return this.rb.highestReceived - this.lead;
  }

  get gapCount(): number {
    return this.rb.gapCount;
  }

  get hasReadable(): boolean {
    return this.rb.hasReadable;
  }

  get finalSize(): number | undefined {
    const size = this.rb.finalSize;
    return size === undefined ? undefined : size - this.lead;
  }

  get isFinished(): boolean {
    return this.rb.isFinished;
  }
}

function expectSameState(rb: BufferLike, model: Model): void {
  expect(rb.readOffset).toBe(model.readOffset);
  expect(rb.bufferedBytes).toBe(model.buffered);
  expect(rb.highestReceived).toBe(model.highest);
  expect(rb.gapCount).toBe(model.gapCount());
  expect(rb.hasReadable).toBe(model.readable() > 0);
  expect(rb.finalSize).toBe(model.finalSize);
  expect(rb.isFinished).toBe(model.finalSize !== undefined && model.readOffset === model.finalSize);
}

type Op =
  | { kind: 'insert'; offset: number; length: number }
  | { kind: 'read'; max: number | undefined }
  | { kind: 'final'; size: number }
  | { kind: 'clear' };

/** Random operations on a stream of `size` bytes; inserts of at most `maxLength` bytes. */
function opArb(size: number, maxLength = size): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .record({ offset: fc.integer({ min: 0, max: size }), length: fc.integer({ min: 0, max: maxLength }) })
        .map(({ offset, length }): Op => ({ kind: 'insert', offset, length: Math.min(length, size - offset) })),
    },
    {
      weight: 4,
      arbitrary: fc.option(fc.integer({ min: 1, max: size + 1 }), { nil: undefined }).map((max): Op => ({ kind: 'read', max })),
    },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: size }).map((s): Op => ({ kind: 'final', size: s })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'clear' }) },
  );
}

/**
 * Applies `op` to the buffer and to the model, checking the buffer's answer
 * against the model's. `gapRoom`: the gaps a shared budget still allows.
 */
function applyOp(rb: BufferLike, model: Model, op: Op, content: Uint8Array, gapRoom = Infinity): void {
  switch (op.kind) {
    case 'insert': {
      const expected = model.insert(op.offset, op.length, gapRoom);
      const data = content.subarray(op.offset, op.offset + op.length);
      if (typeof expected === 'number') {
        expect(rb.insert(op.offset, data)).toBe(expected);
      } else {
        expect(wireCodeOf(() => rb.insert(op.offset, data))).toBe(expected.error);
      }
      break;
    }
    case 'read': {
      const readable = model.readable();
      const chunk = rb.read(op.max);
      if (readable === 0) {
        expect(chunk).toBeNull();
      } else {
        expect(chunk).not.toBeNull();
        const n = chunk!.length;
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(Math.min(readable, op.max ?? Infinity));
        expect(chunk).toEqual(content.subarray(model.readOffset, model.readOffset + n));
        model.readOffset += n;
      }
      break;
    }
    case 'final': {
      expect(wireCodeOf(() => rb.setFinalSize(op.size))).toBe(model.setFinalSize(op.size));
      break;
    }
    case 'clear': {
      expect(rb.clear()).toBe(model.buffered);
      model.discarding = true;
      break;
    }
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

describe('ReorderBuffer against a model', () => {
  it('matches the model after every insert, read, final size and clear', () => {
    const scenario = fc.uint8Array({ minLength: 1, maxLength: 120 }).chain((content) =>
      fc.record({
        content: fc.constant(content),
        maxGaps: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(1024)),
        ops: fc.array(opArb(content.length), { maxLength: 60 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ content, maxGaps, ops }) => {
        const rb = new ReorderBuffer({ maxGaps });
        const model = new Model(maxGaps);
        for (const op of ops) {
          applyOp(rb, model, op, content);
          expectSameState(rb, model);
          expect(model.gapCount()).toBeLessThanOrEqual(maxGaps);
        }
      }),
      { seed: 0x6d7078, numRuns: 400 },
    );
  });

  it('matches the model across the steps of its base (offsets near 2^30 and 2^31, small-integers.ts)', () => {
    const scenario = fc.uint8Array({ minLength: 1, maxLength: 80 }).chain((content) =>
      fc.record({
        content: fc.constant(content),
        // The base moves when the read offset passes a step: a few bytes into the model's stream, or never.
        lead: fc
          .tuple(fc.constantFrom(1, 2), fc.integer({ min: -4, max: content.length + 4 }))
          .map(([steps, before]) => steps * OFFSET_STEP - before),
        ops: fc.array(opArb(content.length), { maxLength: 60 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ content, lead, ops }) => {
        const rb = new Advanced(new ReorderBuffer({ maxGaps: 4 }), lead);
        const model = new Model(4);
        for (const op of ops) {
          applyOp(rb, model, op, content);
          expectSameState(rb, model);
        }
        // Whatever is left, once every byte came: all of it, in order.
        const end = rb.finalSize ?? content.length;
        if (!model.discarding) {
          rb.insert(model.readOffset, content.subarray(model.readOffset, end));
          const rest: Uint8Array[] = [];
          for (let chunk = rb.read(); chunk !== null; chunk = rb.read()) rest.push(chunk);
          expect(Buffer.concat(rest)).toEqual(Buffer.from(content.subarray(model.readOffset, end)));
          expect(rb.gapCount).toBe(0);
        }
      }),
      { seed: 0x73746570, numRuns: 150 },
    );
  });

  it('shares one gap budget between buffers: its use is the sum of their gaps, and a gap beyond it is LIMIT_EXCEEDED', () => {
    const scenario = fc.uint8Array({ minLength: 1, maxLength: 80 }).chain((content) =>
      fc.record({
        content: fc.constant(content),
        budget: fc.integer({ min: 0, max: 6 }),
        ops: fc.array(fc.record({ which: fc.integer({ min: 0, max: 2 }), op: opArb(content.length) }), { maxLength: 80 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ content, budget, ops }) => {
        const shared = new GapBudget(budget);
        const rbs = [0, 1, 2].map(() => new ReorderBuffer({ maxGaps: 4, budget: shared }));
        const models = [0, 1, 2].map(() => new Model(4));
        for (const { which, op } of ops) {
          const rb = rbs[which]!;
          const model = models[which]!;
          const used = models.reduce((sum, m) => sum + m.gapCount(), 0);
          applyOp(rb, model, op, content, budget - used);
          expectSameState(rb, model);
          expect(shared.used).toBe(rbs.reduce((sum, r) => sum + r.gapCount, 0));
          expect(shared.used).toBeLessThanOrEqual(budget);
        }
      }),
      { seed: 0x67617073, numRuns: 300 },
    );
  });

  it('shares one pin budget between buffers: its use is the sum of what they pin, never above its max, and all comes back', () => {
    // The stream's bytes lie in memory 4 times their length, so most pieces
    // would pin more than PIN_RATIO times their size: views while the budget
    // has room, copies beyond it.
    const scenario = fc.uint8Array({ minLength: 1, maxLength: 80 }).chain((bytes) =>
      fc.record({
        bytes: fc.constant(bytes),
        budget: fc.integer({ min: 0, max: 4 }),
        // Short inserts: many small pieces side by side, stored, joined and read.
        ops: fc.array(fc.record({ which: fc.integer({ min: 0, max: 2 }), op: opArb(bytes.length, 12) }), { maxLength: 120 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ bytes, budget, ops }) => {
        const memory = new Uint8Array(4 * 80);
        memory.set(bytes);
        const content = memory.subarray(0, bytes.length);
        const pins = new PinBudget(budget * memory.byteLength);
        const rbs = [0, 1, 2].map(() => new ReorderBuffer({ pins }));
        const models = [0, 1, 2].map(() => new Model(1024));
        for (const { which, op } of ops) {
          const rb = rbs[which]!;
          const model = models[which]!;
          applyOp(rb, model, op, content);
          // A reader that stops leaves its in-order pieces to be checked (MpxStream.deliver).
          if (op.kind === 'read' && op.max !== undefined) rb.settle();
          expectSameState(rb, model);
          expect(pins.used).toBe(rbs.reduce((sum, r) => sum + r.pinnedBytes, 0));
          expect(pins.used).toBeLessThanOrEqual(pins.max);
          // What a buffer pins is held by its pieces: one memory each at most, none once it holds nothing.
          expect(rb.pinnedBytes).toBeLessThanOrEqual(rb.pieceCount * memory.byteLength);
          if (rb.bufferedBytes === 0) expect(rb.pinnedBytes).toBe(0);
        }
        // Every gap filled and everything read: nothing stays pinned.
        for (const rb of rbs) {
          const end = rb.finalSize ?? content.length;
          // In order, in small pieces, settled as they come (a reader that waits) and then read in small parts.
          for (let at = 0; at < end; at += 3) {
            rb.insert(at, content.subarray(at, Math.min(end, at + 3)));
            rb.settle();
          }
          while (rb.read(2) !== null) rb.settle();
          expect(rb.bufferedBytes).toBe(0);
          expect(rb.pinnedBytes).toBe(0);
        }
        expect(pins.used).toBe(0);
      }),
      { seed: 0x70696e73, numRuns: 400 },
    );
  });

  it('reassembles a stream cut into overlapping, duplicated pieces inserted in any order', () => {
    const scenario = fc.uint8Array({ minLength: 0, maxLength: 300 }).chain((content) => {
      const n = content.length;
      // Cut points make a cover of [0, n); extra pieces overlap and duplicate it.
      const cuts = fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 20 });
      const extra = fc.array(
        fc.tuple(fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
        { maxLength: 15 },
      );
      return fc.record({
        content: fc.constant(content),
        pieces: fc.tuple(cuts, extra).chain(([cutPoints, extraPieces]) => {
          const points = [0, ...cutPoints.filter((c) => c < n).sort((a, b) => a - b), n];
          const cover = points.slice(1).map((end, i) => [points[i]!, end] as const);
          const all = [...cover, ...extraPieces, ...extraPieces.slice(0, 3)];
          return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
        }),
        readAfter: fc.array(fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }), { maxLength: 80 }),
        finalAt: fc.nat(),
      });
    });
    fc.assert(
      fc.property(scenario, ({ content, pieces, readAfter, finalAt }) => {
        const rb = new ReorderBuffer();
        const model = new Model(1024);
        const delivered: Uint8Array[] = [];
        let newBytes = 0;
        const finalIndex = pieces.length === 0 ? 0 : finalAt % pieces.length;
        pieces.forEach(([start, end], i) => {
          // The FIN may arrive before, among or after the data.
          if (i === finalIndex) {
            rb.setFinalSize(content.length);
            model.setFinalSize(content.length);
          }
          const added = rb.insert(start, content.subarray(start, end));
          expect(added).toBe(model.insert(start, end - start));
          newBytes += added;
          const max = readAfter[i];
          if (max !== undefined) {
            const chunk = rb.read(max);
            if (chunk !== null) {
              delivered.push(chunk);
              model.readOffset += chunk.length;
            }
          }
          expectSameState(rb, model);
        });
        if (pieces.length === 0) rb.setFinalSize(content.length);
        for (let chunk = rb.read(); chunk !== null; chunk = rb.read()) delivered.push(chunk);
        expect(Buffer.concat(delivered)).toEqual(Buffer.from(content));
        expect(newBytes).toBe(content.length);
        expect(rb.bufferedBytes).toBe(0);
        expect(rb.gapCount).toBe(0);
        expect(rb.isFinished).toBe(true);
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });
});
