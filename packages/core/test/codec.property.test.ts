// Property tests of the codec, SPEC §3–§5, with fixed fast-check seeds:
// - encode → split anywhere → FrameDecoder gives back exactly the frames;
// - the fast decoder agrees with the reference decoder on valid and mangled bytes;
// - on any bytes the decoder throws only MpxProtocolError, and holds less than
//   one maximal frame (HEADER_SIZE + maxFrame) once next() has returned null.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOSE_REASON_MAX, FrameType, HEADER_SIZE, MAX_MAX_FRAME, MIN_MAX_FRAME } from '../src/constants.js';
import { FrameDecoder } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import { MpxProtocolError } from '../src/errors.js';
import type { Frame } from '../src/frame.js';
import { plain, referenceDecode } from './reference-decoder.js';

const MAX_PAYLOAD = 600;
const MAX_FRAME = 1024;

// ---- arbitraries -----------------------------------------------------------

const streamId = fc.oneof(fc.integer({ min: 1, max: 0xffffffff }), fc.constantFrom(1, 2, 0xffffffff));
const u64 = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const maxFrameField = fc.oneof(fc.integer({ min: MIN_MAX_FRAME, max: MAX_MAX_FRAME }), fc.constantFrom(MIN_MAX_FRAME, MAX_MAX_FRAME));
const reason = fc
  .oneof(fc.string({ maxLength: CLOSE_REASON_MAX }), fc.string({ unit: 'binary', maxLength: 64 }))
  .filter((s) => Buffer.byteLength(s) <= CLOSE_REASON_MAX && Buffer.from(s).toString() === s);

const dataFrame: fc.Arbitrary<Frame> = fc
  .record({
    streamId,
    offset: u64,
    syn: fc.boolean(),
    fin: fc.boolean(),
    target: fc.boolean(),
    payload: fc.uint8Array({ maxLength: MAX_PAYLOAD }),
  })
  .map((f) => ({
    type: FrameType.DATA,
    ...f,
    // Decoded frames carry `target` only when set (SPEC §5.1); toEqual ignores undefined.
    target: f.target ? true : undefined,
    offset: Math.min(f.offset, Number.MAX_SAFE_INTEGER - f.payload.length),
    fin: f.fin || (f.payload.length === 0 && !f.syn),
  }));

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  dataFrame,
  fc.record({ type: fc.constant(FrameType.WINDOW), streamId: fc.oneof(fc.constant(0), streamId), maxOffset: u64 }),
  fc.record({ type: fc.constant(FrameType.RESET), streamId, code: u32, finalSize: u64 }),
  fc.record({ type: fc.constant(FrameType.ACK), count: u64 }),
  fc.record({ type: fc.constant(FrameType.ACK), count: u64, stamp: u64 }),
  fc.record({ type: fc.constant(FrameType.PING), opaque: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ type: fc.constant(FrameType.PONG), opaque: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ type: fc.constant(FrameType.CLOSE), session: fc.boolean(), code: u32, reason }),
  fc.record({
    type: fc.constant(FrameType.CHALLENGE),
    minVersion: fc.integer({ min: 0, max: 255 }),
    maxVersion: fc.integer({ min: 0, max: 255 }),
    nonce: bytes(16),
  }),
  fc.record({
    type: fc.constant(FrameType.HELLO),
    version: fc.integer({ min: 0, max: 255 }),
    resume: fc.boolean(),
    weight: fc.integer({ min: 1, max: 0xffff }),
    // SPEC §3.2 BACKUP, UP_ONLY / DOWN_ONLY: present only when set.
    backup: fc.constantFrom(true, undefined),
    direction: fc.constantFrom('up' as const, 'down' as const, undefined),
    sessionId: bytes(16),
    nonce: bytes(16),
    streamWindow: u32,
    sessionWindow: u32,
    maxFrame: maxFrameField,
    mac: bytes(32),
  }),
  fc.record({ type: fc.constant(FrameType.ROUTE), sessionId: bytes(16) }),
  fc.record({
    type: fc.constant(FrameType.WELCOME),
    created: fc.boolean(),
    streamWindow: u32,
    sessionWindow: u32,
    maxFrame: maxFrameField,
    mac: bytes(32),
  }),
);

