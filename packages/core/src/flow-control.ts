// SPEC §7: flow-control accounting, per stream (§7.1) and per session (§7.2).
// No I/O: the session feeds these counters and sends the WINDOW frames (§5.2)
// they ask for.
//
// All values are absolute offsets, never deltas (SPEC §7): WINDOW frames may
// travel on another carrier than the data they refer to, arrive late, twice
// (retransmission, SPEC §9) or out of order, and taking the maximum of absolute
// values makes all of that harmless. Inside, the classes keep them relative
// to a base that moves as they grow (small-integers.ts).
import { WireCode } from './constants.js';
import { MpxError, MpxProtocolError } from './errors.js';
import { OFFSET_STEP, absolute, relativeTo, small, stepsIn } from './small-integers.js';

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * The credit the peer granted us: we may send bytes below `max`. For a stream
 * `sent` is the next offset to send; for the session it is the sum over
 * streams of their highest offsets sent (SPEC §7.2). Retransmissions are not
 * charged: they lie below offsets already counted.
 */
export class SendCredit {
  /** `max` and `sent` are relative to `#steps × OFFSET_STEP`. */
  #max: number;
  #sent = 0;
  #steps = 0;

  constructor(initialMax: number) {
    checkCount('initialMax', initialMax);
    this.#max = initialMax;
  }

