import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, Mode, decodeHeader, encodeHeader } from '../src/protocol.js';
import type { ModeName } from '../src/protocol.js';

describe('target protocol header', () => {
  it('round-trips every field (property)', () => {
    const modes = Object.keys(Mode) as ModeName[];
    fc.assert(
      fc.property(
        fc.constantFrom(...modes),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (mode, id, seed, length) => {
          const b = encodeHeader({ mode, id, seed, length });
          expect(b).toHaveLength(HEADER_SIZE);
          expect(decodeHeader(b)).toEqual({ mode, id, seed, length });
        },
      ),
      { seed: 5512, numRuns: 300 },
    );
  });

  it('starts with the magic "MPXB"', () => {
    expect(encodeHeader({ mode: 'echo', id: 0, seed: 0, length: 0 }).subarray(0, 4).toString('latin1')).toBe('MPXB');
  });

  it('rejects short input, a bad magic, an unknown mode and an unsafe length', () => {
    const good = encodeHeader({ mode: 'sink', id: 1, seed: 2, length: 3 });
    expect(() => decodeHeader(good.subarray(0, 10))).toThrow(RangeError);
    const magic = Buffer.from(good);
    magic[0] = 0;
    expect(() => decodeHeader(magic)).toThrow(/magic/);
    const mode = Buffer.from(good);
    mode[4] = 99;
    expect(() => decodeHeader(mode)).toThrow(/mode 99/);
    const big = Buffer.from(good);
    big.writeBigUInt64BE(2n ** 60n, 16);
    expect(() => decodeHeader(big)).toThrow(/length/);
  });

  it('decodes a header inside a larger buffer at an offset', () => {
    const h = encodeHeader({ mode: 'source', id: 7, seed: 8, length: 9 });
    const outer = Buffer.concat([Buffer.alloc(5), h, Buffer.alloc(3)]);
    expect(decodeHeader(outer.subarray(5))).toEqual({ mode: 'source', id: 7, seed: 8, length: 9 });
  });
});
