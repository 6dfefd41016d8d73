// frames.ts: the frames the carrier writes itself are what ws' own Receiver
// reads, masked from the client side and plain from the server side, for
// every length encoding (RFC 6455 §5.2) and any way the payload is cut.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerSize, maskInJavaScript, maskedFrame, unmaskedHeader } from '../src/frames.js';
import type { MaskFunction } from '../src/frames.js';
import { maskFunction } from '../src/masking.js';

interface WsReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): boolean;
}
type ReceiverClass = new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: ReceiverClass };

/** What ws receives from `bytes`: its binary messages, or its error. */
function receive(bytes: Buffer[], isServer: boolean): Buffer[] {
  const receiver = new Receiver({ isServer, maxPayload: 1 << 24 });
  const messages: Buffer[] = [];
  receiver.on('message', (data, isBinary) => {
    expect(isBinary).toBe(true);
    messages.push(Buffer.from(data));
  });
  receiver.on('error', (err) => {
    throw err;
  });
  for (const b of bytes) receiver.write(b);
  return messages;
}

/** Buffer.equals: vitest's deep equality walks 200 KB a byte at a time. */
function expectMessages(got: Buffer[], want: Buffer[]): void {
  expect(got.map((b) => b.length)).toEqual(want.map((b) => b.length));
  got.forEach((b, i) => expect(b.equals(want[i] as Buffer)).toBe(true));
}

const LENGTHS = [1, 125, 126, 0xffff, 0x10000, 200_000];
const payload = (n: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));

describe('frame headers', () => {
  it.each(LENGTHS)('a %d-byte payload takes the shortest length encoding', (n) => {
    expect(headerSize(n)).toBe(n <= 125 ? 2 : n <= 0xffff ? 4 : 10);
    expect(unmaskedHeader(n)).toHaveLength(headerSize(n));
  });
});

describe.each<[string, MaskFunction]>([
  ['the mask function in use', maskFunction()],
  ['the JavaScript loop', maskInJavaScript],
])('frames read back by ws (%s)', (_name, mask) => {
  it.each(LENGTHS)('a server reads a masked %d-byte frame cut into three chunks', (n) => {
    const bytes = payload(n);
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, Math.ceil(n / 2)), bytes.subarray(Math.ceil(n / 2))];
    const frame = maskedFrame(chunks, n, mask);
    expect(frame).toHaveLength(headerSize(n) + 4 + n);
    expectMessages(receive([frame], true), [bytes]);
  });

  it.each(LENGTHS)('a server reads a masked %d-byte frame written into a block of its own, and nothing past it is touched', (n) => {
    const bytes = payload(n);
    const block = Buffer.alloc(headerSize(n) + 4 + n + 16, 0xee);
    const frame = maskedFrame([bytes.subarray(0, 5), bytes.subarray(5)], n, mask, block);
    expect(frame.buffer).toBe(block.buffer);
    expect(frame.byteOffset).toBe(block.byteOffset);
    expect(block.subarray(frame.length).every((b) => b === 0xee)).toBe(true);
    expectMessages(receive([frame], true), [bytes]);
  });

  it('refuses a block too small for the frame instead of writing past it', () => {
    const block = Buffer.alloc(100);
    expect(() => maskedFrame([payload(95)], 95, mask, block)).toThrow(RangeError);
    expect(block.every((b) => b === 0)).toBe(true);
  });

  it.each(LENGTHS)('a client reads an unmasked %d-byte frame: header, then the chunks as they are', (n) => {
    const bytes = payload(n);
    expectMessages(receive([unmaskedHeader(n), bytes.subarray(0, 3), bytes.subarray(3)], false), [bytes]);
  });

  it('keeps the bytes of any chunks, at any offset of the key (seed 515)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 12 }), (arrays) => {
        const chunks = arrays.map((a) => Buffer.from(a));
        const all = Buffer.concat(chunks);
        expect(receive([maskedFrame(chunks, all.length, mask)], true)).toEqual([all]);
      }),
      { seed: 515, numRuns: 200 },
    );
  });
});

describe('masking keys', () => {
  it('differ from frame to frame, and the payload on the wire is not the plain bytes', () => {
    const bytes = Buffer.alloc(64, 0);
    const frames = Array.from({ length: 50 }, () => maskedFrame([bytes], 64, maskInJavaScript));
    const keys = new Set(frames.map((f) => f.subarray(2, 6).toString('hex')));
    expect(keys.size).toBe(50);
    // XOR with zeros shows the key repeated: never all zeros.
    expect(frames.every((f) => !f.subarray(6).equals(bytes))).toBe(true);
  });
});
