// Issue 6, item 1: mutation fuzzing of the decoder (SPEC §3–§5). Valid frame
// streams are mangled the way a broken or hostile peer would (bit flips,
// truncation, splices, rewritten length fields) and fed in random chunks,
// including runs of tiny ones. Only MpxProtocolError with a wire code of
// SPEC §11 may escape, the decoder agrees with the reference decoder, and what
// it holds stays below one maximal frame. Seeds are fixed; runs are bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameType, HEADER_SIZE, WireCode } from '../src/constants.js';
import { FrameDecoder } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import { MpxProtocolError } from '../src/errors.js';
import type { Frame } from '../src/frame.js';
import { plain, referenceDecode } from './reference-decoder.js';

const WIRE_CODES = new Set<number>(Object.values(WireCode));

// ---- valid frames, each encoded on its own so that header offsets are known ----

const id = fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 1, max: 0xffffffff }));
const u64 = fc.oneof(fc.nat({ max: 1 << 20 }), fc.constantFrom(0, 2 ** 32, Number.MAX_SAFE_INTEGER - 64));
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({ streamId: id, offset: u64, syn: fc.boolean(), fin: fc.boolean(), payload: fc.uint8Array({ maxLength: 200 }) })
    .map((f) => ({ type: FrameType.DATA, ...f, fin: f.fin || (f.payload.length === 0 && !f.syn) })),
  fc.record({ type: fc.constant(FrameType.WINDOW), streamId: fc.oneof(fc.constant(0), id), maxOffset: u64 }),
  fc.record({ type: fc.constant(FrameType.RESET), streamId: id, code: fc.integer({ min: 0, max: 0x20 }), finalSize: u64 }),
  fc.record({ type: fc.constant(FrameType.ACK), count: u64 }),
  fc.record({ type: fc.constantFrom(FrameType.PING, FrameType.PONG), opaque: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({
    type: fc.constant(FrameType.CLOSE),
    session: fc.boolean(),
    code: fc.integer({ min: 0, max: 0x20 }),
    reason: fc.string({ maxLength: 40 }),
  }),
  fc.record({
    type: fc.constant(FrameType.HELLO),
    version: fc.constant(1),
    resume: fc.boolean(),
    weight: fc.integer({ min: 1, max: 0xffff }),
    sessionId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    streamWindow: fc.nat(),
    sessionWindow: fc.nat(),
    maxFrame: fc.constantFrom(1024, 65536),
    mac: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
  fc.record({ type: fc.constant(FrameType.ROUTE), sessionId: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({
    type: fc.constant(FrameType.CHALLENGE),
    minVersion: fc.constant(1),
    maxVersion: fc.constant(1),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  }),
);

interface Encoded {
  bytes: Buffer;
  /** Offset of each frame's header in `bytes`. */
  headers: number[];
}

function encodeAll(frames: readonly Frame[]): Encoded {
  const parts: Buffer[] = [];
  const headers: number[] = [];
  let at = 0;
  for (const f of frames) {
    const b = Buffer.concat(encodeFrame(f));
    headers.push(at);
    parts.push(b);
    at += b.length;
  }
  return { bytes: Buffer.concat(parts), headers };
}

// ---- mutations ----

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; insert: Uint8Array; remove: number }
  | { kind: 'duplicate'; from: number; to: number; at: number }
  | { kind: 'length'; frame: number; value: number };

const where = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: where, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: where }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('splice' as const),
      at: where,
      insert: fc.uint8Array({ maxLength: 24 }),
      remove: fc.integer({ min: 0, max: 16 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: where, to: where, at: where }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('length' as const),
      frame: fc.nat(),
      value: fc.oneof(
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(0, 7, 8, 9, 11, 12, 13, 83, 84, 85, 1024, 1025, 65536, 65537, 0xffffff, 0xffffffff),
      ),
    }),
  },
);

