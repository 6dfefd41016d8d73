// A count shared by several owners and capped (a session's reorder buffers
// share one for their gaps and one for the memory they pin). No I/O.

import { MpxError } from './errors.js';

/** At most `max` units in use; each owner takes and gives back its own. */
export class Budget {
  readonly max: number;
  #used = 0;

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `max must be a non-negative integer, got ${max}`);
    }
    this.max = max;
  }

  get used(): number {
    return this.#used;
  }

  /** Takes `n` units if they fit; false (taking nothing) when they do not. */
  tryTake(n: number): boolean {
    if (this.#used + n > this.max) return false;
    this.#used += n;
    return true;
  }

  give(n: number): void {
    this.#used -= n;
  }
}
