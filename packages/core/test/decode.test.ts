// FrameDecoder behaviour, SPEC §3–§5: incremental parsing, payloads copied out of reads, limits
// checked on the header, and every rule a receiver checks.
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import { FrameDecoder, decodeAll } from '../src/decode.js';
import { encodeFrame } from '../src/encode.js';
import { MpxProtocolError } from '../src/errors.js';
import { ON_HEAP_MAX } from '../src/read-blocks.js';
import type { DataFrame, Frame } from '../src/frame.js';
import { plain } from './reference-decoder.js';

const MAX_FRAME = 65536;

/** A frame from header fields and a hex body; `length` defaults to the body's length. */
function raw(type: number, flags: number, streamId: number, body: string, length?: number, reserved = 0): Buffer {
  const b = Buffer.from(body.replace(/\s+/g, ''), 'hex');
  const header = Buffer.alloc(12);
  header.writeUInt8(type, 0);
  header.writeUInt8(flags, 1);
  header.writeUInt16BE(reserved, 2);
  header.writeUInt32BE(length ?? b.length, 4);
  header.writeUInt32BE(streamId, 8);
  return Buffer.concat([header, b]);
}

const encode = (frame: Frame): Buffer => Buffer.concat(encodeFrame(frame));

/** Pushes every chunk, then returns every complete frame. */
function feed(decoder: FrameDecoder, ...chunks: Uint8Array[]): Frame[] {
  for (const chunk of chunks) decoder.push(chunk);
  const frames: Frame[] = [];
  for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames.push(frame);
  return frames;
}

/** Asserts that decoding `bytes` fails with `wireCode`, and returns the error. */
function rejects(bytes: Uint8Array, wireCode: number, maxFrame = MAX_FRAME): MpxProtocolError {
  const decoder = new FrameDecoder({ maxFrame });
  decoder.push(bytes);
  let caught: unknown;
  try {
    while (decoder.next() !== null);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MpxProtocolError);
  expect((caught as MpxProtocolError).wireCode).toBe(wireCode);
  return caught as MpxProtocolError;
}

const U64_ZERO = '0000000000000000';
const U64_2_53 = '0020000000000000';
const U64_MAX_SAFE = '001fffffffffffff';
const MAGIC = '4d505800';
const HELLO_BODY = (over: { magic?: string; flags?: string; weight?: string; maxFrame?: string } = {}): string =>
  `${over.magic ?? MAGIC} 01 ${over.flags ?? '00'} ${over.weight ?? '0001'} ${'aa'.repeat(16)} ${'bb'.repeat(16)}
   00000400 00000800 ${over.maxFrame ?? '00010000'} ${'cc'.repeat(32)}`;
const WELCOME_BODY = (over: { flags?: string; reserved?: string; maxFrame?: string } = {}): string =>
  `${over.flags ?? '00'} ${over.reserved ?? '000000'} 00000400 00000800 ${over.maxFrame ?? '00010000'} ${'cc'.repeat(32)}`;

