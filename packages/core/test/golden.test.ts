// SPEC §13: golden frames. The same hex is in SPEC.md §13 (checked below).
// The HELLO and WELCOME macs are real (key "mpx-test-key", SPEC §3.4), checked
// in auth.test.ts; they were computed independently with `openssl dgst -hmac`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameType, WireCode } from '../src/constants.js';
import { FrameDecoder, decodeAll } from '../src/decode.js';
import { encodeFrame, encodedLength } from '../src/encode.js';
import type { Frame } from '../src/frame.js';
import { plain, referenceDecode } from './reference-decoder.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const CHALLENGE_HEX = '4d505800 01 01 0000 000102030405060708090a0b0c0d0e0f';
const HELLO_PARAMS_HEX = '4d505800 01 00 0003 101112131415161718191a1b1c1d1e1f 202122232425262728292a2b2c2d2e2f 00800000 04000000 00010000';
const HELLO_MAC_HEX = '7711e7a98c3fe27cad6d26536403dbb9ba97379c099a3819131cf384afee523f';
const WELCOME_PARAMS_HEX = '01 000000 00800000 04000000 00010000';
const WELCOME_MAC_HEX = '36e2c79d5a63ca27d541ebc4c70436cb5bab9f4cd2d968146df550521fea7ef1';

interface Golden {
  readonly name: string;
  readonly hex: string;
  readonly frame: Frame;
}

// Hex is grouped by field: type flags reserved length stream-id | body fields.
const GOLDEN: readonly Golden[] = [
  {
    name: 'DATA, SYN, stream 1, offset 0, payload "hello"',
    hex: '00 01 0000 0000000d 00000001 0000000000000000 68656c6c6f',
    frame: { type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, payload: hex('68656c6c6f') },
  },
  {
    name: 'DATA, FIN, stream 3, offset 2^32 + 5, no payload',
    hex: '00 02 0000 00000008 00000003 0000000100000005',
    frame: { type: FrameType.DATA, streamId: 3, offset: 2 ** 32 + 5, syn: false, fin: true, payload: hex('') },
  },
  {
    name: 'DATA, SYN + TARGET, stream 1, offset 0, target header "example.com" port 443 (§6.6)',
    hex: '00 05 0000 00000017 00000001 0000000000000000 03 0b 6578616d706c652e636f6d 01bb',
    frame: { type: FrameType.DATA, streamId: 1, offset: 0, syn: true, fin: false, target: true, payload: hex('030b6578616d706c652e636f6d01bb') },
  },
  {
    name: 'WINDOW, stream 1, max offset 8 MiB',
    hex: '01 00 0000 00000008 00000001 0000000000800000',
    frame: { type: FrameType.WINDOW, streamId: 1, maxOffset: 8 * 2 ** 20 },
  },
  {
    name: 'WINDOW, session (stream 0), max offset 64 MiB',
    hex: '01 00 0000 00000008 00000000 0000000004000000',
    frame: { type: FrameType.WINDOW, streamId: 0, maxOffset: 64 * 2 ** 20 },
  },
  {
    name: 'RESET, stream 2, CANCEL, final size 1234',
    hex: '02 00 0000 0000000c 00000002 0000000d 00000000000004d2',
    frame: { type: FrameType.RESET, streamId: 2, code: WireCode.CANCEL, finalSize: 1234 },
  },
  {
    name: 'ACK, count 42',
    hex: '03 00 0000 00000008 00000000 000000000000002a',
    frame: { type: FrameType.ACK, count: 42 },
  },
  {
    name: 'ACK (version 2), count 42, stamp 1234567890 µs',
    hex: '03 00 0000 00000010 00000000 000000000000002a 00000000499602d2',
    frame: { type: FrameType.ACK, count: 42, stamp: 1_234_567_890 },
  },
  {
    name: 'PING, opaque 0x0123456789abcdef',
    hex: '04 00 0000 00000008 00000000 0123456789abcdef',
    frame: { type: FrameType.PING, opaque: 0x0123456789abcdefn },
  },
  {
    name: 'PONG, opaque 0xfedcba9876543210',
    hex: '05 00 0000 00000008 00000000 fedcba9876543210',
    frame: { type: FrameType.PONG, opaque: 0xfedcba9876543210n },
  },
  {
    name: 'CLOSE, SESSION, GOING_AWAY, reason "bye ✓"',
    hex: '06 01 0000 0000000b 00000000 00000010 62796520e29c93',
    frame: { type: FrameType.CLOSE, session: true, code: WireCode.GOING_AWAY, reason: 'bye ✓' },
  },
  {
    name: 'CLOSE, carrier, NO_ERROR, no reason',
    hex: '06 00 0000 00000004 00000000 00000000',
    frame: { type: FrameType.CLOSE, session: false, code: WireCode.NO_ERROR, reason: '' },
  },
  {
    name: 'CHALLENGE, versions 1–1, nonce 00..0f',
    hex: `10 00 0000 00000018 00000000 ${CHALLENGE_HEX}`,
    frame: { type: FrameType.CHALLENGE, minVersion: 1, maxVersion: 1, nonce: hex('000102030405060708090a0b0c0d0e0f') },
  },
  {
    name: 'HELLO, version 1, weight 3, session 10..1f, nonce 20..2f, windows 8 MiB / 64 MiB, max frame 65536, mac (key "mpx-test-key")',
    hex: `11 00 0000 00000054 00000000 ${HELLO_PARAMS_HEX} ${HELLO_MAC_HEX}`,
    frame: {
      type: FrameType.HELLO,
      version: 1,
      resume: false,
      weight: 3,
      sessionId: hex('101112131415161718191a1b1c1d1e1f'),
      nonce: hex('202122232425262728292a2b2c2d2e2f'),
      streamWindow: 8 * 2 ** 20,
      sessionWindow: 64 * 2 ** 20,
      maxFrame: 65536,
      mac: hex(HELLO_MAC_HEX),
    },
  },
  {
    name: 'WELCOME, CREATED, windows 8 MiB / 64 MiB, max frame 65536, mac (key "mpx-test-key")',
    hex: `12 00 0000 00000030 00000000 ${WELCOME_PARAMS_HEX} ${WELCOME_MAC_HEX}`,
    frame: {
      type: FrameType.WELCOME,
      created: true,
      streamWindow: 8 * 2 ** 20,
      sessionWindow: 64 * 2 ** 20,
      maxFrame: 65536,
      mac: hex(WELCOME_MAC_HEX),
    },
  },
  {
    name: 'ROUTE, session 10..1f',
    hex: '13 00 0000 00000014 00000000 4d505800 101112131415161718191a1b1c1d1e1f',
    frame: { type: FrameType.ROUTE, sessionId: hex('101112131415161718191a1b1c1d1e1f') },
  },
];

