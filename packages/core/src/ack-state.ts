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
  /** When the ACK of a lone unacknowledged frame is due, if one is. */
  #dueAt: number | undefined;
  /**
   * The delay timer, while armed. Rationale: it is not cleared when the ACK
   * leaves earlier (with other frames, nearly always), and is armed again
   * only once it has fired: a lone frame per request would otherwise cost a
   * setTimeout and a clearTimeout each. When it fires it acknowledges what is
   * due by then, waits on for an ACK due later, or ends.
   */
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
    } else if (owed === 1 && this.#dueAt === undefined) {
      this.#dueAt = this.#clock.now() + MAX_ACK_DELAY_MS;
      this.#timer ??= this.#clock.setTimeout(this.#onTimer, MAX_ACK_DELAY_MS);
    }
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#dueAt === undefined) return;
    const left = this.#dueAt - this.#clock.now();
    if (left > 0) this.#timer = this.#clock.setTimeout(this.#onTimer, left);
    else this.flush();
  };

  /**
   * Acknowledges every owed frame now, if the carrier can still write;
   * cancels what was scheduled (the delay timer, if armed, then finds
   * nothing due). The carrier link calls it at the end of each turn in which
   * it wrote other frames (the ACK rides along, SPEC §9), and before a CLOSE.
   */
  readonly flush = (): void => {
    this.#deferred = false;
    this.#dueAt = undefined;
    if (this.#counted === this.#acked) return;
    const count = this.#counted;
    if (this.#send(count)) this.#acked = count;
  };

  /** Clears the delay timer (the carrier is gone). */
  stop(): void {
    this.#dueAt = undefined;
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
