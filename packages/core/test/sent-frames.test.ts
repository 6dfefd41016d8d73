import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameType } from '../src/constants.js';
import type { Frame } from '../src/frame.js';
import { SentFrames, UNORDERED } from '../src/sent-frames.js';

const win = (n: number): Frame => ({ type: FrameType.WINDOW, streamId: 1, maxOffset: n });

describe('SentFrames (SPEC §9, sender side)', () => {
  it('releases frames by cumulative count and reports the newest send time', () => {
    const q = new SentFrames();
    q.push(win(1), 20, 10);
    q.push(win(2), 20, 11);
    q.push(win(3), 20, 12);
    expect(q.bytes).toBe(60);
    expect(q.ack(2)).toEqual({ bytes: 40, frames: 2, newestSentAt: 11 });
    expect(q.pending).toBe(1);
    expect(q.oldestSentAt()).toBe(12);
  });

  it('ignores an older ACK and rejects an ACK of frames never sent', () => {
    const q = new SentFrames();
    q.push(win(1), 20, 0);
    q.ack(1);
    expect(q.ack(0)).toEqual({ bytes: 0, frames: 0, newestSentAt: undefined });
    expect(() => q.ack(5)).toThrow(expect.objectContaining({ code: 'MPX_ERR_PROTOCOL' }));
  });

  it('hands every unacknowledged frame over when the carrier is lost', () => {
    const q = new SentFrames();
    for (let i = 0; i < 5; i++) q.push(win(i), 20, i);
    q.ack(2);
    expect(q.takeAll().map((s) => s.frame)).toEqual([win(2), win(3), win(4)]);
    expect(q.bytes).toBe(0);
    expect(q.oldestSentAt()).toBeUndefined();
  });

  it('copies the oldest frames once each for head-of-line relief', () => {
    const q = new SentFrames();
    for (let i = 0; i < 4; i++) q.push(win(i), 100, i);
    expect(q.duplicateOldest(150).map((s) => s.frame)).toEqual([win(0), win(1)]);
    expect(q.duplicateOldest(1000).map((s) => s.frame)).toEqual([win(2), win(3)]);
    expect(q.duplicateOldest(1000)).toEqual([]);
    expect(q.pending).toBe(4); // copies do not count as acknowledged
  });

  it('hands frames over with the send order they were given, for retransmission in that order', () => {
    const q = new SentFrames();
    q.push(win(0), 20, 0, 7);
    q.push(win(1), 20, 1, 3);
    q.push(win(2), 20, 2);
    expect(q.duplicateOldest(20)).toEqual([expect.objectContaining({ frame: win(0), order: 7 })]);
    expect(q.takeAll().map((s) => s.order)).toEqual([7, 3, UNORDERED]);
  });

  it('keeps sizes, send times, orders and copy marks with their frames across many ACKs (compaction included), as a list of records does', () => {
    type Op = { kind: 'push'; n: number } | { kind: 'ack'; n: number } | { kind: 'dup'; bytes: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 1, max: 600 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), n: fc.integer({ min: 0, max: 1200 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('dup' as const), bytes: fc.integer({ min: 1, max: 3000 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 80 }), (ops) => {
        const q = new SentFrames();
        const model: Array<{ frame: Frame; order: number; size: number; sentAt: number; dup: boolean }> = [];
        let sent = 0;
        let acked = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            for (let i = 0; i < o.n; i++, sent++) {
              const entry = { frame: win(sent), order: sent % 7 === 0 ? UNORDERED : sent * 3, size: 1 + (sent % 13), sentAt: sent, dup: false };
              q.push(entry.frame, entry.size, entry.sentAt, entry.order === UNORDERED ? undefined : entry.order);
              model.push(entry);
            }
          } else if (o.kind === 'ack') {
            const count = Math.min(sent, acked + o.n);
            const done = model.splice(0, count - acked);
            acked = Math.max(acked, count);
            expect(q.ack(count)).toEqual({ bytes: done.reduce((n, e) => n + e.size, 0), frames: done.length, newestSentAt: done.at(-1)?.sentAt });
          } else {
            const copies = [];
            let bytes = 0;
            for (const e of model) {
              if (bytes >= o.bytes) break;
              if (e.dup) continue;
              e.dup = true;
              copies.push({ frame: e.frame, order: e.order });
              bytes += e.size;
            }
            expect(q.duplicateOldest(o.bytes).map(({ frame, order }) => ({ frame, order }))).toEqual(copies);
          }
          expect(q.bytes).toBe(model.reduce((n, e) => n + e.size, 0));
          expect(q.oldestSentAt()).toBe(model[0]?.sentAt);
        }
        expect(q.takeAll().map(({ frame, order }) => ({ frame, order }))).toEqual(model.map((e) => ({ frame: e.frame, order: e.order })));
      }),
      { seed: 0x5eed_5e47, numRuns: 200 },
    );
  });
});

describe('SentFrames and the payloads it was lent (payload-owner.ts)', () => {
  const data = (payload: Uint8Array): Frame => ({ type: FrameType.DATA, streamId: 1, offset: 0, syn: false, fin: false, payload });
  function owner(): {
    released: Uint8Array[];
    kept: Uint8Array[];
    owner: { take: (n: number) => Uint8Array; release: (p: Uint8Array) => void; keep: (p: Uint8Array) => void };
  } {
    const released: Uint8Array[] = [];
    const kept: Uint8Array[] = [];
    return { released, kept, owner: { take: (n) => new Uint8Array(n), release: (p) => released.push(p), keep: (p) => kept.push(p) } };
  }

  it('releases a DATA payload once its frame is acknowledged, and only then', () => {
    const o = owner();
    const q = new SentFrames(o.owner);
    const a = new Uint8Array(10);
    const b = new Uint8Array(20);
    q.push(data(a), 31, 0);
    q.push(win(1), 20, 0);
    q.push(data(b), 41, 0);
    expect(o.released).toEqual([]);
    q.ack(2);
    expect(o.released).toEqual([a]);
    q.ack(3);
    expect(o.released).toEqual([a, b]);
  });

  it('marks a payload kept when its frame is copied to another carrier, and releases nothing on takeAll', () => {
    const o = owner();
    const q = new SentFrames(o.owner);
    const a = new Uint8Array(10);
    const b = new Uint8Array(10);
    q.push(data(a), 31, 0);
    q.push(data(b), 31, 0);
    q.duplicateOldest(31);
    expect(o.kept).toEqual([a]);
    q.takeAll();
    expect(o.released).toEqual([]);
  });
});