/** Cut points, as fractions of the input, turned into chunks (some empty). */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 });

function split(all: Uint8Array, fractions: readonly number[]): Uint8Array[] {
  const points = fractions.map((f) => Math.floor(f * all.length)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, all.length]) {
    chunks.push(all.subarray(start, p));
    start = p;
  }
  return chunks;
}

/** Byte mangling: each entry sets one byte of the input to a value, often one at a field boundary. */
const mangles = fc.array(
  fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x1f, 0x20, 0x80, 0xff)),
  }),
  { minLength: 1, maxLength: 3 },
);

function mangle(bytes: Uint8Array, changes: ReadonlyArray<{ at: number; value: number }>): Buffer {
  const out = Buffer.from(bytes);
  for (const { at, value } of changes) out[Math.floor(at * out.length)] = value;
  return out;
}

// ---- helpers ---------------------------------------------------------------

const encodeAll = (frames: readonly Frame[]): Buffer => Buffer.concat(frames.flatMap((f) => encodeFrame(f)));

interface FeedResult {
  frames: Frame[];
  error: unknown;
  buffered: number;
}

/** One read buffer reused for every lent chunk, the way a carrier read with `onread` is. */
const readBuffer = Buffer.alloc(64 * 1024 + HEADER_SIZE);

/**
 * Pushes chunk by chunk, draining next() after each push and checking the memory bound.
 * `lent`: each chunk is copied into readBuffer, pushed as lent, released
 * after draining, and then readBuffer is overwritten, as the next read would.
 */
function feed(chunks: readonly Uint8Array[], maxFrame: number, lent = false, splitPayloads = false): FeedResult {
  const decoder = new FrameDecoder({ maxFrame, splitPayloads });
  const frames: Frame[] = [];
  try {
    for (const chunk of chunks) {
      if (lent) readBuffer.set(chunk);
      decoder.push(lent ? readBuffer.subarray(0, chunk.length) : chunk, lent);
      for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames.push(frame);
      decoder.release();
      if (lent) readBuffer.fill(0xee);
      // Bound: after draining, what is queued is less than one maximal frame.
      expect(decoder.bufferedBytes).toBeLessThan(HEADER_SIZE + maxFrame);
    }
  } catch (error) {
    if (!(error instanceof MpxProtocolError)) throw error;
    return { frames, error, buffered: 0 };
  }
  return { frames, error: null, buffered: decoder.bufferedBytes };
}

// ---- properties ------------------------------------------------------------

