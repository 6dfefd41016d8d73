// Connections that have not finished the handshake (SPEC §3), counted from
// the moment the transport accepted them: a TLS handshake or an HTTP upgrade
// in progress is as much "before login" as a carrier waiting for HELLO. The
// server refuses a connection beyond `max` at once, and each one has
// `timeoutMs` from its accept to finish, whatever stage it stalls in.
import type { Clock, Timer } from './clock.js';

export class PendingHandshake {
  /** When the handshake must be done (clock time). */
  readonly deadline: number;
  readonly #owner: PendingHandshakes;
  readonly #clock: Clock;
  #onExpire: () => void;
  #timer: Timer | undefined;
  #released = false;

  /** @internal use PendingHandshakes.begin() */
  constructor(owner: PendingHandshakes, clock: Clock, timeoutMs: number, onExpire: () => void) {
    this.#owner = owner;
    this.#clock = clock;
    this.deadline = clock.now() + timeoutMs;
    this.#onExpire = onExpire;
    this.#arm(timeoutMs);
  }

  get released(): boolean {
    return this.#released;
  }

  /** Time left until the deadline, at least 1 ms (a timer of 0 would fire before the I/O that may still finish it). */
  remainingMs(): number {
    return Math.max(1, Math.ceil(this.deadline - this.#clock.now()));
  }

  /** Replaces what happens at expiry, and moves it `graceMs` past the deadline. */
  defer(graceMs: number, onExpire: () => void): void {
    if (this.#released) return;
    this.#onExpire = onExpire;
    this.#clock.clearTimeout(this.#timer as Timer);
    this.#arm(this.remainingMs() + graceMs);
  }

  /** The handshake is done or the connection closed: stop counting it. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#clock.clearTimeout(this.#timer as Timer);
    this.#owner.released();
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#released) return;
      const onExpire = this.#onExpire;
      this.release();
      onExpire();
    }, ms);
  }
}

export class PendingHandshakes {
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  #size = 0;

  constructor(max: number, timeoutMs: number, clock: Clock) {
    this.#max = max;
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  /** Handshakes in progress. */
  get size(): number {
    return this.#size;
  }

  /**
   * Starts counting one handshake; undefined when `max` are in progress.
   * `onExpire` runs once if the deadline passes before release().
   */
  begin(onExpire: () => void): PendingHandshake | undefined {
    if (this.#size >= this.#max) return undefined;
    this.#size++;
    return new PendingHandshake(this, this.#clock, this.#timeoutMs, onExpire);
  }

  /** @internal called once by each PendingHandshake on release(). */
  released(): void {
    this.#size--;
  }
}
