// Deterministic test data: the AES-128-CTR keystream of a 32-bit seed
// (fast, incompressible, reproducible on both ends), and sha256 helpers.

import { createCipheriv, createHash } from 'node:crypto';

const ZEROS = Buffer.alloc(256 * 1024);

/** Produces the pattern of a seed in consecutive chunks. */
export class Pattern {
  readonly #cipher: ReturnType<typeof createCipheriv>;

  constructor(seed: number) {
    const key = Buffer.alloc(16);
    key.writeUInt32BE(seed >>> 0, 0);
    key.write('mpx-bench', 4, 'latin1');
    this.#cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }

  /** The next `size` bytes (≤ 256 KiB) of the pattern. */
  next(size: number): Buffer {
    if (size > ZEROS.length) throw new RangeError(`chunk of ${size} bytes is above ${ZEROS.length}`);
    return this.#cipher.update(ZEROS.subarray(0, size));
  }
}

/** sha256 (hex) of the first `length` bytes of a seed's pattern. */
export function patternSha256(seed: number, length: number): string {
  const p = new Pattern(seed);
  const h = createHash('sha256');
  for (let left = length; left > 0;) {
    const n = Math.min(left, 256 * 1024);
    h.update(p.next(n));
    left -= n;
  }
  return h.digest('hex');
}
