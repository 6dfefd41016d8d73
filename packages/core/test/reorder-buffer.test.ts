// SPEC §6.5, §5.1: behaviour of the per-stream reorder buffer. Diagrams show
// stream offsets; `#` is buffered, `.` missing, `=` the insert under test.
import { describe, it, expect } from 'vitest';
import { WireCode } from '../src/constants.js';
import { MpxError, MpxProtocolError } from '../src/errors.js';
import { PinBudget } from '../src/pinning.js';
import { readBlocks } from '../src/read-blocks.js';
import { DEFAULT_MAX_GAPS, GAP_CHARGE, GapBudget, ReorderBuffer, sessionGapLimit } from '../src/reorder-buffer.js';
import { OFFSET_STEP } from '../src/small-integers.js';

/** The stream's byte at `offset`: distinct enough to catch misplaced bytes. */
function byteAt(offset: number): number {
  return (offset * 31 + 7) & 0xff;
}

/** Stream bytes `[start, end)`. */
function bytes(start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = byteAt(start + i);
  return out;
}

/** Reads everything readable and returns it joined. */
function drain(rb: ReorderBuffer): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let chunk = rb.read(); chunk !== null; chunk = rb.read()) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

function expectProtocolError(fn: () => unknown, wireCode: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MpxProtocolError);
  expect((caught as MpxProtocolError).wireCode).toBe(wireCode);
}

