// Stream offsets and byte counts kept small. V8 holds integers below 2^31 as
// Smis on Node's x64 build; a field or Map key that once holds a larger
// number becomes a boxed double, and code optimized for Smis is thrown away
// and made again (in the middle of a stream, the first time any stream,
// session or carrier of the process passes 2 GiB). After 3 GB moved, keeping
// them small cost 17–21 % less CPU per byte in paired runs
// (docs/decisions/0016-small-integers.md).
//
// So the classes that follow a stream's offsets (the reorder buffer, the
// windows and credits, the sender's offset, the bytes released) keep them
// relative to a base of `steps × OFFSET_STEP`, and move the base forward a
// step at a time as the offsets grow. Their methods take and return absolute
// offsets, as before; only their fields and map keys stay relative.
//
// Small is not enough: arithmetic on a boxed double gives a boxed double even
// when the result is small (a frame's offset, once any frame's was large, is
// one), and storing it turns the field into a double field all the same. So
// each value from outside is passed through small() before it is stored.

/** The base moves by this much: relative offsets stay below 2^31 while a stream's window is below 2^30. */
export const OFFSET_STEP = 2 ** 30;

/** V8's small integers (Smis) on Node's x64 build are those in [-2^31, 2^31). */
const SMALL_LIMIT = 2 ** 31;

/** `n` (an integer) as a small integer when it is one (`| 0` makes a boxed double a Smi again), else `n` unchanged. */
export function small(n: number): number {
  return n < SMALL_LIMIT && n >= -SMALL_LIMIT ? n | 0 : n;
}

/** The absolute offset of `relative` above a base of `steps` steps. */
export function absolute(steps: number, relative: number): number {
  return steps * OFFSET_STEP + relative;
}

/** `offset` (an integer, from outside) relative to a base of `steps` steps, as a small integer when it is one. */
export function relativeTo(steps: number, offset: number): number {
  return small(offset - steps * OFFSET_STEP);
}

/** Whole steps in `relative` (≥ 0): how far the base may move forward. */
export function stepsIn(relative: number): number {
  return relative < OFFSET_STEP ? 0 : Math.floor(relative / OFFSET_STEP);
}

/**
 * A count of bytes that may pass 2^31 (a stream's, a carrier's, a
 * connection's), held as two small integers: `value` is exact up to 2^53.
 */
export class ByteCount {
  #low = 0;
  #steps = 0;

  get value(): number {
    return absolute(this.#steps, this.#low);
  }

  /** Adds `n` (a non-negative integer). */
  add(n: number): void {
    this.#low += small(n);
    if (this.#low >= OFFSET_STEP) {
      const steps = stepsIn(this.#low);
      this.#steps += steps;
      this.#low -= steps * OFFSET_STEP;
    }
  }
}