const MAX_FRAME = 65536;

describe('golden frames (SPEC §13)', () => {
  it('covers every frame type', () => {
    const types = new Set(GOLDEN.map((g) => g.frame.type));
    expect([...types].sort((a, b) => a - b)).toEqual(Object.values(FrameType).sort((a, b) => a - b));
  });

  for (const golden of GOLDEN) {
    describe(golden.name, () => {
      it('encodes to exactly the golden bytes', () => {
        const bytes = Buffer.concat(encodeFrame(golden.frame));
        expect(bytes.toString('hex')).toBe(hex(golden.hex).toString('hex'));
        expect(encodedLength(golden.frame)).toBe(bytes.length);
      });

      it('decodes the golden bytes back to the frame', () => {
        expect(decodeAll(hex(golden.hex), MAX_FRAME).map(plain)).toEqual([plain(golden.frame)]);
      });

      it('decodes the same with the reference decoder', () => {
        const result = referenceDecode(hex(golden.hex), MAX_FRAME);
        expect(result.error).toBeNull();
        expect(result.trailing).toBe(0);
        expect(result.frames.map(plain)).toEqual([plain(golden.frame)]);
      });
    });
  }

  it('decodes all golden frames fed one byte at a time', () => {
    const all = Buffer.concat(GOLDEN.map((g) => hex(g.hex)));
    const decoder = new FrameDecoder({ maxFrame: MAX_FRAME });
    const frames: Frame[] = [];
    for (let i = 0; i < all.length; i++) {
      decoder.push(all.subarray(i, i + 1));
      for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames.push(frame);
    }
    expect(frames.map(plain)).toEqual(GOLDEN.map((g) => plain(g.frame)));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('matches the table in SPEC.md §13', () => {
    const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
    const section = spec.slice(spec.indexOf('## 13. Golden frames'));
    const rows = [...section.matchAll(/^\| (.+?) \| `([0-9a-f ]+)` \|$/gm)].map((m) => ({
      name: m[1],
      hex: m[2]?.replace(/\s+/g, ''),
    }));
    expect(rows).toEqual(GOLDEN.map((g) => ({ name: g.name, hex: g.hex.replace(/\s+/g, '') })));
  });
});
