// Token bucket for byte rates. I/O-free: time comes from an injected clock
// (milliseconds, e.g. performance.now), so the math is unit-tested without sockets.
//
// Rates are bytes per second; `Infinity` means "no cap" (take() grants everything).
// The bucket starts full. Tokens are fractional internally; grants are whole bytes.

/** Smallest burst a bucket is given by {@link defaultBurst}. */
export const MIN_BURST_BYTES = 16 * 1024;
/**
 * Burst in milliseconds of rate. Rationale: Node timers fire 1–4 ms late on a busy
 * loop; a burst of 10 ms worth absorbs that lateness without losing tokens (which
 * would make the measured rate fall short), while keeping bursts small enough that
 * a 3 s measurement is within ~0.3 % of the nominal rate.
 */
export const BURST_MS = 10;
/**
 * Catch-up in milliseconds of rate. While the owner marks the bucket backlogged
 * (bytes are waiting for tokens), tokens may accumulate up to burst + 200 ms of
 * rate instead of burst. Rationale: when the emulator's own event loop stalls
 * (a loaded machine: 50–300 ms stalls were measured with parallel test runs), a
 * real link would have kept transmitting the queued bytes; without catch-up those
 * tokens are lost and the measured rate falls 5–30 % short. Long-run grants stay
 * ≤ rate × time + burst + catch-up, and an idle bucket never saves more than burst.
 */
export const CATCH_UP_MS = 200;

/** Burst used for a rate: max(16 KiB, 10 ms of the rate); Infinity when uncapped. */
export function defaultBurst(rate: number): number {
  if (rate === Infinity) return Infinity;
  return Math.max(MIN_BURST_BYTES, Math.ceil((rate * BURST_MS) / 1000));
}

/** Throws a RangeError unless `rate` is a positive number (Infinity allowed). */
export function checkRate(name: string, rate: number): void {
  if (typeof rate !== 'number' || Number.isNaN(rate) || rate <= 0) {
    throw new RangeError(`${name} must be a positive number of bytes per second (or Infinity), got ${String(rate)}`);
  }
}

export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  #backlogged = false;
  readonly #now: () => number;
  readonly #catchUpMs: number;

  constructor(rate: number, burst: number, now: () => number, catchUpMs: number = CATCH_UP_MS) {
    checkRate('rate', rate);
    TokenBucket.#checkBurst(rate, burst);
    if (!(catchUpMs >= 0 && Number.isFinite(catchUpMs))) throw new RangeError(`catchUpMs must be >= 0, got ${catchUpMs}`);
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
    this.#catchUpMs = catchUpMs;
  }

  get rate(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  get backlogged(): boolean {
    return this.#backlogged;
  }

  /**
   * Marks whether bytes are waiting for this bucket. While backlogged, tokens may
   * accumulate beyond the burst by up to CATCH_UP_MS of rate (see there); when the
   * backlog ends, tokens above the burst are dropped.
   */
  setBacklogged(backlogged: boolean): void {
    if (backlogged === this.#backlogged) return;
    this.#refill();
    this.#backlogged = backlogged;
    if (!backlogged) this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /** Whole tokens available now (Infinity when uncapped). */
  available(): number {
    this.#refill();
    return this.#rate === Infinity ? Infinity : Math.floor(this.#tokens);
  }

  /** Takes up to `n` tokens; returns how many bytes may be sent now (0..n). */
  take(n: number): number {
    if (n <= 0) return 0;
    this.#refill();
    if (this.#rate === Infinity) return n;
    const granted = Math.min(n, Math.floor(this.#tokens));
    this.#tokens -= granted;
    return granted;
  }

  /**
   * Milliseconds until min(n, burst) whole tokens are available; 0 if they are now.
   * Asking for more than the burst waits only for the burst, so callers never wait forever.
   */
  waitMs(n: number): number {
    this.#refill();
    if (this.#rate === Infinity || n <= 0) return 0;
    const need = Math.min(Math.ceil(n), this.#burst);
    if (this.#tokens >= need) return 0;
    return ((need - this.#tokens) * 1000) / this.#rate;
  }

  /**
   * Changes the rate (and optionally the burst). Tokens earned so far are credited at
   * the old rate first; tokens above a smaller burst are dropped.
   */
  setRate(rate: number, burst: number = this.#rate === rate ? this.#burst : defaultBurst(rate)): void {
    checkRate('rate', rate);
    TokenBucket.#checkBurst(rate, burst);
    this.#refill();
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = Math.min(this.#tokens, burst + (this.#backlogged ? (rate * this.#catchUpMs) / 1000 : 0));
  }

  #refill(): void {
    const t = this.#now();
    if (t > this.#last) {
      const earned = this.#rate === Infinity ? Infinity : ((t - this.#last) * this.#rate) / 1000;
      const cap = this.#backlogged ? this.#burst + (this.#rate * this.#catchUpMs) / 1000 : this.#burst;
      this.#tokens = Math.min(cap, this.#tokens + earned);
      this.#last = t;
    }
  }

  static #checkBurst(rate: number, burst: number): void {
    const ok = rate === Infinity ? burst > 0 : Number.isFinite(burst) && burst >= 1;
    if (!ok) throw new RangeError(`burst must be a finite number >= 1 for a finite rate, got ${String(burst)}`);
  }
}
