// SPEC §7: flow-control accounting, per stream (§7.1) and per session (§7.2).
// No I/O: the session feeds these counters and sends the WINDOW frames (§5.2)
// they ask for.
//
// All values are absolute offsets, never deltas (SPEC §7): WINDOW frames may
// travel on another carrier than the data they refer to, arrive late, twice
// (retransmission, SPEC §9) or out of order, and taking the maximum of absolute
// values makes all of that harmless.
import { WireCode } from './constants.js';
import { MpxError, MpxProtocolError } from './errors.js';

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
  #max: number;
  #sent = 0;

  constructor(initialMax: number) {
    checkCount('initialMax', initialMax);
    this.#max = initialMax;
  }

  /** The peer's current limit (the largest WINDOW value seen, or the initial credit). */
  get max(): number {
    return this.#max;
  }

  /** Bytes charged so far. Never above `max`. */
  get sent(): number {
    return this.#sent;
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
  }

  /**
   * SPEC §5.2: a WINDOW value. Raises `max` if larger and returns true if the
   * credit grew; a smaller or repeated value is ignored (false).
   */
  update(maxOffset: number): boolean {
    checkCount('maxOffset', maxOffset);
    if (maxOffset <= this.#max) return false;
    this.#max = maxOffset;
    return true;
  }
}

/**
 * The credit we grant the peer. `received` is the highest offset counted (for
 * a stream: the highest `offset + length` of its DATA; for the session: the
 * running sum of the streams' highest offsets, a reset stream counting its
 * final size). `consumed` is what the application read or what was
 * discarded; only it returns credit, so a reader that stops holds at most one
 * window in memory (SPEC §7.1).
 */
export class ReceiveWindow {
  readonly #window: number;
  #advertised: number;
  #received = 0;
  #consumed = 0;

  constructor(window: number) {
    checkCount('window', window);
    this.#window = window;
    this.#advertised = window;
  }

  /** The window size: how far beyond `consumed` the peer may send. */
  get window(): number {
    return this.#window;
  }

  /** The max offset granted so far (initially `window`). */
  get advertised(): number {
    return this.#advertised;
  }

  /** The highest offset counted by `onReceive`. */
  get received(): number {
    return this.#received;
  }

  /** Bytes consumed (read or discarded) so far. */
  get consumed(): number {
    return this.#consumed;
  }

  /**
   * Counts data up to `highestOffset`. A lower value (a retransmission or a
   * frame that overtook an earlier one) changes nothing. Throws
   * `MpxProtocolError` with `FLOW_CONTROL` when it exceeds the credit granted.
   */
  onReceive(highestOffset: number): void {
    checkCount('highestOffset', highestOffset);
    if (highestOffset > this.#advertised) {
      throw new MpxProtocolError(WireCode.FLOW_CONTROL, `peer sent up to ${highestOffset}, beyond the granted ${this.#advertised}`);
    }
    if (highestOffset > this.#received) this.#received = highestOffset;
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
    this.#consumed += n;
    const next = this.#consumed + this.#window;
    const raise = next - this.#advertised;
    if (raise <= 0 || raise < this.#window / 2) return null;
    this.#advertised = next;
    return next;
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
    return next;
  }
}
