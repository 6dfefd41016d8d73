// Time comes from an injected clock so that timer-driven logic can be tested
// without real waiting. This file is the one place where the core touches the
// real timers and the event loop; every other module is handed what it needs.

export interface Timer {
  /** Node timers: keep the timer from holding the process open. */
  unref?(): unknown;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /**
   * Milliseconds since the Unix epoch, if the clock knows it: RTT drains
   * (SPEC §8) start on a grid of it, so that both ends of a session drain together.
   */
  wall?(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** Wall time minus `clock.now()`, or 0 when the clock knows no wall time (SPEC §8, RTT drains). */
export function wallOffset(clock: Clock): number {
  return clock.wall === undefined ? 0 : clock.wall() - clock.now();
}

/** Runs `fn` once the current turn of the event loop is over (its I/O callbacks done). */
export type Defer = (fn: () => void) => void;

/** The event loop's `Defer`: `setImmediate`, which runs after the turn's I/O callbacks. */
export const nextTurn: Defer = (fn) => {
  setImmediate(fn);
};
