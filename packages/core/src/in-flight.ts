// SPEC §8, §9, sender side of one carrier: the counted frames in flight, the
// path estimate the peer's ACKs feed, and the in-flight cap it sets. No I/O;
// times come from the caller.
import type { Frame } from './frame.js';
import { PathEstimator } from './path-estimator.js';
import { SentFrames, type SentFrame } from './sent-frames.js';

/** Unacked bytes above which a carrier counts as busy for rate sampling. */
const MIN_BUSY_BYTES = 64 * 1024;

export class InFlight {
  readonly estimator = new PathEstimator();
  readonly #sent = new SentFrames();

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
  }

  /** SPEC §9: the peer acknowledged `count` counted frames in all; feeds the path estimate. */
  onAck(count: number, now: number): void {
    const before = this.#sent.bytes;
    const { bytes, frames, newestSentAt } = this.#sent.ack(count);
    // An ACK of a lone frame may have waited up to MAX_ACK_DELAY_MS for
    // company (SPEC §9): only ACKs of two or more frames are prompt.
    if (newestSentAt !== undefined && frames >= 2) this.estimator.onRttSample(now - newestSentAt, now);
    this.estimator.onAcked(bytes, now, before - bytes > 0 || before >= MIN_BUSY_BYTES);
  }

  /** SPEC §8: whether the bytes in flight reach what the path estimate allows (at most `ceiling`). */
  capped(now: number, ceiling: number): boolean {
    return this.#sent.bytes >= this.estimator.inflightCap(now, ceiling);
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
