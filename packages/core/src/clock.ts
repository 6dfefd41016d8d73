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

const settled = Promise.resolve();

/**
 * Runs `fn` once the current run of JavaScript and the microtasks queued
 * before it are done. Rationale: a resolved promise's `then` costs a third
 * of `queueMicrotask` (which builds an AsyncResource and a bound function for
 * each call), and the core queues one or two per carrier read. An error
 * thrown by `fn` surfaces as an unhandled rejection instead of an uncaught
 * exception.
 */
export function microtask(fn: () => void): void {
  void settled.then(fn);
}

/** The time read in this run of JavaScript (see turnNow), or -1 once it is over. */
let turnTime = -1;
const turnOver = (): void => {
  turnTime = -1;
};

/**
 * `performance.now()` read once per run of JavaScript: the first call reads
 * it, later calls return the same value until the microtasks queued so far
 * have run (a carrier read and the frames it decoded, or one send-loop flush,
 * share one reading). Rationale: the core asks for the time several times per
 * frame (liveness, the carrier picker, each frame sent, each in-flight cap),
 * ~5% of its CPU in small request/response traffic; times within one run
 * differ by microseconds, below what the path estimate resolves (SPEC §8).
 */
function turnNow(): number {
  if (turnTime < 0) {
    turnTime = performance.now();
    microtask(turnOver);
  }
  return turnTime;
}

export const systemClock: Clock = {
  now: turnNow,
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