describe('ReorderBuffer', () => {
  describe('in-order data', () => {
    it('starts empty', () => {
      const rb = new ReorderBuffer();
      expect(rb.readOffset).toBe(0);
      expect(rb.bufferedBytes).toBe(0);
      expect(rb.highestReceived).toBe(0);
      expect(rb.finalSize).toBeUndefined();
      expect(rb.isFinished).toBe(false);
      expect(rb.hasReadable).toBe(false);
      expect(rb.gapCount).toBe(0);
      expect(rb.read()).toBeNull();
    });

    it('delivers appended frames in order and counts every byte as new', () => {
      const rb = new ReorderBuffer();
      expect(rb.insert(0, bytes(0, 5))).toBe(5);
      expect(rb.insert(5, bytes(5, 12))).toBe(7);
      expect(rb.bufferedBytes).toBe(12);
      expect(rb.highestReceived).toBe(12);
      expect(rb.hasReadable).toBe(true);
      expect(drain(rb)).toEqual(bytes(0, 12));
      expect(rb.readOffset).toBe(12);
      expect(rb.bufferedBytes).toBe(0);
    });

    it('keeps an in-order piece read in parts, and joins it with a small neighbour that arrives before it is read', () => {
      //   0     4        10    12
      //   |====|.........|        insert [0, 4): the next expected bytes, nothing stored
      //   |##|.|                  read 2 of them
      //   |##|##|======|          insert [4, 10): joined with the unread [2, 4)
      const rb = new ReorderBuffer();
      expect(rb.insert(0, bytes(0, 4))).toBe(4);
      expect(rb.pieceCount).toBe(1);
      expect(rb.read(2)).toEqual(bytes(0, 2));
      expect(rb.insert(4, bytes(4, 10))).toBe(6);
      expect(rb.pieceCount).toBe(1);
      expect(rb.insert(12, bytes(12, 14))).toBe(2);
      expect(rb.gapCount).toBe(1);
      expect(drain(rb)).toEqual(bytes(2, 10));
      expect(rb.insert(10, bytes(10, 12))).toBe(2);
      expect(drain(rb)).toEqual(bytes(10, 14));
      expect(rb.gapCount).toBe(0);
      expect(rb.bufferedBytes).toBe(0);
    });

    it('copies an in-order piece that would pin a much larger buffer once it stays: settled, or moved beside another piece', () => {
      const read = new Uint8Array(64 * 1024);
      read.set(bytes(0, 100), 1000);
      const settled = new ReorderBuffer();
      settled.insert(0, read.subarray(1000, 1100));
      settled.settle();
      const moved = new ReorderBuffer();
      moved.insert(0, read.subarray(1000, 1100));
      moved.insert(200, bytes(200, 300));
      for (const rb of [settled, moved]) {
        const chunk = rb.read();
        expect(chunk).toEqual(bytes(0, 100));
        expect(chunk?.buffer.byteLength).toBe(100);
      }
    });

    it('keeps in-order frames that arrive before the first is read as views, apart from the maps, and moves them there when one comes out of order', () => {
      //   0      16K     32K     48K           64K    80K
      //   |======|======|======|               three in-order frames, unread
      //   |######|######|######|.............|=====|   then one beyond a gap
      const KiB = 1024;
      const rb = new ReorderBuffer();
      const frames = [0, 1, 2].map((i) => bytes(i * 16 * KiB, (i + 1) * 16 * KiB));
      frames.forEach((f, i) => expect(rb.insert(i * 16 * KiB, f)).toBe(16 * KiB));
      expect(rb.pieceCount).toBe(3);
      expect(rb.gapCount).toBe(0);
      expect(rb.read(KiB)).toEqual(bytes(0, KiB));
      expect(rb.insert(64 * KiB, bytes(64 * KiB, 80 * KiB))).toBe(16 * KiB);
      expect(rb.gapCount).toBe(1);
      const out: Uint8Array[] = [];
      for (let chunk = rb.read(); chunk !== null; chunk = rb.read()) out.push(chunk);
      expect(out.slice(1).map((c) => c.buffer)).toEqual(frames.slice(1).map((f) => f.buffer));
      expect(new Uint8Array(Buffer.concat(out))).toEqual(bytes(KiB, 48 * KiB));
      expect(rb.insert(48 * KiB, bytes(48 * KiB, 64 * KiB))).toBe(16 * KiB);
      expect(drain(rb)).toEqual(bytes(48 * KiB, 80 * KiB));
      expect(rb.bufferedBytes).toBe(0);
    });

    it('joins small in-order frames that wait unread, so that a trickle to a paused reader costs few pieces', () => {
      const rb = new ReorderBuffer();
      for (let at = 0; at < 10_000; at += 10) rb.insert(at, bytes(at, at + 10));
      expect(rb.bufferedBytes).toBe(10_000);
      expect(rb.pieceCount).toBeLessThanOrEqual(Math.ceil(10_000 / (4096 / 2)) + 1);
      expect(drain(rb)).toEqual(bytes(0, 10_000));
    });

    it('checks every in-order piece left when the reader stops, once: those that pin a much larger buffer are copied', () => {
      const read = new Uint8Array(64 * 1024);
      read.set(bytes(0, 5000), 0);
      read.set(bytes(5000, 10_000), 10_000);
      const rb = new ReorderBuffer();
      rb.insert(0, read.subarray(0, 5000));
      rb.insert(5000, read.subarray(10_000, 15_000));
      rb.settle();
      rb.settle();
      const out = [rb.read(), rb.read()];
      expect(out.map((c) => c?.buffer.byteLength)).toEqual([5000, 5000]);
      expect(new Uint8Array(Buffer.concat(out as Uint8Array[]))).toEqual(bytes(0, 10_000));
    });

    it('returns views of the inserted data without copying', () => {
      const rb = new ReorderBuffer();
      const payload = bytes(0, 8);
      rb.insert(0, payload);
      const chunk = rb.read();
      expect(chunk?.buffer).toBe(payload.buffer);
      expect(chunk?.byteOffset).toBe(payload.byteOffset);
    });

    it('reads at most max bytes and keeps the rest for the next read', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 10));
      expect(rb.read(4)).toEqual(bytes(0, 4));
      expect(rb.readOffset).toBe(4);
      expect(rb.bufferedBytes).toBe(6);
      expect(rb.read(100)).toEqual(bytes(4, 10));
      expect(rb.read(1)).toBeNull();
    });

    it('rejects a read with a non-positive max', () => {
      const rb = new ReorderBuffer();
      expect(() => rb.read(0)).toThrow(MpxError);
    });

    it('ignores an empty insert', () => {
      const rb = new ReorderBuffer();
      expect(rb.insert(3, new Uint8Array(0))).toBe(0);
      expect(rb.gapCount).toBe(0);
      expect(rb.highestReceived).toBe(3);
    });
  });

  describe('gaps', () => {
    //   0    4    8
    //   .....|####|      insert [4, 8): one gap below it
    //   |====|           insert [0, 4): gap filled
    it('holds data behind a gap until the gap is filled', () => {
      const rb = new ReorderBuffer();
      expect(rb.insert(4, bytes(4, 8))).toBe(4);
      expect(rb.gapCount).toBe(1);
      expect(rb.hasReadable).toBe(false);
      expect(rb.read()).toBeNull();
      expect(rb.insert(0, bytes(0, 4))).toBe(4);
      expect(rb.gapCount).toBe(0);
      expect(drain(rb)).toEqual(bytes(0, 8));
    });

    //   0   2   4   6   8   10
    //   ####|...|###|...|###|
    //       |===========|         insert [2, 8) fills both gaps
    it('fills several gaps with one frame and stores only the missing parts', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 2));
      rb.insert(4, bytes(4, 6));
      rb.insert(8, bytes(8, 10));
      expect(rb.gapCount).toBe(2);
      expect(rb.insert(2, bytes(2, 8))).toBe(4);
      expect(rb.gapCount).toBe(0);
      expect(rb.bufferedBytes).toBe(10);
      expect(drain(rb)).toEqual(bytes(0, 10));
    });

    //   0       4   6       10
    //   ........|###|.......|     gaps: [0,4) and [6,∞)
    //             [=====]         insert [5, 9)
    //   ........|#######|..       gaps: [0,4) and [9,∞)
    it('extends a buffered range across the open end', () => {
      const rb = new ReorderBuffer();
      rb.insert(4, bytes(4, 6));
      expect(rb.insert(5, bytes(5, 9))).toBe(3);
      expect(rb.gapCount).toBe(1);
      expect(rb.highestReceived).toBe(9);
      rb.insert(0, bytes(0, 4));
      expect(drain(rb)).toEqual(bytes(0, 9));
    });

    //   0   2       6   8
    //   ####|.......|###|         one gap [2, 6)
    //         [===]               insert [3, 5) splits it
    //   ####|.|###|.|###|         two gaps
    it('splits a gap when a frame lands strictly inside it', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 2));
      rb.insert(6, bytes(6, 8));
      expect(rb.gapCount).toBe(1);
      expect(rb.insert(3, bytes(3, 5))).toBe(2);
      expect(rb.gapCount).toBe(2);
      expect(drain(rb)).toEqual(bytes(0, 2));
      rb.insert(2, bytes(2, 3));
      rb.insert(5, bytes(5, 6));
      expect(drain(rb)).toEqual(bytes(2, 8));
    });

    it('caps the number of gaps with PROTOCOL and leaves the buffer unchanged', () => {
      const rb = new ReorderBuffer({ maxGaps: 3 });
      // ..#..#..#   three gaps
      for (const offset of [2, 5, 8]) rb.insert(offset, bytes(offset, offset + 1));
      expect(rb.gapCount).toBe(3);
      // ..#..#..#..=  a fourth gap: refused
      expectProtocolError(() => rb.insert(11, bytes(11, 12)), WireCode.PROTOCOL);
      expect(rb.gapCount).toBe(3);
      expect(rb.bufferedBytes).toBe(3);
      expect(rb.highestReceived).toBe(9);
      // Filling or extending never adds a gap, so it is still accepted.
      expect(rb.insert(9, bytes(9, 12))).toBe(3);
      expect(rb.insert(0, bytes(0, 2))).toBe(2);
      expect(rb.gapCount).toBe(2);
      expect(rb.insert(11, bytes(11, 20))).toBe(8);
    });

    it('allows 1024 gaps by default', () => {
      const rb = new ReorderBuffer();
      expect(DEFAULT_MAX_GAPS).toBe(1024);
      for (let g = 0; g < DEFAULT_MAX_GAPS; g++) rb.insert(2 * g + 1, bytes(2 * g + 1, 2 * g + 2));
      expect(rb.gapCount).toBe(DEFAULT_MAX_GAPS);
      expectProtocolError(() => rb.insert(2 * DEFAULT_MAX_GAPS + 1, bytes(0, 1)), WireCode.PROTOCOL);
    });
  });

  describe('gaps shared by the buffers of a session (SPEC §7.3)', () => {
    it('refuses a gap beyond the shared budget with LIMIT_EXCEEDED, whichever buffer asks, and changes nothing', () => {
      const budget = new GapBudget(3);
      const a = new ReorderBuffer({ budget });
      const b = new ReorderBuffer({ budget });
      // a: .#.#   b: .#   three gaps in all
      a.insert(1, bytes(1, 2));
      a.insert(3, bytes(3, 4));
      b.insert(1, bytes(1, 2));
      expect(budget.used).toBe(3);
      expectProtocolError(() => b.insert(3, bytes(3, 4)), WireCode.LIMIT_EXCEEDED);
      expectProtocolError(() => a.insert(5, bytes(5, 6)), WireCode.LIMIT_EXCEEDED);
      // It names the bound it hit, for the application's log line.
      expect(() => a.insert(5, bytes(5, 6))).toThrow(expect.objectContaining({ limit: 'reorderGaps' }));
      expect([a.gapCount, b.gapCount, budget.used]).toEqual([2, 1, 3]);
      expect([a.bufferedBytes, b.bufferedBytes, b.highestReceived]).toEqual([2, 1, 2]);
      // Extending a run adds no gap, so it is still accepted.
      expect(b.insert(2, bytes(2, 6))).toBe(4);
    });

    it('gives gaps back as they fill and when a buffer is cleared', () => {
      const budget = new GapBudget(4);
      const a = new ReorderBuffer({ budget });
      const b = new ReorderBuffer({ budget });
      for (const offset of [1, 3, 5]) a.insert(offset, bytes(offset, offset + 1));
      b.insert(1, bytes(1, 2));
      expect(budget.used).toBe(4);
      // a: .#.#.#  ->  ######   one insert fills all three gaps
      a.insert(0, bytes(0, 6));
      expect(budget.used).toBe(1);
      expect(drain(a)).toEqual(bytes(0, 6));
      b.clear();
      expect(budget.used).toBe(0);
    });

    it('holds at most DEFAULT_MAX_GAPS, or one gap per GAP_CHARGE bytes of the session window', () => {
      expect(GAP_CHARGE).toBe(1024);
      expect(sessionGapLimit(64 * 1024 * 1024)).toBe(65_536);
      expect(sessionGapLimit(1024)).toBe(DEFAULT_MAX_GAPS);
    });

    it('keeps a full session window of 16 KiB frames over four carriers, one behind, far inside the budget', () => {
      // Eight streams of 8 MiB fill the 64 MiB session window; every fourth
      // frame of each (the slow carrier's) arrives after the others.
      const budget = new GapBudget(sessionGapLimit(64 * 1024 * 1024));
      const streams = Array.from({ length: 8 }, () => new ReorderBuffer({ budget }));
      const frame = new Uint8Array(16 * 1024);
      const frames = (8 * 1024 * 1024) / frame.length;
      for (const rb of streams) for (let f = 0; f < frames; f++) if (f % 4 !== 0) rb.insert(f * frame.length, frame);
      expect(budget.used).toBe((8 * frames) / 4);
      expect(budget.used).toBe(budget.max / 64);
      for (const rb of streams) for (let f = 0; f < frames; f += 4) rb.insert(f * frame.length, frame);
      expect(budget.used).toBe(0);
      expect(streams.every((rb) => rb.bufferedBytes === 8 * 1024 * 1024)).toBe(true);
    });
  });

  describe('duplicates and overlaps', () => {
    //   0       4
    //   |#######|
    //   |=======|     the same frame again
    it('drops a duplicate entirely and returns 0 new bytes', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 4));
      expect(rb.insert(0, bytes(0, 4))).toBe(0);
      expect(rb.bufferedBytes).toBe(4);
      expect(drain(rb)).toEqual(bytes(0, 4));
    });

    //   0   2   4   6
    //   ....|#######|
    //         [=]          insert [3, 4): inside buffered data
    it('drops a frame that lies inside a buffered range', () => {
      const rb = new ReorderBuffer();
      rb.insert(2, bytes(2, 6));
      expect(rb.insert(3, bytes(3, 4))).toBe(0);
      expect(rb.bufferedBytes).toBe(4);
      expect(rb.gapCount).toBe(1);
    });

    //   0       4       8
    //   |#######|
    //       [=======]         insert [2, 6)
    //           [===]         stored [4, 6)
    it('trims a frame that overlaps the end of a buffered range', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 4));
      expect(rb.insert(2, bytes(2, 6))).toBe(2);
      expect(rb.bufferedBytes).toBe(6);
      expect(drain(rb)).toEqual(bytes(0, 6));
    });

    //   0   2       6
    //   ....|#######|
    //   [=======]             insert [0, 4)
    //   [===]                 stored [0, 2)
    it('trims a frame that overlaps the start of a buffered range', () => {
      const rb = new ReorderBuffer();
      rb.insert(2, bytes(2, 6));
      expect(rb.insert(0, bytes(0, 4))).toBe(2);
      expect(rb.bufferedBytes).toBe(6);
      expect(rb.gapCount).toBe(0);
      expect(drain(rb)).toEqual(bytes(0, 6));
    });

    //   0   2   4   6   8
    //   ....|###|.......
    //   [===============]     insert [0, 8) covers the buffered range
    //   [===]   [=======]     stored [0, 2) and [4, 8)
    it('stores only the sides of a frame that covers a buffered range', () => {
      const rb = new ReorderBuffer();
      rb.insert(2, bytes(2, 4));
      expect(rb.insert(0, bytes(0, 8))).toBe(6);
      expect(rb.bufferedBytes).toBe(8);
      expect(rb.gapCount).toBe(0);
      expect(drain(rb)).toEqual(bytes(0, 8));
    });

    it('keeps the first copy of a byte when a later copy differs', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, Uint8Array.of(1, 2, 3));
      expect(rb.insert(1, Uint8Array.of(9, 9, 4))).toBe(1);
      expect(drain(rb)).toEqual(Uint8Array.of(1, 2, 3, 4));
    });

    //   delivered   | readOffset = 4
    //   ############|
    //       [=======|===]     insert [2, 6)
    //               [===]     stored [4, 6)
    it('drops the part of a frame below the read offset', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 4));
      drain(rb);
      expect(rb.insert(2, bytes(2, 6))).toBe(2);
      expect(rb.insert(0, bytes(0, 4))).toBe(0);
      expect(drain(rb)).toEqual(bytes(4, 6));
    });

    it('drops data delivered then retransmitted, but still counts its end as received', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 4));
      drain(rb);
      expect(rb.insert(0, bytes(0, 4))).toBe(0);
      expect(rb.bufferedBytes).toBe(0);
      expect(rb.highestReceived).toBe(4);
    });
  });

  describe('final size', () => {
    it('delivers the end only after every byte below the final size arrived', () => {
      const rb = new ReorderBuffer();
      rb.insert(6, bytes(6, 10));
      rb.setFinalSize(10);
      expect(rb.finalSize).toBe(10);
      expect(rb.isFinished).toBe(false);
      rb.insert(0, bytes(0, 3));
      expect(drain(rb)).toEqual(bytes(0, 3));
      expect(rb.isFinished).toBe(false);
      rb.insert(3, bytes(3, 6));
      expect(drain(rb)).toEqual(bytes(3, 10));
      expect(rb.isFinished).toBe(true);
    });

    it('is finished at once for an empty stream with FIN', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, new Uint8Array(0));
      rb.setFinalSize(0);
      expect(rb.isFinished).toBe(true);
    });

    it('accepts data that ends exactly at the final size', () => {
      const rb = new ReorderBuffer();
      rb.setFinalSize(4);
      expect(rb.insert(0, bytes(0, 4))).toBe(4);
    });

    it('rejects data past the final size with FINAL_SIZE', () => {
      const rb = new ReorderBuffer();
      rb.setFinalSize(4);
      expectProtocolError(() => rb.insert(2, bytes(2, 5)), WireCode.FINAL_SIZE);
      expectProtocolError(() => rb.insert(4, bytes(4, 5)), WireCode.FINAL_SIZE);
      expect(rb.bufferedBytes).toBe(0);
      expect(rb.highestReceived).toBe(0);
    });

    it('rejects a changed final size', () => {
      const rb = new ReorderBuffer();
      rb.setFinalSize(10);
      rb.setFinalSize(10); // a repeated FIN is fine
      expectProtocolError(() => rb.setFinalSize(11), WireCode.FINAL_SIZE);
      expectProtocolError(() => rb.setFinalSize(9), WireCode.FINAL_SIZE);
      expect(rb.finalSize).toBe(10);
    });

    it('rejects a final size below bytes already received', () => {
      const rb = new ReorderBuffer();
      rb.insert(8, bytes(8, 12));
      expectProtocolError(() => rb.setFinalSize(11), WireCode.FINAL_SIZE);
      expect(rb.finalSize).toBeUndefined();
      rb.setFinalSize(12);
    });

    it('rejects data that would end beyond 2^53 with PROTOCOL', () => {
      const rb = new ReorderBuffer();
      expectProtocolError(() => rb.insert(Number.MAX_SAFE_INTEGER, bytes(0, 2)), WireCode.PROTOCOL);
    });
  });

  describe('clear', () => {
    it('drops every buffered byte and returns the count', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 3));
      rb.insert(5, bytes(5, 9));
      expect(rb.clear()).toBe(7);
      expect(rb.bufferedBytes).toBe(0);
      expect(rb.gapCount).toBe(0);
      expect(rb.read()).toBeNull();
      expect(rb.isDiscarding).toBe(true);
    });

    it('discards later data but still checks it against the final size', () => {
      const rb = new ReorderBuffer();
      rb.insert(0, bytes(0, 3));
      rb.clear();
      rb.setFinalSize(10);
      expect(rb.insert(3, bytes(3, 10))).toBe(0);
      expect(rb.bufferedBytes).toBe(0);
      expect(rb.highestReceived).toBe(10);
      expectProtocolError(() => rb.insert(10, bytes(10, 11)), WireCode.FINAL_SIZE);
    });
  });

  describe('arguments', () => {
    it('rejects a negative or fractional offset as a caller error', () => {
      const rb = new ReorderBuffer();
      expect(() => rb.insert(-1, bytes(0, 1))).toThrow(MpxError);
      expect(() => rb.insert(1.5, bytes(0, 1))).toThrow(MpxError);
      expect(() => new ReorderBuffer({ maxGaps: -1 })).toThrow(MpxError);
    });
  });

  it('never builds a gap list for a long in-order stream read as it arrives', () => {
    const rb = new ReorderBuffer();
    const frame = new Uint8Array(16);
    let total = 0;
    let maxGaps = 0;
    for (let offset = 0; offset < 50_000 * 16; offset += 16) {
      total += rb.insert(offset, frame);
      if (offset % 64 === 0) while (rb.read() !== null);
      maxGaps = Math.max(maxGaps, rb.gapCount);
    }
    expect(total).toBe(50_000 * 16);
    expect(maxGaps).toBe(0);
    expect(rb.bufferedBytes + rb.readOffset).toBe(total);
  });

  it('keeps its pieces, gaps, joins and final size across the steps of its base (offsets past 2^31)', () => {
    const rb = new ReorderBuffer();
    const block = new Uint8Array(1 << 20);
    // Up to 10 bytes before the second step, in order and read.
    const start = 2 * OFFSET_STEP - 10;
    for (let at = 0; at < start; at += block.length) {
      rb.insert(at, block.subarray(0, Math.min(block.length, start - at)));
      while (rb.read() !== null);
    }
    expect(rb.readOffset).toBe(start);
    //   start        step                final
    //   |..........|##########|....|######|
    const step = 2 * OFFSET_STEP;
    const piece = (from: number, to: number): Uint8Array => bytes(from - start, to - start);
    rb.setFinalSize(step + 40);
    expect(rb.insert(step, piece(step, step + 10))).toBe(10);
    expect(rb.insert(step + 20, piece(step + 20, step + 40))).toBe(20);
    expect(rb.gapCount).toBe(2);
    expect(rb.insert(step - 10, piece(step - 10, step - 5))).toBe(5);
    expect(rb.read(7)).toEqual(piece(step - 10, step - 5));
    // Joined with the stored piece after it; reading up to the step moves the base, and what is stored keeps its place.
    expect(rb.insert(step - 5, piece(step - 5, step))).toBe(5);
    expect(rb.read(5)).toEqual(piece(step - 5, step));
    expect(rb.readOffset).toBe(step);
    expect(rb.highestReceived).toBe(step + 40);
    expect(rb.finalSize).toBe(step + 40);
    // A small piece next to a stored one is joined with it (found through both maps).
    const pieces = rb.pieceCount;
    expect(rb.insert(step + 10, piece(step + 10, step + 11))).toBe(1);
    expect(rb.insert(step + 19, piece(step + 19, step + 20))).toBe(1);
    expect(rb.pieceCount).toBe(pieces);
    // A late copy from below the base is dropped; then the last gap fills.
    expect(rb.insert(step - 8, piece(step - 8, step + 2))).toBe(0);
    expect(rb.insert(step + 11, piece(step + 11, step + 19))).toBe(8);
    expect(rb.gapCount).toBe(0);
    expect(drain(rb)).toEqual(piece(step, step + 40));
    expect(rb.isFinished).toBe(true);
    expectProtocolError(() => rb.insert(step + 39, piece(step + 39, step + 41)), WireCode.FINAL_SIZE);
  });

  describe('views of read blocks (read-blocks.ts)', () => {
    /** Stream bytes [start, end) as a view of a block of readBlocks, handed on as the session does. */
    function inBlock(block: Uint8Array, at: number, start: number, end: number): Uint8Array {
      const view = block.subarray(at, at + end - start);
      view.set(bytes(start, end));
      readBlocks.handOn(view);
      return view;
    }

    it('gives back a piece it copies: a small part kept out of order, and small in-order pieces it joins', () => {
      const block = readBlocks.take();
      const rb = new ReorderBuffer();
      //   0    100   200   300
      //   ....|==|=|       small parts out of order: each stored as a copy (it would pin the whole block)
      //   ==|              then the gap filled: two small in-order pieces, joined
      rb.insert(100, inBlock(block, 0, 100, 200));
      rb.insert(200, inBlock(block, 100, 200, 300));
      rb.insert(0, inBlock(block, 200, 0, 50));
      rb.insert(50, inBlock(block, 250, 50, 100));
      readBlocks.readDone(block);
      // Every view was copied and given back: the block is free again though nothing was read yet.
      const free = readBlocks.free;
      expect(readBlocks.take().buffer).toBe(block.buffer);
      expect(readBlocks.free).toBe(free - 1);
      new Uint8Array(block.buffer).fill(0xee); // read into again: the buffer's bytes are its own copies
      expect(Buffer.from(drain(rb)).equals(Buffer.from(bytes(0, 300)))).toBe(true);
    });

    it('keeps a large view as it is: the block stays out until whoever reads it releases it', () => {
      const block = readBlocks.take();
      const rb = new ReorderBuffer();
      const view = inBlock(block, 0, 16384, 32768); // a quarter of the block: kept as a view
      rb.insert(16384, view);
      readBlocks.readDone(block);
      const next = readBlocks.take();
      expect(next.buffer).not.toBe(block.buffer);
      readBlocks.readDone(next);
      rb.insert(0, bytes(0, 16384));
      const read = drain(rb);
      expect(Buffer.from(read).equals(Buffer.from(bytes(0, 32768)))).toBe(true);
      readBlocks.release(view);
      expect(readBlocks.take().buffer).toBe(block.buffer);
    });
  });

  describe('views beyond PIN_RATIO within a session PinBudget (pinning.ts)', () => {
    it('keeps small out-of-order parts as views while the budget has room, copies beyond it, and gives the room back as they are read', () => {
      // Parts of 3,000 bytes (too large to be joined with their 3,000-byte neighbours) in reads of 64 KiB.
      const read1 = new Uint8Array(64 * 1024);
      const read2 = new Uint8Array(64 * 1024);
      read1.set(bytes(3000, 6000), 100);
      read2.set(bytes(9000, 12000), 200);
      const pins = new PinBudget(64 * 1024); // room for one read
      const rb = new ReorderBuffer({ pins });
      //   0     3000  6000  9000  12000
      //   .....|=====|....................   a part of read1: a view, charged its read
      rb.insert(3000, read1.subarray(100, 3100));
      expect(rb.pinnedBytes).toBe(64 * 1024);
      expect(pins.used).toBe(64 * 1024);
      //   .....|#####|.....|=====|........   a part of read2: no room left, copied
      rb.insert(9000, read2.subarray(200, 3200));
      expect(pins.used).toBe(64 * 1024);
      read2.fill(0xee); // read2 is free to be read into again
      rb.insert(0, bytes(0, 3000));
      rb.insert(6000, bytes(6000, 9000));
      expect(rb.read()).toEqual(bytes(0, 3000));
      const part = rb.read()!;
      expect(part.buffer).toBe(read1.buffer); // the view itself
      expect(part).toEqual(bytes(3000, 6000));
      expect(pins.used).toBe(0); // read: the room is back
      expect(drain(rb)).toEqual(bytes(6000, 12000));
    });

    it('gives back what it pins when cleared, and what an in-order piece left unread pins when it is read', () => {
      const read = new Uint8Array(64 * 1024);
      read.set(bytes(0, 40));
      const pins = new PinBudget(1024 * 1024);
      const a = new ReorderBuffer({ pins });
      const b = new ReorderBuffer({ pins });
      a.insert(5, read.subarray(5, 10));
      a.insert(20, read.subarray(20, 30));
      expect(a.pinnedBytes).toBe(2 * 64 * 1024); // each view charged its read
      b.insert(0, read.subarray(0, 10)); // in order, passing through: not checked
      expect(b.pinnedBytes).toBe(0);
      b.settle(); // the reader stopped: it stays, within the budget
      expect(b.pinnedBytes).toBe(64 * 1024);
      expect(pins.used).toBe(3 * 64 * 1024);
      expect(a.clear()).toBe(15);
      expect(pins.used).toBe(64 * 1024);
      expect(b.read()!.buffer).toBe(read.buffer);
      expect(pins.used).toBe(0);
    });
  });
});
