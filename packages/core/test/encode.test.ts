// Encoder behaviour, SPEC §3–§5: chunk shape, zero copy, input validation.
import { describe, expect, it } from 'vitest';
import { DataFlags, FrameType, WireCode } from '../src/constants.js';
import {
  clampReason,
  encodeChallengeBody,
  encodeDataPrefix,
  encodeFrame,
  encodeHelloBody,
  encodeHelloParams,
  encodeWelcomeParams,
  encodedLength,
} from '../src/encode.js';
import type { Frame, HelloFrame, WelcomeFrame } from '../src/frame.js';

const hex = (s: string): string => s.replace(/\s+/g, '');
const toHex = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString('hex');
const invalidArgument = expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' });

const HELLO: HelloFrame = {
  type: FrameType.HELLO,
  version: 1,
  resume: true,
  weight: 65535,
  sessionId: new Uint8Array(16).fill(0x11),
  nonce: new Uint8Array(16).fill(0x22),
  streamWindow: 0,
  sessionWindow: 0xffffffff,
  maxFrame: 1024,
  mac: new Uint8Array(32).fill(0x33),
};
const WELCOME: WelcomeFrame = {
  type: FrameType.WELCOME,
  created: false,
  streamWindow: 1,
  sessionWindow: 2,
  maxFrame: 0xffffff,
  mac: new Uint8Array(32).fill(0x44),
};

describe('encodeFrame: DATA', () => {
  it('returns the 20-byte prefix and the payload as two chunks', () => {
    const payload = Buffer.from('abc');
    const chunks = encodeFrame({ type: FrameType.DATA, streamId: 5, offset: 7, syn: false, fin: false, payload });
    expect(chunks).toHaveLength(2);
    expect(Buffer.from(chunks[0]!).toString('hex')).toBe(hex('00 00 0000 0000000b 00000005 0000000000000007'));
  });

  it('does not copy the payload: the second chunk is the caller’s view', () => {
    const backing = Buffer.from('xxpayloadxx');
    const payload = backing.subarray(2, 9);
    const chunks = encodeFrame({ type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, payload });
    expect(chunks[1]).toBe(payload);
  });

  it('omits the payload chunk when the payload is empty', () => {
    const chunks = encodeFrame({
      type: FrameType.DATA,
      streamId: 1,
      offset: 9,
      syn: false,
      fin: true,
      payload: new Uint8Array(0),
    });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toHaveLength(20);
  });

  it('writes SYN and FIN together as flags 0x03', () => {
    const chunks = encodeFrame({
      type: FrameType.DATA,
      streamId: 1,
      offset: 0,
      syn: true,
      fin: true,
      payload: new Uint8Array(0),
    });
    expect(chunks[0]![1]).toBe(0x03);
  });

  it('writes offsets above 2^32 as two u32 halves, up to 2^53 - 1', () => {
    const prefix = encodeDataPrefix(0xffffffff, Number.MAX_SAFE_INTEGER, 0, DataFlags.FIN);
    expect(prefix.toString('hex')).toBe(hex('00 02 0000 00000008 ffffffff 001fffffffffffff'));
  });
});

describe('encodeFrame: other types', () => {
  it('returns exactly one chunk for every type other than DATA', () => {
    const frames: Frame[] = [
      { type: FrameType.WINDOW, streamId: 0, maxOffset: 1 },
      { type: FrameType.RESET, streamId: 1, code: WireCode.REFUSED, finalSize: 0 },
      { type: FrameType.ACK, count: 0 },
      { type: FrameType.PING, opaque: 0n },
      { type: FrameType.PONG, opaque: 2n ** 64n - 1n },
      { type: FrameType.CLOSE, session: false, code: 0, reason: 'x' },
      { type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 3, nonce: new Uint8Array(16) },
      HELLO,
      WELCOME,
    ];
    for (const frame of frames) {
      const chunks = encodeFrame(frame);
      expect(chunks).toHaveLength(1);
      expect(chunks[0]!.length).toBe(encodedLength(frame));
    }
  });

  it('writes the HELLO RESUME flag and the WELCOME CREATED flag in the body', () => {
    expect(toHex(encodeFrame(HELLO))).toBe(
      hex(`11 00 0000 00000054 00000000 4d505800 01 01 ffff ${'11'.repeat(16)} ${'22'.repeat(16)}
           00000000 ffffffff 00000400 ${'33'.repeat(32)}`),
    );
    expect(toHex(encodeFrame({ ...WELCOME, created: true })).slice(24, 32)).toBe('01000000');
    expect(toHex(encodeFrame(WELCOME)).slice(24, 32)).toBe('00000000');
  });

  it('encodes a reason of exactly 256 bytes of UTF-8', () => {
    const reason = 'é'.repeat(128);
    const chunks = encodeFrame({ type: FrameType.CLOSE, session: true, code: 1, reason });
    expect(chunks[0]!.length).toBe(12 + 4 + 256);
  });
});

describe('body encoders used by the macs (SPEC §3.4)', () => {
  it('encodeHelloParams is body[0..52) and encodeHelloBody the whole body', () => {
    const frame = Buffer.concat(encodeFrame(HELLO));
    expect(encodeHelloParams(HELLO).equals(frame.subarray(12, 64))).toBe(true);
    expect(encodeHelloBody(HELLO).equals(frame.subarray(12))).toBe(true);
  });

  it('encodeWelcomeParams is body[0..16) and encodeChallengeBody the whole body', () => {
    expect(encodeWelcomeParams(WELCOME).equals(Buffer.concat(encodeFrame(WELCOME)).subarray(12, 28))).toBe(true);
    const challenge = { type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 1, nonce: new Uint8Array(16) } as const;
    expect(encodeChallengeBody(challenge).equals(Buffer.concat(encodeFrame(challenge)).subarray(12))).toBe(true);
  });
});