describe('codec properties', () => {
  it('gives back exactly the encoded frames under any split of the byte stream', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), cuts, (frames, fractions) => {
        const result = feed(split(encodeAll(frames), fractions), MAX_FRAME);
        expect(result.error).toBeNull();
        expect(result.buffered).toBe(0);
        expect(result.frames.map(plain)).toEqual(frames.map(plain));
      }),
      { seed: 0x5eed_0001, numRuns: 400 },
    );
  });

  it('gives back exactly the encoded frames when every chunk is lent from one reused read buffer', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), cuts, (frames, fractions) => {
        const result = feed(split(encodeAll(frames), fractions), MAX_FRAME, true);
        expect(result.error).toBeNull();
        expect(result.buffered).toBe(0);
        expect(result.frames.map(plain)).toEqual(frames.map(plain));
      }),
      { seed: 0x5eed_0007, numRuns: 400 },
    );
  });

  it('gives back exactly the encoded frames with payloads split at chunk ends, lent or not', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), cuts, fc.boolean(), (frames, fractions, lent) => {
        const result = feed(split(encodeAll(frames), fractions), MAX_FRAME, lent, true);
        expect(result.error).toBeNull();
        expect(result.buffered).toBe(0);
        expect(result.frames.map(plain)).toEqual(frames.map(plain));
        for (const f of result.frames) if (f.type === FrameType.DATA && f.rest !== undefined) expect(f.rest.length).toBeGreaterThan(0);
      }),
      { seed: 0x5eed_000b, numRuns: 400 },
    );
  });

  it('round-trips every frame type one frame at a time', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const result = feed(encodeFrame(frame), MAX_FRAME);
        expect(result.frames.map(plain)).toEqual([plain(frame)]);
      }),
      { seed: 0x5eed_0002, numRuns: 1000 },
    );
  });

  it('agrees with the reference decoder on random frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), (frames) => {
        const all = encodeAll(frames);
        const reference = referenceDecode(all, MAX_FRAME);
        expect(reference.error).toBeNull();
        expect(reference.frames.map(plain)).toEqual(frames.map(plain));
        expect(feed([all], MAX_FRAME).frames.map(plain)).toEqual(reference.frames.map(plain));
      }),
      { seed: 0x5eed_0003, numRuns: 300 },
    );
  });

  it('agrees with the reference decoder on mangled frames, under any split', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        mangles,
        cuts,
        fc.integer({ min: 64, max: 2048 }),
        (frames, changes, fractions, maxFrame) => {
          const all = mangle(encodeAll(frames), changes);
          const reference = referenceDecode(all, maxFrame);
          const result = feed(split(all, fractions), maxFrame);
          expect(result.frames.map(plain)).toEqual(reference.frames.map(plain));
          expect(result.error === null ? null : (result.error as MpxProtocolError).wireCode).toBe(reference.error);
          expect(result.buffered).toBe(reference.trailing);
        },
      ),
      { seed: 0x5eed_0004, numRuns: 1000 },
    );
  });

  it('agrees with the reference decoder on single frames with one or two bytes changed', () => {
    // One short frame, so that each field boundary is hit often; maxFrame around the frame's length.
    const short = frameArb.filter((f) => f.type !== FrameType.DATA || f.payload.length < 16);
    fc.assert(
      fc.property(short, mangles, fc.integer({ min: -2, max: 2 }), (frame, changes, slack) => {
        const all = mangle(encodeAll([frame]), changes.slice(0, 2));
        const maxFrame = Math.max(0, all.length - HEADER_SIZE + slack);
        const reference = referenceDecode(all, maxFrame);
        const result = feed([all], maxFrame);
        expect(result.frames.map(plain)).toEqual(reference.frames.map(plain));
        expect(result.error === null ? null : (result.error as MpxProtocolError).wireCode).toBe(reference.error);
      }),
      { seed: 0x5eed_0006, numRuns: 5000 },
    );
  });

  it('throws nothing but MpxProtocolError on random bytes, and stays within its memory bound', () => {
    // Random bytes after a plausible header prefix, so that checks past the type byte are reached too.
    const header = fc.tuple(
      fc.constantFrom(...Object.values(FrameType)),
      fc.constantFrom(0, 0, 0, 1, 2, 3, 0x80),
      fc.constantFrom(0, 0, 0, 1),
      fc.oneof(fc.integer({ min: 0, max: 300 }), u32),
      fc.oneof(fc.constant(0), fc.constant(1), u32),
    );
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.tuple(fc.array(header, { maxLength: 5 }), fc.uint8Array({ maxLength: 400 })).map(([headers, tail]) => {
        const parts = headers.map(([type, flags, reserved, length, id]) => {
          const b = Buffer.alloc(12);
          b.writeUInt8(type, 0);
          b.writeUInt8(flags, 1);
          b.writeUInt16BE(reserved, 2);
          b.writeUInt32BE(length, 4);
          b.writeUInt32BE(id, 8);
          return b;
        });
        return Buffer.concat([...parts, tail]);
      }),
    );
    fc.assert(
      fc.property(input, cuts, fc.integer({ min: 0, max: 4096 }), (all, fractions, maxFrame) => {
        // feed() rethrows anything other than MpxProtocolError, failing the property.
        const result = feed(split(all, fractions), maxFrame);
        const reference = referenceDecode(all, maxFrame);
        expect(result.error === null ? null : (result.error as MpxProtocolError).wireCode).toBe(reference.error);
        expect(result.frames.map(plain)).toEqual(reference.frames.map(plain));
      }),
      { seed: 0x5eed_0005, numRuns: 2000 },
    );
  });
});
