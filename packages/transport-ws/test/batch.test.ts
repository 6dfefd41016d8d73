// packMessages: the byte stream survives any packing; messages respect the size limit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packMessages } from '../src/batch.js';

describe('packMessages', () => {
  it('packs a corked header and payload into one message', () => {
    const header = Buffer.from('000102030405060708090a0b', 'hex');
    const payload = Buffer.from('payload');
    expect(packMessages([header, payload], 1024)).toEqual([Buffer.concat([header, payload])]);
  });

  it('sends a chunk that is a whole message without copying it', () => {
    const chunk = Buffer.from('alone');
    const [message] = packMessages([chunk], 1024);
    expect(message).toBe(chunk);
  });

  it('cuts a chunk larger than a message into views of the same memory', () => {
    const chunk = Buffer.alloc(10, 7);
    const messages = packMessages([chunk], 4);
    expect(messages.map((m) => m.length)).toEqual([4, 4, 2]);
    expect(messages.every((m) => m.buffer === chunk.buffer)).toBe(true);
  });

  it('drops empty chunks and never produces an empty message (that is the EOF marker)', () => {
    expect(packMessages([Buffer.alloc(0), Buffer.alloc(0)], 8)).toEqual([]);
    expect(packMessages([Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(0)], 8)).toEqual([Buffer.from('a')]);
  });

  it('keeps the bytes and fills every message but the last to the limit, for any chunks (seed 4242)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), fc.integer({ min: 1, max: 257 }), (arrays, max) => {
        const chunks = arrays.map((a) => Buffer.from(a));
        const total = chunks.reduce((sum, c) => sum + c.length, 0);
        const messages = packMessages(chunks, max);
        expect(Buffer.concat(messages)).toEqual(Buffer.concat(chunks));
        expect(messages.length).toBe(Math.ceil(total / max));
        messages.forEach((m, i) => {
          expect(m.length).toBeGreaterThan(0);
          if (i < messages.length - 1) expect(m.length).toBe(max);
          else expect(m.length).toBeLessThanOrEqual(max);
        });
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});