  /** The peer's current limit (the largest WINDOW value seen, or the initial credit). */
  get max(): number {
    return absolute(this.#steps, this.#max);
  }

  /** Bytes charged so far. Never above `max`. */
  get sent(): number {
    return absolute(this.#steps, this.#sent);
  }

  /** Bytes that may still be sent: `max - sent`, never negative. */
  get available(): number {
    return this.#max - this.#sent;
  }

  /** Takes `n` bytes of credit; throws `MPX_ERR_INVALID_ARGUMENT` if `n > available`. */
  charge(n: number): void {
    checkCount('n', n);
    if (n > this.available) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `cannot charge ${n} bytes: only ${this.available} available`);
    }
    this.#sent += n;
    if (this.#sent >= OFFSET_STEP) {
      const steps = stepsIn(this.#sent);
      this.#steps += steps;
      this.#sent -= steps * OFFSET_STEP;
      this.#max -= steps * OFFSET_STEP;
    }
  }

  /**
   * SPEC §5.2: a WINDOW value. Raises `max` if larger and returns true if the
   * credit grew; a smaller or repeated value is ignored (false).
   */
  update(maxOffset: number): boolean {
    checkCount('maxOffset', maxOffset);
    const relative = relativeTo(this.#steps, maxOffset);
    if (relative <= this.#max) return false;
    this.#max = relative;
    return true;
  }
}

/**
 * SPEC §7.1: a stream's receive window starts at this (or at the configured
 * stream window, when that is smaller) and grows only for a reader that
 * keeps up. Rationale: 512 KiB covers 40 Mbit/s at 100 ms before any growth,
 * and four doublings reach the 8 MiB default; a stream whose reader is slow
 * or stopped holds at most this much, not the whole configured window.
 */
export const INITIAL_STREAM_WINDOW = 512 * 1024;

/** SPEC §7.1: the window a stream starts with, the `stream window` of HELLO and WELCOME: INITIAL_STREAM_WINDOW, at most `maxWindow`. */
export function initialStreamWindow(maxWindow: number): number {
  return Math.min(INITIAL_STREAM_WINDOW, maxWindow);
}

/**
 * SPEC §7.1: the shortest round trip auto-tuning assumes, ms. Rationale: on
 * loopback or a LAN a carrier's smoothed RTT is a fraction of a millisecond,
 * but credit comes back only after both ends' event loops have handled the
 * bytes between (milliseconds under load), so a window sized by the RTT alone
 * held a loopback download to ~2 Gbit/s. Reading half a window within 2 × 10
 * ms is still over 12 MB/s for the initial window: a slow reader stays far
 * below it.
 */
export const MIN_TUNING_RTT_MS = 10;

/** What window auto-tuning (SPEC §7.1) reads: the time and a smoothed round trip, from the session's injected clock and carriers. */
export interface WindowTiming {
  /** Milliseconds, monotonic. */
  now(): number;
  /** The smoothed round-trip time the window should cover, ms; undefined before any sample (the window then does not grow). */
  readonly rttMs: number | undefined;
}

/** SPEC §7.1: a receive window that grows, from its initial size up to `max`, for a reader that consumes it fast. */
export interface WindowTuning {
  readonly max: number;
  readonly timing: WindowTiming;
}

/**
 * The credit we grant the peer. `received` is the highest offset counted (for
 * a stream: the highest `offset + length` of its DATA; for the session: the
 * running sum of the streams' highest offsets, a reset stream counting its
 * final size). `consumed` is what the application read or what was
 * discarded; only it returns credit, so a reader that stops holds at most one
 * window in memory (SPEC §7.1).
 *
 * With `tuning`, the window auto-tunes as quic-go's does (SPEC §7.1): each
 * WINDOW update ends an epoch that began at the previous one (the first at
 * the first read); when half a window or more was read in it, faster than in
 * 4 × (fraction of the window read) × the smoothed RTT, the window doubles, up
 * to `tuning.max`. A reader that takes less than about a quarter of what the
 * window would let through per round trip never makes it grow.
 */
export class ReceiveWindow {
  #window: number;
  readonly #tuning: WindowTuning | undefined;
  #advertised: number;
  #received = 0;
  #consumed = 0;
  /** When the current auto-tuning epoch began (ms), or -1 before the first read. */
  #epochStart = -1;
  /** `consumed` when the current epoch began. */
  #epochOffset = 0;
  /** `advertised`, `received`, `consumed` and `epochOffset` are relative to `#steps × OFFSET_STEP`. */
  #steps = 0;

  constructor(window: number, tuning?: WindowTuning) {
    checkCount('window', window);
    if (tuning !== undefined) checkCount('tuning.max', tuning.max);
    this.#window = window;
    this.#tuning = tuning !== undefined && tuning.max > window ? tuning : undefined;
    this.#advertised = window;
  }

  /** The window size: how far beyond `consumed` the peer may send. Grows with auto-tuning, never shrinks. */
  get window(): number {
    return this.#window;
  }

  /** The max offset granted so far (initially `window`). */
  get advertised(): number {
    return absolute(this.#steps, this.#advertised);
  }

  /** The highest offset counted by `onReceive`. */
  get received(): number {
    return absolute(this.#steps, this.#received);
  }

  /** Bytes consumed (read or discarded) so far. */
  get consumed(): number {
    return absolute(this.#steps, this.#consumed);
  }

  /**
   * Counts data up to `highestOffset`. A lower value (a retransmission or a
   * frame that overtook an earlier one) changes nothing. Throws
   * `MpxProtocolError` with `FLOW_CONTROL` when it exceeds the credit granted.
   */
  onReceive(highestOffset: number): void {
    checkCount('highestOffset', highestOffset);
    const relative = relativeTo(this.#steps, highestOffset);
    if (relative > this.#advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `peer sent up to ${highestOffset}, beyond the granted ${this.advertised}`);
    }
    if (relative > this.#received) this.#received = relative;
  }

  /**
   * SPEC §7.2, the session's count: `n` more bytes beyond `received`. Throws
   * `MpxProtocolError` with `FLOW_CONTROL` (changing nothing) when that
   * exceeds the credit granted.
   */
  grow(n: number): void {
    checkCount('n', n);
    if (n > this.#advertised - this.#received) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `peer sent up to ${this.received + n}, beyond the granted ${this.advertised}`);
    }
    this.#received += small(n);
  }

  /**
   * The application read (or the session discarded) `n` more bytes. Returns
   * the new max offset to send in a WINDOW frame when it is due, else null.
   * Throws `MPX_ERR_INVALID_ARGUMENT` if more is consumed than was received
   * (an accounting bug in the caller).
   *
   * Rationale: an update goes out once it raises the credit by at least half
   * a window. Each WINDOW is a 20-byte counted frame that is acknowledged and
   * may be retransmitted, so updating on every read would cost a frame per
   * read; waiting for half a window caps it at two per window of data, while
   * the peer still holds at least half a window of credit when the update
   * leaves, which keeps the pipe full as long as half a window covers the
   * round trip (SPEC §12 sizes the default for that).
   */
  onConsume(n: number): number | null {
    checkCount('n', n);
    if (this.#consumed + n > this.#received) {
      throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `cannot consume ${n} bytes: only ${this.#received - this.#consumed} received and not consumed`);
    }
    if (this.#epochStart < 0 && this.#tuning !== undefined && n > 0) {
      this.#epochStart = this.#tuning.timing.now();
      this.#epochOffset = this.#consumed;
    }
    this.#consumed += small(n);
    if (this.#consumed >= OFFSET_STEP) this.#rebase();
    const raise = this.#consumed + this.#window - this.#advertised;
    if (raise <= 0 || raise < this.#window / 2) return null;
    this.#autoTune();
    const next = this.#consumed + this.#window;
    this.#advertised = next;
    return absolute(this.#steps, next);
  }

  /** Moves the base forward by the whole steps below `consumed` (received and advertised lie at or above it). */
  #rebase(): void {
    const steps = stepsIn(this.#consumed);
    const by = steps * OFFSET_STEP;
    this.#steps += steps;
    this.#consumed -= by;
    this.#received -= by;
    this.#advertised -= by;
    // Kept small: it only matters within an epoch (less than a window back), and goes stale once the window stops growing.
    this.#epochOffset = Math.max(this.#epochOffset - by, -OFFSET_STEP);
  }

  /**
   * SPEC §7.1: a WINDOW update is due: ends the epoch, doubling the window
   * (up to the maximum) when the reader consumed half of it or more fast
   * enough. Rationale: as quic-go's flow controller. A window-limited
   * transfer reads half a window in about half a round trip, well inside
   * the 2 RTT the rule allows at that fraction, so a reader that keeps up
   * doubles at every update; one that reads 4 times slower than the window
   * permits never does, and keeps the memory it pins small.
   */
  #autoTune(): void {
    const tuning = this.#tuning;
    if (tuning === undefined || this.#window >= tuning.max) return;
    const now = tuning.timing.now();
    const read = this.#consumed - this.#epochOffset;
    const srtt = tuning.timing.rttMs;
    const rtt = srtt === undefined ? undefined : Math.max(srtt, MIN_TUNING_RTT_MS);
    if (read >= this.#window / 2 && rtt !== undefined && now - this.#epochStart < 4 * (read / this.#window) * rtt) {
      this.#window = Math.min(2 * this.#window, tuning.max);
    }
    this.#epochStart = now;
    this.#epochOffset = this.#consumed;
  }

  /**
   * Advertises whatever was consumed without waiting for half a window (e.g.
   * when a carrier joins a resumed session). Returns the new max offset, or
   * null when it would not grow.
   */
  forceUpdate(): number | null {
    const next = this.#consumed + this.#window;
    if (next <= this.#advertised) return null;
    this.#advertised = next;
    return absolute(this.#steps, next);
  }
}
