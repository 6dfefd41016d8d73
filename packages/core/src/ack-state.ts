// SPEC §9, receiver side: which counted frames arrived, which are
// acknowledged, and when the next cumulative ACK is due. No I/O: the carrier
// link sends the ACK through `send`; the delay timer runs on the injected clock.
import type { Clock, Defer, Timer } from './clock.js';
import { MAX_ACK_DELAY_MS } from './constants.js';

export class AckState {
  readonly #clock: Clock;
  /** Sends an ACK of `count` frames in all; false when the carrier can no longer write one. */
  readonly #send: (count: number) => boolean;
  readonly #defer: Defer;
  #counted = 0;
  #acked = 0;
  #deferred = false;
  /** The delayed ACK for a lone unacknowledged frame. */
  #timer: Timer | undefined;

  /**
   * `defer` batches ACKs per turn of the event loop (it is not a timer and
   * does not read the clock): the carrier link passes its own end of turn,
   * where this ACK joins the frames the turn wrote in one write; tests pass
   * their own.
   */
  constructor(clock: Clock, send: (count: number) => boolean, defer: Defer) {
    this.#clock = clock;
    this.#send = send;
    this.#defer = defer;
  }

  /** Counted frames received and not yet acknowledged. */
  get owed(): number {
    return this.#counted - this.#acked;
  }

  /** A counted frame arrived (SPEC §9: every frame but ACK, PING, PONG and the handshake's). */
  onCounted(): void {
    this.#counted++;
  }

  /**
   * Called after each batch of frames read: two or more owed frames are
   * acknowledged once this turn of the event loop is over (one cumulative ACK
   * per turn at most); a lone frame (interactive traffic) waits for a frame to
   * ride along with, a second frame, or MAX_ACK_DELAY_MS, whichever is first.
   */
  schedule(): void {
    const owed = this.owed;
    if (owed >= 2 && !this.#deferred) {
      this.#deferred = true;
      this.#defer(this.flush);
    } else if (owed === 1 && this.#timer === undefined) {
      this.#timer = this.#clock.setTimeout(this.flush, MAX_ACK_DELAY_MS);
    }
  }

  /**
   * Acknowledges every owed frame now, if the carrier can still write;
   * cancels what was scheduled. The carrier link calls it at the end of each
   * turn in which it wrote other frames (the ACK rides along, SPEC §9), and
   * before a CLOSE.
   */
  readonly flush = (): void => {
    this.#deferred = false;
    this.stop();
    if (this.#counted === this.#acked) return;
    const count = this.#counted;
    if (this.#send(count)) this.#acked = count;
  };

  /** Clears the delay timer (the carrier is gone). */
  stop(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
