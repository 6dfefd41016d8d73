// The turn's buffer of small frames (turn-buffer.ts), without sockets: bytes
// keep the order they were written in, whatever the slab boundaries.
import { describe, expect, it } from 'vitest';
import { SPARE_SLABS, TurnBuffer, spareSlabs } from '../src/turn-buffer.js';

/** Writes `bytes` through room()/commit(), recording chunks handed out early. */
function write(turn: TurnBuffer, bytes: Buffer, out: Buffer[]): void {
  const buf = turn.room(bytes.length, (chunk) => out.push(chunk));
  buf.set(bytes, turn.at);
  turn.commit(bytes.length);
}

describe('TurnBuffer', () => {
  it('hands the writes since the last take() out as one chunk, in order, and nothing when none came', () => {
    const turn = new TurnBuffer();
    const early: Buffer[] = [];
    expect(turn.take()).toBeUndefined();
    write(turn, Buffer.from('abc'), early);
    write(turn, Buffer.from('defg'), early);
    expect(turn.pending).toBe(7);
    expect(turn.take()?.toString()).toBe('abcdefg');
    expect(turn.pending).toBe(0);
    expect(turn.take()).toBeUndefined();
    write(turn, Buffer.from('h'), early);
    expect(turn.take()?.toString()).toBe('h');
    expect(early).toEqual([]);
  });

  it('never rewrites bytes it handed out, and hands out what it holds before a write that needs a new slab', () => {
    const turn = new TurnBuffer();
    const chunks: Buffer[] = [];
    const pieces: Buffer[] = [];
    // 300 writes of 1000 bytes: several slabs, each write a different byte value.
    for (let i = 0; i < 300; i++) {
      const piece = Buffer.alloc(1000, i % 251);
      pieces.push(piece);
      write(turn, piece, chunks);
      if (i % 7 === 0) chunks.push(turn.take() as Buffer);
    }
    const last = turn.take();
    if (last !== undefined) chunks.push(last);
    expect(Buffer.concat(chunks).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('makes room for a write larger than a slab', () => {
    const turn = new TurnBuffer();
    const early: Buffer[] = [];
    write(turn, Buffer.from('head'), early);
    const big = Buffer.alloc(100_000, 7);
    write(turn, big, early);
    expect(early.map((c) => c.toString())).toEqual(['head']);
    expect(turn.take()?.equals(big)).toBe(true);
  });
});

describe('TurnBuffer slabs', () => {
  /** Fills slabs with 4 KiB writes, flushing each turn; `written` decides whether the writer reports each chunk written. */
  function slabsUsed(reportWritten: boolean): Set<ArrayBufferLike> {
    const turn = new TurnBuffer();
    const slabs = new Set<ArrayBufferLike>();
    const out = (chunk: Buffer, written?: () => void): void => {
      slabs.add(chunk.buffer);
      if (reportWritten) written?.();
    };
    for (let i = 0; i < 200; i++) {
      const buf = turn.room(4096, out);
      buf.fill(i % 251, turn.at, turn.at + 4096);
      turn.commit(4096);
      turn.flush(out);
    }
    return slabs;
  }

  it('uses a retired slab again once the writer reported its last chunk written', () => {
    expect(slabsUsed(true).size).toBeLessThanOrEqual(2);
  });

  it('uses again every slab of a backed-up writer once it reports them written, not only the last', () => {
    // The writer reports its chunks written 8 slabs at a time, as a socket
    // whose buffer was full drains: one spare per carrier kept 1 of 8.
    const turn = new TurnBuffer();
    const slabs = new Set<ArrayBufferLike>();
    let held: Array<() => void> = [];
    const out = (chunk: Buffer, written?: () => void): void => {
      slabs.add(chunk.buffer);
      if (written !== undefined) held.push(written);
      if (held.length === 8) {
        for (const done of held) done();
        held = [];
      }
    };
    for (let i = 0; i < 800; i++) {
      turn.room(4096, out).fill(i % 251, turn.at, turn.at + 4096);
      turn.commit(4096);
      turn.flush(out);
    }
    // 800 writes of 4 KiB are 50 slabs' worth; 8 in the writer and 8 coming back at a time.
    expect(slabs.size).toBeLessThanOrEqual(17);
  });

  it('keeps at most SPARE_SLABS written slabs for reuse, however many come back', () => {
    const turns = Array.from({ length: SPARE_SLABS * 2 }, () => new TurnBuffer());
    const held: Array<() => void> = [];
    const out = (_chunk: Buffer, written?: () => void): void => void (written !== undefined && held.push(written));
    // Each buffer retires one full slab; none is reported written yet.
    for (const turn of turns) {
      for (let i = 0; i < 16; i++) {
        turn.room(4096, out);
        turn.commit(4096);
      }
      turn.flush(out);
    }
    expect(held.length).toBe(SPARE_SLABS * 2);
    for (const done of held) done();
    expect(spareSlabs()).toBe(SPARE_SLABS);
  });

  it('never reuses a slab the writer did not report written', () => {
    // 200 writes of 4 KiB are 800 KiB: at least 13 slabs of 64 KiB.
    expect(slabsUsed(false).size).toBeGreaterThanOrEqual(13);
  });
});
