// Delay jitter: a path whose one-way delay varies over time, as a radio link's
// or a busy router's queueing does, on top of its fixed delay. I/O-free (no
// timer): the extra delay is drawn when a slot of `everyMs` is first asked
// for, from the injected random source.
//
// Why slots, not a draw per chunk: the delay line releases a connection's
// bytes in order, so with a draw per chunk every chunk would wait behind the
// largest draw of the chunks before it, and a busy connection would see a
// constant delay of about delay + jitter. A delay that holds for a slot and
// then moves, up or down, is what a transport meets: round trips that vary
// from one window of frames to the next, and ACKs that come in clumps when
// the delay falls (the bytes that waited behind a higher delay are released
// together).

/** How a path's one-way delay varies (per direction, each drawn on its own). */
export interface JitterOptions {
  /** Extra one-way delay drawn uniformly in [0, ms] for each slot. */
  ms: number;
  /** Length of a slot: how long one draw holds. Default DEFAULT_JITTER_EVERY_MS. */
  everyMs?: number;
  /** Uniform numbers in [0, 1); default Math.random. Pass a seeded one for runs that repeat. */
  random?: () => number;
}

/** Default slot length: about a round trip of the short paths the bench emulates. */
export const DEFAULT_JITTER_EVERY_MS = 10;

export class DelayJitter {
  readonly ms: number;
  readonly everyMs: number;
  readonly #random: () => number;
  #slot = Number.NaN;
  #extra = 0;

  constructor(o: JitterOptions) {
    checkJitter(o);
    this.ms = o.ms;
    this.everyMs = o.everyMs ?? DEFAULT_JITTER_EVERY_MS;
    this.#random = o.random ?? Math.random;
  }

  /** The extra one-way delay, ms, of bytes admitted at `now` (ms). */
  extraAt(now: number): number {
    if (this.ms === 0) return 0;
    const slot = Math.floor(now / this.everyMs);
    if (slot !== this.#slot) {
      this.#slot = slot;
      this.#extra = this.#random() * this.ms;
    }
    return this.#extra;
  }
}

export function checkJitter(o: JitterOptions): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('jitter must be { ms, everyMs?, random? }');
  if (!(Number.isFinite(o.ms) && o.ms >= 0)) throw new RangeError(`jitter.ms must be a finite number >= 0, got ${o.ms}`);
  const every = o.everyMs;
  if (every !== undefined && !(Number.isFinite(every) && every > 0)) {
    throw new RangeError(`jitter.everyMs must be a finite number > 0, got ${every}`);
  }
  if (o.random !== undefined && typeof o.random !== 'function') throw new TypeError('jitter.random must be a function');
}
