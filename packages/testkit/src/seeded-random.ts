// Seeded pseudo-random numbers for tests: every test that needs randomness
// takes it from here with a fixed, printed seed, never from Math.random.

/** A generator of uniform numbers in [0, 1), like Math.random but reproducible. */
export type RandomSource = () => number;

/**
 * mulberry32: a small, fast 32-bit generator, good enough for test data and
 * chunk boundaries (not for cryptography). The same seed gives the same
 * sequence on every platform.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer drawn uniformly from [min, max] (both inclusive). */
export function randomInt(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** `n` bytes drawn from `random`, four bytes per draw (little-endian order). */
export function randomBytes(random: RandomSource, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const word = (random() * 4294967296) >>> 0;
    out[i] = word & 0xff;
    out[i + 1] = (word >>> 8) & 0xff;
    out[i + 2] = (word >>> 16) & 0xff;
    out[i + 3] = word >>> 24;
  }
  for (; i < n; i++) out[i] = (random() * 256) >>> 0;
  return out;
}
