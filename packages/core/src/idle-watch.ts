// The idle timer of a stream (streamIdleTimeoutMs). Activity only records the
// time; the one timer, when it fires early, waits for the remainder. Time
// comes from the injected clock.
import type { Clock, Timer } from './clock.js';

export class IdleWatch {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #onIdle: (idleMs: number) => void;
  #lastActive: number;
  #timer: Timer | undefined;

  constructor(clock: Clock, timeoutMs: number, onIdle: (idleMs: number) => void) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#onIdle = onIdle;
    this.#lastActive = clock.now();
    this.#arm(timeoutMs);
  }

  /** Bytes moved: the stream is active now. */
  touch(): void {
    this.#lastActive = this.#clock.now();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delay: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const idle = this.#clock.now() - this.#lastActive;
      if (idle < this.#timeoutMs) this.#arm(this.#timeoutMs - idle);
      else this.#onIdle(idle);
    }, delay);
  }
}
