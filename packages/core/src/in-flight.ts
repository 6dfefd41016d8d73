// SPEC §8, §9, sender side of one carrier: the counted frames in flight, the
// path estimate the peer's ACKs feed, and the in-flight cap it sets. No I/O;
// times come from the caller.
import type { Frame } from './frame.js';
import type { PayloadOwner } from './payload-owner.js';
import { PathEstimator } from './path-estimator.js';
import { SentFrames, type SentFrame } from './sent-frames.js';

export class InFlight {
  readonly estimator: PathEstimator;
  readonly #sent: SentFrames;
  /** The largest counted frame sent so far, bytes (see capped()). */
  #largest = 0;
  /** The carrier reached its cap since the last ACK: it was not short of data to send. */
  #wasCapped = false;
  /** The cap last computed (see capped()), and the `now` and ceiling it was computed for; NaN: none. */
  #cap = 0;
  #capAt = Number.NaN;
  #capCeiling = Number.NaN;

  /**
   * `align`: wall time minus the caller's `now` (SPEC §8: RTT drains start on
   * a grid of wall time); `owner`: told when DATA payloads are done with.
   */
  constructor(align = 0, owner?: PayloadOwner) {
    this.estimator = new PathEstimator(align);
    this.#sent = new SentFrames(owner);
  }

  /** Encoded bytes sent and not yet acknowledged. */
  get bytes(): number {
    return this.#sent.bytes;
  }

  /** When the oldest unacknowledged frame was sent, if any. */
  oldestSentAt(): number | undefined {
    return this.#sent.oldestSentAt();
  }

  /** A counted frame of `size` encoded bytes went out (or is kept to go out again elsewhere); `order`: see SentFrame. */
  push(frame: Frame, size: number, now: number, order?: number): void {
    this.#sent.push(frame, size, now, order);
    if (size > this.#largest) this.#largest = size;
  }

  /** SPEC §9: the peer acknowledged `count` counted frames in all; feeds the path estimate. */
  onAck(count: number, now: number): void {
    const before = this.#sent.bytes;
    const { bytes, frames, newestSentAt } = this.#sent.ack(count);
    this.#capAt = Number.NaN;
    // An ACK of a lone frame may have waited up to MAX_ACK_DELAY_MS for
    // company (SPEC §9): only ACKs of two or more frames are prompt.
    if (newestSentAt !== undefined) this.estimator.onRttSample(now - newestSentAt, now, frames >= 2 ? 'frames' : 'lone-frame');
    // Busy: data stayed in flight, or the cap held the carrier back. A
    // carrier that ran out of data to send (it idled) would understate the rate.
    this.estimator.onAcked(bytes, now, before - bytes > 0 || this.#wasCapped, newestSentAt);
    this.#wasCapped = false;
  }

  /**
   * SPEC §8: whether the carrier may take no more frames: the bytes in
   * flight reach what the path estimate allows (at most `ceiling`), less half
   * the largest frame sent. Rationale: a frame goes out while the bytes in
   * flight are below the cap, so without the half frame they would exceed it
   * by half a frame on average; with it they are the cap rounded to whole
   * frames, which matters when a cap holds two or three frames.
   *
   * The cap is computed once per `now` (the system clock reads the time once
   * per run of JavaScript, clock.ts) and again after each ACK. Rationale:
   * computing it reads the estimator's rate window, ~5% of the core's CPU in
   * small request/response traffic when done for every frame sent; within
   * one `now` and without an ACK, the estimate's inputs are those of the
   * last computation, and the bytes in flight only grew.
   */
  capped(now: number, ceiling: number): boolean {
    const bytes = this.#sent.bytes;
    if (now !== this.#capAt || ceiling !== this.#capCeiling) {
      this.#cap = this.estimator.inflightCap(now, ceiling, bytes);
      this.#capAt = now;
      this.#capCeiling = ceiling;
    }
    const cap = this.#cap;
    const capped = bytes > 0 && bytes >= cap - this.#largest / 2;
    if (capped) this.#wasCapped = true;
    return capped;
  }

  /** Removes every unacknowledged frame, to be sent again elsewhere (SPEC §9). */
  takeAll(): SentFrame[] {
    return this.#sent.takeAll();
  }

  /** Up to `maxBytes` of the oldest unacknowledged frames not yet copied elsewhere. */
  duplicateOldest(maxBytes: number): SentFrame[] {
    return this.#sent.duplicateOldest(maxBytes);
  }
}