describe('encoder input validation', () => {
  const data = (over: Partial<Extract<Frame, { type: 0 }>>): Frame => ({
    type: FrameType.DATA,
    streamId: 1,
    offset: 0,
    syn: false,
    fin: false,
    payload: Buffer.from('x'),
    ...over,
  });

  const bad: Array<[string, Frame]> = [
    ['DATA on stream 0', data({ streamId: 0 })],
    ['DATA on a stream id above 2^32 - 1', data({ streamId: 2 ** 32 })],
    ['DATA on a fractional stream id', data({ streamId: 1.5 })],
    ['DATA at a negative offset', data({ offset: -1 })],
    ['DATA at offset 2^53', data({ offset: 2 ** 53 })],
    ['DATA ending beyond 2^53 - 1', data({ offset: Number.MAX_SAFE_INTEGER })],
    ['DATA with no payload and neither SYN nor FIN', data({ payload: new Uint8Array(0) })],
    ['WINDOW on a negative stream id', { type: FrameType.WINDOW, streamId: -1, maxOffset: 0 }],
    ['WINDOW above 2^53 - 1', { type: FrameType.WINDOW, streamId: 1, maxOffset: 2 ** 53 }],
    ['RESET on stream 0', { type: FrameType.RESET, streamId: 0, code: 0, finalSize: 0 }],
    ['RESET with a code above u32', { type: FrameType.RESET, streamId: 1, code: 2 ** 32, finalSize: 0 }],
    ['RESET with a NaN final size', { type: FrameType.RESET, streamId: 1, code: 0, finalSize: Number.NaN }],
    ['ACK with a fractional count', { type: FrameType.ACK, count: 0.5 }],
    ['PING with a negative opaque', { type: FrameType.PING, opaque: -1n }],
    ['PONG with an opaque of 2^64', { type: FrameType.PONG, opaque: 2n ** 64n }],
    ['CLOSE with a 257-byte reason', { type: FrameType.CLOSE, session: false, code: 0, reason: 'a'.repeat(257) }],
    ['CLOSE with a 258-byte UTF-8 reason', { type: FrameType.CLOSE, session: false, code: 0, reason: 'é'.repeat(129) }],
    ['CLOSE with a negative code', { type: FrameType.CLOSE, session: false, code: -1, reason: '' }],
    [
      'CHALLENGE with a 15-byte nonce',
      { type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 1, nonce: new Uint8Array(15) },
    ],
    [
      'CHALLENGE with version 256',
      { type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 256, nonce: new Uint8Array(16) },
    ],
    ['HELLO with weight 0', { ...HELLO, weight: 0 }],
    ['HELLO with weight 65536', { ...HELLO, weight: 65536 }],
    ['HELLO with a 17-byte session id', { ...HELLO, sessionId: new Uint8Array(17) }],
    ['HELLO with a 31-byte mac', { ...HELLO, mac: new Uint8Array(31) }],
    ['HELLO with max frame 1023', { ...HELLO, maxFrame: 1023 }],
    ['HELLO with a stream window above u32', { ...HELLO, streamWindow: 2 ** 32 }],
    ['WELCOME with max frame 2^24', { ...WELCOME, maxFrame: 2 ** 24 }],
    ['WELCOME with a 33-byte mac', { ...WELCOME, mac: new Uint8Array(33) }],
  ];

  for (const [name, frame] of bad) {
    it(`rejects ${name} with MPX_ERR_INVALID_ARGUMENT`, () => {
      expect(() => encodeFrame(frame)).toThrow(invalidArgument);
    });
  }

  it('rejects DATA prefix flags other than SYN, FIN and TARGET', () => {
    expect(() => encodeDataPrefix(1, 0, 1, 0x08)).toThrow(invalidArgument);
    expect(() => encodeDataPrefix(1, 0, 0, 0x04)).toThrow(invalidArgument);
  });

  it('rejects a DATA payload length that does not fit the u32 length field', () => {
    expect(() => encodeDataPrefix(1, 0, 2 ** 32 - 8, 0)).toThrow(invalidArgument);
    expect(encodeDataPrefix(1, 0, 2 ** 32 - 9, 0).readUInt32BE(4)).toBe(2 ** 32 - 1);
  });
});

describe('encodedLength', () => {
  it('counts the UTF-8 bytes of a CLOSE reason, not its UTF-16 units', () => {
    const frame: Frame = { type: FrameType.CLOSE, session: false, code: 0, reason: '✓😀' };
    expect(encodedLength(frame)).toBe(12 + 4 + 3 + 4);
    expect(Buffer.concat(encodeFrame(frame)).length).toBe(encodedLength(frame));
  });

  it('counts header, offset and payload of DATA', () => {
    const frame: Frame = { type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, payload: new Uint8Array(100) };
    expect(encodedLength(frame)).toBe(120);
  });
});

describe('clampReason', () => {
  it('leaves a reason of at most 256 bytes alone', () => {
    expect(clampReason('short')).toBe('short');
    expect(clampReason('é'.repeat(128))).toBe('é'.repeat(128));
  });

  it('cuts a longer reason to at most 256 bytes without splitting a code point', () => {
    const clamped = clampReason('a' + '😀'.repeat(100));
    expect(Buffer.byteLength(clamped)).toBe(253);
    expect(clamped).toBe('a' + '😀'.repeat(63));
    expect(() =>
      encodeFrame({ type: FrameType.CLOSE, session: false, code: 0, reason: clampReason('é'.repeat(500)) }),
    ).not.toThrow();
  });
});