describe('FrameDecoder: incremental parsing', () => {
  it('parses a DATA frame split across three writes', () => {
    const bytes = raw(FrameType.DATA, 0x01, 7, `${U64_ZERO} 68656c6c6f`);
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    expect(feed(decoder, bytes.subarray(0, 5))).toEqual([]);
    expect(feed(decoder, bytes.subarray(5, 16))).toEqual([]);
    const frames = feed(decoder, bytes.subarray(16));
    expect(frames.map(plain)).toEqual([{ type: FrameType.DATA, streamId: 7, offset: 0, syn: true, fin: false, payload: '68656c6c6f' }]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('returns null until the whole frame is there, then the frame', () => {
    const bytes = encode({ type: FrameType.ACK, count: 3 });
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    for (let i = 0; i < bytes.length - 1; i++) {
      decoder.push(bytes.subarray(i, i + 1));
      expect(decoder.next()).toBeNull();
    }
    decoder.push(bytes.subarray(bytes.length - 1));
    expect(decoder.next()).toEqual({ type: FrameType.ACK, count: 3 });
    expect(decoder.next()).toBeNull();
  });

  it('parses several frames from one chunk, in order', () => {
    const bytes = Buffer.concat([
      encode({ type: FrameType.PING, opaque: 1n }),
      encode({ type: FrameType.WINDOW, streamId: 0, maxOffset: 5 }),
      encode({ type: FrameType.PONG, opaque: 2n }),
    ]);
    expect(feed(new FrameDecoder({ maxFrame: MAX_FRAME }), bytes)).toEqual([
      { type: FrameType.PING, opaque: 1n },
      { type: FrameType.WINDOW, streamId: 0, maxOffset: 5 },
      { type: FrameType.PONG, opaque: 2n },
    ]);
  });

  it('does not parse on push, only on next()', () => {
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(raw(0x7f, 0, 0, ''));
    expect(decoder.bufferedBytes).toBe(12);
    expect(() => decoder.next()).toThrow(MpxProtocolError);
  });

  it('ignores empty chunks', () => {
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    const bytes = encode({ type: FrameType.ACK, count: 1 });
    expect(feed(decoder, new Uint8Array(0), bytes.subarray(0, 3), new Uint8Array(0), bytes.subarray(3))).toEqual([{ type: FrameType.ACK, count: 1 }]);
  });

  it('drains thousands of one-byte chunks queued before the first next()', () => {
    const frames: Frame[] = Array.from({ length: 200 }, (_, i) => ({
      type: FrameType.DATA,
      streamId: 1,
      offset: i * 10,
      syn: i === 0,
      fin: false,
      payload: Buffer.alloc(10, i),
    }));
    const bytes = Buffer.concat(frames.map(encode));
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    expect(decoder.bufferedBytes).toBe(bytes.length);
    expect(feed(decoder).map(plain)).toEqual(frames.map(plain));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('counts a parsed header of an incomplete frame in bufferedBytes', () => {
    const bytes = encode({ type: FrameType.RESET, streamId: 1, code: 0, finalSize: 0 });
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    expect(feed(decoder, bytes.subarray(0, 15))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(15);
    feed(decoder, bytes.subarray(15));
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe('FrameDecoder: payloads are copied out of the read', () => {
  it('hands out a payload that lies in one chunk in memory of its own, not a view of the chunk', () => {
    const chunk = Buffer.concat([encode({ type: FrameType.PING, opaque: 0n }), raw(0, 0, 1, `${U64_ZERO} 010203`)]);
    const [, data] = feed(new FrameDecoder({ maxFrame: MAX_FRAME }), chunk) as [Frame, DataFrame];
    chunk.fill(0);
    expect(Buffer.from(data.payload).toString('hex')).toBe('010203');
  });

  it('gives a large payload a buffer of exactly its length, so it pins nothing else of the read', () => {
    const payload = Buffer.alloc(5000, 0x5a);
    const next = Buffer.alloc(50_000);
    const chunk = Buffer.concat([
      encode({ type: FrameType.DATA, streamId: 1, offset: 0, syn: false, fin: false, payload }),
      encode({ type: FrameType.DATA, streamId: 1, offset: 5000, syn: false, fin: false, payload: next }),
    ]);
    const [data] = feed(new FrameDecoder({ maxFrame: MAX_FRAME }), chunk) as [DataFrame];
    expect(data.payload.buffer.byteLength).toBe(5000);
    expect(Buffer.from(data.payload).equals(payload)).toBe(true);
  });

  it('copies mid-size payloads of a lent read (2-4 KiB answers) into shared memory at most 4 times their length, not a buffer each', () => {
    // Three, so that two share memory wherever the shared pool stands.
    const payloads = [0x61, 0x62, 0x63].map((byte) => Buffer.alloc(2300, byte));
    const read = Buffer.concat(
      payloads.map((payload, i) => encode({ type: FrameType.DATA, streamId: i + 1, offset: 0, syn: false, fin: false, payload })),
    );
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(read, true);
    const frames = payloads.map(() => decoder.next() as DataFrame);
    decoder.release();
    read.fill(0);
    expect(frames.map((f, i) => Buffer.from(f.payload).equals(payloads[i]!))).toEqual([true, true, true]);
    expect(frames.every((f) => f.payload.buffer.byteLength <= 4 * f.payload.byteLength)).toBe(true);
    expect(new Set(frames.map((f) => f.payload.buffer)).size).toBeLessThan(3);
  });

  it('keeps a payload that fills most of an unlent chunk as a view of it (bulk reads are not copied twice)', () => {
    const payload = Buffer.alloc(16_384, 0x33);
    const chunk = Buffer.concat([
      encode({ type: FrameType.DATA, streamId: 1, offset: 0, syn: false, fin: false, payload }),
      encode({ type: FrameType.DATA, streamId: 1, offset: 16_384, syn: false, fin: false, payload }),
    ]);
    const frames = feed(new FrameDecoder({ maxFrame: MAX_FRAME }), chunk) as DataFrame[];
    expect(frames.map((f) => f.payload.buffer === chunk.buffer)).toEqual([true, true]);
  });

  it('copies every payload of a lent chunk, however large its share of the chunk', () => {
    const payload = Buffer.alloc(16_384, 0x44);
    const read = Buffer.concat([encode({ type: FrameType.DATA, streamId: 1, offset: 0, syn: false, fin: false, payload })]);
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(read, true);
    const frame = decoder.next() as DataFrame;
    decoder.release();
    read.fill(0);
    expect(frame.payload.buffer).not.toBe(read.buffer);
    expect(Buffer.from(frame.payload).equals(payload)).toBe(true);
  });

  it('reads a lent chunk in place and keeps only the frame cut by its end, copied at release()', () => {
    const ping = encode({ type: FrameType.PING, opaque: 7n });
    const data = raw(0, 0, 1, `${U64_ZERO} 0102030405`);
    const read = Buffer.alloc(64);
    const first = Buffer.concat([ping, data.subarray(0, 23)]);
    first.copy(read);
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(read.subarray(0, first.length), true);
    expect(decoder.next()).toMatchObject({ type: FrameType.PING, opaque: 7n });
    expect(decoder.next()).toBeNull();
    decoder.release();
    read.fill(0xff); // the next read overwrites the buffer
    data.subarray(23).copy(read);
    decoder.push(read.subarray(0, data.length - 23), true);
    const frame = decoder.next() as DataFrame;
    decoder.release();
    read.fill(0xff);
    expect(Buffer.from(frame.payload).toString('hex')).toBe('0102030405');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('copies a payload that spans chunks, and the copy survives changes to the chunks', () => {
    const bytes = raw(0, 0, 1, `${U64_ZERO} 0102030405`);
    const a = Buffer.from(bytes.subarray(0, 22));
    const b = Buffer.from(bytes.subarray(22));
    const [data] = feed(new FrameDecoder({ maxFrame: MAX_FRAME }), a, b) as [DataFrame];
    a.fill(0);
    b.fill(0);
    expect(Buffer.from(data.payload).toString('hex')).toBe('0102030405');
  });

  it('with splitPayloads, hands out a payload across two unlent chunks as two views, copying a part whose chunk is over 4 times the payload', () => {
    const payload = Buffer.from(Array.from({ length: 16_384 }, (_, i) => i & 0xff));
    const bytes = encode({ type: FrameType.DATA, streamId: 1, offset: 0, syn: false, fin: false, payload });
    const cut = (at: number): [Buffer, Buffer] => [Buffer.from(bytes.subarray(0, at)), Buffer.from(bytes.subarray(at))];
    const [a, b] = cut(20 + 6000); // 6000 bytes in the first chunk, the rest in the second: both views
    const [whole] = feed(new FrameDecoder({ maxFrame: MAX_FRAME, splitPayloads: true }), a, b) as [DataFrame];
    expect([whole.payload.buffer, whole.rest?.buffer]).toEqual([a.buffer, b.buffer]);
    expect(Buffer.concat([whole.payload, whole.rest!]).equals(payload)).toBe(true);
    // 100 bytes at the end of a read: a view when the read's memory is within 4 times the whole payload (64 KiB), else copied.
    const partAtEnd = (readSize: number): DataFrame => {
      const read = Buffer.alloc(readSize);
      bytes.copy(read, readSize - 120, 0, 120);
      const decoder = new FrameDecoder({ maxFrame: MAX_FRAME, splitPayloads: true });
      const [frame] = feed(decoder, read.subarray(readSize - 120), Buffer.from(bytes.subarray(120))) as [DataFrame];
      expect(Buffer.concat([frame.payload, frame.rest!]).equals(payload)).toBe(true);
      return frame;
    };
    expect(partAtEnd(64 * 1024).payload.buffer.byteLength).toBe(64 * 1024);
    expect(partAtEnd(64 * 1024 + 1).payload.buffer.byteLength).toBeLessThan(64 * 1024);
    // Without the option the same frame is one copy.
    const [one] = feed(new FrameDecoder({ maxFrame: MAX_FRAME }), a, b) as [DataFrame];
    expect(one.rest).toBeUndefined();
    expect(Buffer.from(one.payload).equals(payload)).toBe(true);
  });

  it('with splitPayloads, copies a part of 64 bytes or fewer: such a view at the start of a read could not be given back to readBlocks', () => {
    const payload = Buffer.from(Array.from({ length: 65_536 }, (_, i) => (i * 7) & 0xff));
    const bytes = encode({ type: FrameType.DATA, streamId: 1, offset: 0, syn: false, fin: false, payload });
    const split = (at: number): DataFrame => {
      const [a, b] = [Buffer.from(bytes.subarray(0, at)), Buffer.from(bytes.subarray(at))];
      // A body of a 64 KiB payload and its 8-byte offset.
      const [frame] = feed(new FrameDecoder({ maxFrame: payload.length + 8, splitPayloads: true }), a, b) as [DataFrame];
      expect(Buffer.concat([frame.payload, frame.rest!]).equals(payload)).toBe(true);
      expect(frame.payload.buffer === a.buffer).toBe(at - 20 > ON_HEAP_MAX);
      expect(frame.rest!.buffer === b.buffer).toBe(bytes.length - at > ON_HEAP_MAX);
      return frame;
    };
    // A 64 KiB read, then the frame's last 20 bytes (what a reader keeping pace with bulk frames reads).
    expect(split(65_536).rest!.byteLength).toBe(20);
    split(bytes.length - ON_HEAP_MAX);
    split(bytes.length - ON_HEAP_MAX - 1);
    split(20 + ON_HEAP_MAX);
    split(20 + ON_HEAP_MAX + 1);
  });

  it('copies handshake fields, so they do not alias the chunk', () => {
    const chunk = raw(FrameType.HELLO, 0, 0, HELLO_BODY());
    const [hello] = feed(new FrameDecoder({ maxFrame: MAX_FRAME }), chunk);
    chunk.fill(0);
    expect(plain(hello!)).toMatchObject({ sessionId: 'aa'.repeat(16), nonce: 'bb'.repeat(16), mac: 'cc'.repeat(32) });
  });
});

describe('FrameDecoder: max frame (SPEC §4)', () => {
  it('rejects a length above maxFrame as soon as the header arrives (before the body)', () => {
    const decoder = new FrameDecoder({ maxFrame: 1024 });
    decoder.push(raw(FrameType.DATA, 0, 1, '', 1025).subarray(0, 12));
    expect(() => decoder.next()).toThrow(expect.objectContaining({ wireCode: WireCode.FRAME_TOO_LARGE }));
  });

  it('accepts a body of exactly maxFrame bytes', () => {
    const payload = 'ab'.repeat(1024 - 8);
    const [data] = decodeAll(raw(FrameType.DATA, 0, 1, `${U64_ZERO} ${payload}`), 1024) as [DataFrame];
    expect(data.payload.length).toBe(1016);
  });

  it('applies a lowered maxFrame to the next header', () => {
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    const bytes = raw(FrameType.DATA, 0, 1, `${U64_ZERO} ${'00'.repeat(100)}`);
    expect(feed(decoder, bytes)).toHaveLength(1);
    decoder.maxFrame = 50;
    expect(decoder.maxFrame).toBe(50);
    decoder.push(bytes);
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'MPX_ERR_FRAME_TOO_LARGE' }));
  });

  it('rejects a maxFrame that is not a u32', () => {
    expect(() => new FrameDecoder({ maxFrame: -1 })).toThrow(expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' }));
    expect(() => new FrameDecoder({ maxFrame: 2 ** 32 })).toThrow(expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' }));
  });
});

describe('FrameDecoder: after an error', () => {
  it('is dead: next() and push() throw the same error again', () => {
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(raw(0x07, 0, 0, ''));
    let first: unknown;
    try {
      decoder.next();
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(MpxProtocolError);
    expect(() => decoder.next()).toThrow(first);
    expect(() => decoder.push(encode({ type: FrameType.ACK, count: 0 }))).toThrow(first);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('returns the frames before the bad one first', () => {
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(Buffer.concat([encode({ type: FrameType.ACK, count: 9 }), raw(0x20, 0, 0, '')]));
    expect(decoder.next()).toEqual({ type: FrameType.ACK, count: 9 });
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'MPX_ERR_UNKNOWN_FRAME_TYPE' }));
  });
});

describe('FrameDecoder: header rules (SPEC §4, §5)', () => {
  it('rejects an unknown type with UNKNOWN_FRAME_TYPE', () => {
    for (const type of [0x07, 0x0f, 0x14, 0xff]) {
      const err = rejects(raw(type, 0, 0, ''), WireCode.UNKNOWN_FRAME_TYPE);
      expect(err.code).toBe('MPX_ERR_UNKNOWN_FRAME_TYPE');
    }
  });

  it('rejects reserved bits', () => {
    for (const reserved of [0x0001, 0x8000]) {
      rejects(raw(FrameType.PING, 0, 0, U64_ZERO, undefined, reserved), WireCode.PROTOCOL);
    }
  });

  it('rejects flag bits a type does not define', () => {
    rejects(raw(FrameType.DATA, 0x08, 1, `${U64_ZERO} 00`), WireCode.PROTOCOL);
    rejects(raw(FrameType.DATA, 0x04, 1, U64_ZERO), WireCode.PROTOCOL); // TARGET alone does not make an empty DATA valid
    rejects(raw(FrameType.WINDOW, 0x01, 1, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.RESET, 0x80, 1, `00000000 ${U64_ZERO}`), WireCode.PROTOCOL);
    rejects(raw(FrameType.ACK, 0x01, 0, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.PING, 0x01, 0, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.CLOSE, 0x02, 0, '00000000'), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0x01, 0, HELLO_BODY()), WireCode.PROTOCOL);
  });

  it('rejects a body length wrong for the type', () => {
    rejects(raw(FrameType.DATA, 0x01, 1, '00000000000000'), WireCode.PROTOCOL);
    rejects(raw(FrameType.WINDOW, 0, 1, `${U64_ZERO} 00`), WireCode.PROTOCOL);
    rejects(raw(FrameType.RESET, 0, 1, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.ACK, 0, 0, '00'), WireCode.PROTOCOL);
    rejects(raw(FrameType.ACK, 0, 0, `${U64_ZERO} 00`), WireCode.PROTOCOL); // 8 or 16 (§5.4), nothing between
    rejects(raw(FrameType.ACK, 0, 0, `${U64_ZERO} ${U64_ZERO} 00`), WireCode.PROTOCOL);
    rejects(raw(FrameType.PONG, 0, 0, ''), WireCode.PROTOCOL);
    rejects(raw(FrameType.CLOSE, 0, 0, '000000'), WireCode.PROTOCOL);
    rejects(raw(FrameType.CHALLENGE, 0, 0, '00'.repeat(23)), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0, 0, `${HELLO_BODY()} 00`), WireCode.PROTOCOL);
    rejects(raw(FrameType.WELCOME, 0, 0, '00'.repeat(47)), WireCode.PROTOCOL);
  });

  it('rejects a wrong length from the header alone, before the body arrives', () => {
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    decoder.push(raw(FrameType.HELLO, 0, 0, '', 83));
    expect(() => decoder.next()).toThrow(expect.objectContaining({ wireCode: WireCode.PROTOCOL }));
  });

  it('rejects stream id 0 on DATA and RESET', () => {
    rejects(raw(FrameType.DATA, 0x01, 0, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.RESET, 0, 0, `00000000 ${U64_ZERO}`), WireCode.PROTOCOL);
  });

  it('rejects a stream id on session and carrier frames', () => {
    rejects(raw(FrameType.ACK, 0, 1, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.PING, 0, 2, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.PONG, 0, 3, U64_ZERO), WireCode.PROTOCOL);
    rejects(raw(FrameType.CLOSE, 0, 4, '00000000'), WireCode.PROTOCOL);
    rejects(raw(FrameType.CHALLENGE, 0, 5, `${MAGIC} 0101 0000 ${'00'.repeat(16)}`), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0, 6, HELLO_BODY()), WireCode.PROTOCOL);
    rejects(raw(FrameType.WELCOME, 0, 7, WELCOME_BODY()), WireCode.PROTOCOL);
  });

  it('accepts WINDOW on stream 0 (session credit) and on a stream', () => {
    expect(decodeAll(raw(FrameType.WINDOW, 0, 0, U64_ZERO), MAX_FRAME)).toHaveLength(1);
    expect(decodeAll(raw(FrameType.WINDOW, 0, 0xffffffff, U64_ZERO), MAX_FRAME)).toHaveLength(1);
  });
});

describe('FrameDecoder: body rules (SPEC §2, §3, §5)', () => {
  it('rejects offsets ≥ 2^53', () => {
    rejects(raw(FrameType.DATA, 0x02, 1, U64_2_53), WireCode.PROTOCOL);
    rejects(raw(FrameType.DATA, 0x02, 1, 'ffffffffffffffff'), WireCode.PROTOCOL);
    rejects(raw(FrameType.WINDOW, 0, 1, U64_2_53), WireCode.PROTOCOL);
    rejects(raw(FrameType.RESET, 0, 1, `00000000 ${U64_2_53}`), WireCode.PROTOCOL);
    rejects(raw(FrameType.ACK, 0, 0, U64_2_53), WireCode.PROTOCOL);
  });

  it('accepts offsets of 2^53 - 1', () => {
    const [data] = decodeAll(raw(FrameType.DATA, 0x02, 1, U64_MAX_SAFE), MAX_FRAME) as [DataFrame];
    expect(data.offset).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeAll(raw(FrameType.ACK, 0, 0, U64_MAX_SAFE), MAX_FRAME)).toEqual([{ type: FrameType.ACK, count: Number.MAX_SAFE_INTEGER }]);
  });

  it('rejects DATA whose last byte would lie at 2^53 or beyond', () => {
    rejects(raw(FrameType.DATA, 0, 1, `${U64_MAX_SAFE} 00`), WireCode.PROTOCOL);
  });

  it('rejects DATA with an empty payload and neither SYN nor FIN', () => {
    rejects(raw(FrameType.DATA, 0, 1, U64_ZERO), WireCode.PROTOCOL);
    expect(decodeAll(raw(FrameType.DATA, 0x01, 1, U64_ZERO), MAX_FRAME)).toHaveLength(1);
  });

  it('decodes a PING opaque of 2^64 - 1 as a bigint', () => {
    expect(decodeAll(raw(FrameType.PING, 0, 0, 'ffffffffffffffff'), MAX_FRAME)).toEqual([{ type: FrameType.PING, opaque: 2n ** 64n - 1n }]);
  });

  it('rejects a CLOSE reason above 256 bytes', () => {
    rejects(raw(FrameType.CLOSE, 0, 0, `00000000 ${'61'.repeat(257)}`), WireCode.PROTOCOL);
    const [close] = decodeAll(raw(FrameType.CLOSE, 1, 0, `00000011 ${'61'.repeat(256)}`), MAX_FRAME);
    expect(close).toEqual({ type: FrameType.CLOSE, session: true, code: WireCode.INTERNAL, reason: 'a'.repeat(256) });
  });

  it('rejects a CLOSE reason that is not valid UTF-8', () => {
    for (const bad of ['ff', 'c3', 'e29c', 'eda080', 'c0af']) {
      rejects(raw(FrameType.CLOSE, 0, 0, `00000000 ${bad}`), WireCode.PROTOCOL);
    }
  });

  it('keeps a wire code the table does not list as a number', () => {
    expect(decodeAll(raw(FrameType.RESET, 0, 1, `deadbeef ${U64_ZERO}`), MAX_FRAME)).toEqual([
      { type: FrameType.RESET, streamId: 1, code: 0xdeadbeef, finalSize: 0 },
    ]);
  });

  it('rejects bad magic in CHALLENGE and HELLO', () => {
    rejects(raw(FrameType.CHALLENGE, 0, 0, `4d505801 0101 0000 ${'00'.repeat(16)}`), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ magic: '48545450' })), WireCode.PROTOCOL);
  });

  it('rejects reserved bytes in handshake bodies', () => {
    rejects(raw(FrameType.CHALLENGE, 0, 0, `${MAGIC} 0101 0001 ${'00'.repeat(16)}`), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ flags: '10' })), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ flags: '0c' })), WireCode.PROTOCOL); // UP_ONLY with DOWN_ONLY
    rejects(raw(FrameType.WELCOME, 0, 0, WELCOME_BODY({ flags: '80' })), WireCode.PROTOCOL);
    for (const reserved of ['010000', '000100', '000001']) {
      rejects(raw(FrameType.WELCOME, 0, 0, WELCOME_BODY({ reserved })), WireCode.PROTOCOL);
    }
    rejects(raw(FrameType.CHALLENGE, 0, 0, `${MAGIC} 0101 0100 ${'00'.repeat(16)}`), WireCode.PROTOCOL);
  });

  it('rejects HELLO weight 0', () => {
    rejects(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ weight: '0000' })), WireCode.PROTOCOL);
  });

  it('rejects a max frame field outside [1024, 16777215]', () => {
    rejects(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ maxFrame: '000003ff' })), WireCode.PROTOCOL);
    rejects(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ maxFrame: '01000000' })), WireCode.PROTOCOL);
    rejects(raw(FrameType.WELCOME, 0, 0, WELCOME_BODY({ maxFrame: '00000000' })), WireCode.PROTOCOL);
    expect(decodeAll(raw(FrameType.WELCOME, 0, 0, WELCOME_BODY({ maxFrame: '00ffffff' })), MAX_FRAME)).toHaveLength(1);
    expect(decodeAll(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ maxFrame: '00000400' })), MAX_FRAME)).toHaveLength(1);
  });

  it('decodes any version byte as is (version checks belong to the session)', () => {
    const [challenge] = decodeAll(raw(FrameType.CHALLENGE, 0, 0, `${MAGIC} 07 02 0000 ${'00'.repeat(16)}`), MAX_FRAME);
    expect(challenge).toMatchObject({ minVersion: 7, maxVersion: 2 });
    const hello = raw(FrameType.HELLO, 0, 0, HELLO_BODY());
    hello[16] = 0;
    expect(decodeAll(hello, MAX_FRAME)[0]).toMatchObject({ type: FrameType.HELLO, version: 0 });
  });

  it('decodes the HELLO RESUME and WELCOME CREATED flags', () => {
    expect(decodeAll(raw(FrameType.HELLO, 0, 0, HELLO_BODY({ flags: '01' })), MAX_FRAME)[0]).toMatchObject({
      resume: true,
      weight: 1,
      streamWindow: 1024,
      sessionWindow: 2048,
      maxFrame: 65536,
    });
    expect(decodeAll(raw(FrameType.WELCOME, 0, 0, WELCOME_BODY({ flags: '01' })), MAX_FRAME)[0]).toMatchObject({
      created: true,
    });
  });
});

describe('decodeAll', () => {
  it('returns every frame of a complete byte string', () => {
    const frames: Frame[] = [
      { type: FrameType.ACK, count: 1 },
      { type: FrameType.CLOSE, session: false, code: 0, reason: 'done' },
    ];
    expect(decodeAll(Buffer.concat(frames.map(encode)), MAX_FRAME)).toEqual(frames);
  });

  it('throws PROTOCOL on a trailing partial frame', () => {
    const bytes = encode({ type: FrameType.ACK, count: 1 });
    expect(() => decodeAll(bytes.subarray(0, 5), MAX_FRAME)).toThrow(expect.objectContaining({ wireCode: WireCode.PROTOCOL }));
    expect(() => decodeAll(bytes.subarray(0, 13), MAX_FRAME)).toThrow(expect.objectContaining({ wireCode: WireCode.PROTOCOL }));
  });

  it('returns nothing for no bytes', () => {
    expect(decodeAll(new Uint8Array(0), MAX_FRAME)).toEqual([]);
  });
});
