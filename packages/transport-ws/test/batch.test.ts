// packMessages: the byte stream survives any packing; messages respect the size limit; nothing is copied.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packMessages } from '../src/batch.js';
import type { Message } from '../src/batch.js';

const bytesOf = (m: Message): Buffer => Buffer.concat(m.parts);

describe('packMessages', () => {
  it('puts a header and its payload into one message, as they are', () => {
    const header = Buffer.from('000102030405060708090a0b', 'hex');
    const payload = Buffer.from('payload');
    const [message, more] = packMessages([header, payload], 1024);
    expect(more).toBeUndefined();
    expect(message?.size).toBe(header.length + payload.length);
    expect(message?.parts[0]).toBe(header);
    expect(message?.parts[1]).toBe(payload);
  });

  it('cuts a chunk larger than a message into views of the same memory', () => {
    const chunk = Buffer.alloc(10, 7);
    const messages = packMessages([chunk], 4);
    expect(messages.map((m) => m.size)).toEqual([4, 4, 2]);
    expect(messages.every((m) => m.parts.every((p) => p.buffer === chunk.buffer))).toBe(true);
  });

  it('drops empty chunks and never produces an empty message (that is the EOF marker)', () => {
    expect(packMessages([Buffer.alloc(0), Buffer.alloc(0)], 8)).toEqual([]);
    expect(packMessages([Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(0)], 8).map(bytesOf)).toEqual([Buffer.from('a')]);
  });

  it('keeps the bytes and fills every message but the last to the limit, for any chunks (seed 4242)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), fc.integer({ min: 1, max: 257 }), (arrays, max) => {
        const chunks = arrays.map((a) => Buffer.from(a));
        const total = chunks.reduce((sum, c) => sum + c.length, 0);
        const messages = packMessages(chunks, max);
        expect(Buffer.concat(messages.map(bytesOf))).toEqual(Buffer.concat(chunks));
        expect(messages.length).toBe(Math.ceil(total / max));
        messages.forEach((m, i) => {
          expect(m.size).toBe(bytesOf(m).length);
          expect(m.parts.every((p) => p.length > 0)).toBe(true);
          if (i < messages.length - 1) expect(m.size).toBe(max);
          else expect(m.size).toBeLessThanOrEqual(max);
        });
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});