function mutate(input: Encoded, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(input.bytes);
  for (const m of mutations) {
    const pos = (f: number): number => Math.floor(f * b.length);
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[pos(m.at)]! ^= 1 << m.bit;
        break;
      case 'truncate':
        b = b.subarray(0, pos(m.at));
        break;
      case 'splice': {
        const at = pos(m.at);
        b = Buffer.concat([b.subarray(0, at), m.insert, b.subarray(Math.min(b.length, at + m.remove))]);
        break;
      }
      case 'duplicate': {
        const [from, to] = [pos(Math.min(m.from, m.to)), pos(Math.max(m.from, m.to))];
        const at = pos(m.at);
        b = Buffer.concat([b.subarray(0, at), b.subarray(from, to), b.subarray(at)]);
        break;
      }
      case 'length': {
        if (input.headers.length === 0) break;
        const at = input.headers[m.frame % input.headers.length]! + 4;
        if (at + 4 <= b.length) b.writeUInt32BE(m.value >>> 0, at);
        break;
      }
      default: {
        const never: never = m;
        throw new Error(`unknown mutation ${String(never)}`);
      }
    }
  }
  return b;
}

// ---- feeding ----

/** Chunk sizes: a few large cuts, or runs of 1–3 bytes (which the decoder joins past 64 queued chunks). */
const chunking = fc.oneof(
  fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
);

function chunks(all: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  let i = 0;
  while (at < all.length) {
    const n = sizes[i++ % sizes.length]!;
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

interface Fed {
  frames: Frame[];
  code: number | null;
  trailing: number;
}

function feed(parts: readonly Buffer[], maxFrame: number): Fed {
  const decoder = new FrameDecoder({ maxFrame });
  const frames: Frame[] = [];
  try {
    for (const part of parts) {
      decoder.push(part);
      for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f);
      expect(decoder.bufferedBytes).toBeLessThan(HEADER_SIZE + maxFrame);
    }
  } catch (err) {
    // Anything but a protocol error with a known wire code fails the property.
    if (!(err instanceof MpxProtocolError) || !WIRE_CODES.has(err.wireCode)) throw err;
    return { frames, code: err.wireCode, trailing: 0 };
  }
  return { frames, code: null, trailing: decoder.bufferedBytes };
}

describe('decoder fuzzing by mutation', { tags: ['soak'] }, () => {
  it('mutated frame streams, in random chunks: only protocol errors, same verdict as the reference decoder', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        chunking,
        fc.constantFrom(1024, 4096, 65536),
        (frames, mutations, sizes, maxFrame) => {
          const bytes = mutate(encodeAll(frames), mutations);
          const result = feed(chunks(bytes, sizes), maxFrame);
          const reference = referenceDecode(bytes, maxFrame);
          expect(result.code).toBe(reference.error);
          expect(result.frames.map(plain)).toEqual(reference.frames.map(plain));
          expect(result.trailing).toBe(reference.trailing);
        },
      ),
      { seed: 0xf022_0001, numRuns: 4000 },
    );
  });

  it('a valid stream followed by random bytes: the valid frames come out first, then at most a protocol error', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.uint8Array({ minLength: 1, maxLength: 600 }), chunking, (frames, noise, sizes) => {
        const valid = encodeAll(frames).bytes;
        const result = feed(chunks(Buffer.concat([valid, noise]), sizes), 65536);
        expect(result.frames.slice(0, frames.length).map(plain)).toEqual(frames.map(plain));
      }),
      { seed: 0xf022_0002, numRuns: 800 },
    );
  });

  it('a frame trickled in one byte at a time decodes the same as in one piece, however long', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.nat({ max: 1 << 20 }), (payload, offset) => {
        const frame: Frame = { type: FrameType.DATA, streamId: 7, offset, syn: true, fin: false, payload };
        const bytes = Buffer.concat(encodeFrame(frame));
        const result = feed(chunks(bytes, [1]), 65536);
        expect(result.code).toBeNull();
        expect(result.frames.map(plain)).toEqual([plain(frame)]);
      }),
      { seed: 0xf022_0003, numRuns: 60 },
    );
  });
});
