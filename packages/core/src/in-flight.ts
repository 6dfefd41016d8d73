// SPEC §8, §9, sender side of one carrier: the counted frames in flight, the
// path estimate the peer's ACKs feed, and the in-flight cap and the pacing
// it sets. No I/O; times come from the caller.
import type { DataFrame, Frame } from './frame.js';
import type { PayloadOwner } from './payload-owner.js';
import { PathEstimator } from './path-estimator.js';
import { SentFrames, type SentFrame } from './sent-frames.js';

/**
 * Pacing may fall this far behind and catch up in a burst, ms: after the
 * carrier waited for ACKs or for data, PACE_SLACK_MS; after it waited for
 * pacing itself (its timer fired late), PACE_CATCH_UP_MS. Rationale: the
 * bursts sent as a clump of ACKs arrives are what pacing smooths (SPEC §8),
 * so they stay small; but timers fire a millisecond or more late, and tens
 * of milliseconds late on a busy event loop, and each late wake-up would be
 * rate lost for good (in the simulator, with timers up to 30 ms late and
 * bulk both ways, 0.95 of the rate on average caught up 4 ms, 0.99 caught
 * up 15 or 30 ms).
 */
const PACE_SLACK_MS = 4;
const PACE_CATCH_UP_MS = 20;
/** Frames are paced only while this many bytes or more are in flight (see paceWait). */
const PACED_FROM_BYTES = 48 * 1024;

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

  /** When pacing lets the next frame go (SPEC §8), in the caller's time. */
  #nextAt = Number.NEGATIVE_INFINITY;
  /** Pacing, not the cap, held the carrier back last (see PACE_CATCH_UP_MS). */
  #held = false;
  /** Pacing held the carrier back since the last ACK (see PathEstimator.onAcked). */
  #pacedSinceAck = false;
  /** The pacing rate, bytes per ms, computed with the cap (see capped()); undefined: not paced. */
  #paceRate: number | undefined;
  /** Every frame is paced (PathEstimator.pacesAll), computed with the cap. */
  #paceAlways = false;

  /**
   * `align`: wall time minus the caller's `now` (SPEC §8: RTT drains start on
   * a grid of wall time); `owner`: told when DATA payloads are done with;
   * `onDataAcked`: told of each DATA frame the peer acknowledges.
   */
  constructor(align = 0, owner?: PayloadOwner, onDataAcked?: (frame: DataFrame) => void) {
    this.estimator = new PathEstimator(align);
    this.#sent = new SentFrames(owner, onDataAcked);
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
    const rate = this.#paceRate;
    if (rate !== undefined) this.#nextAt = Math.max(this.#nextAt, now - (this.#held ? PACE_CATCH_UP_MS : PACE_SLACK_MS)) + size / rate;
  }

  /**
   * SPEC §8: ms until pacing lets the next counted frame go; 0 when it may
   * go now. The caller (the carrier link) looks again after that long.
   * Every frame is paced while the path estimate says so
   * (PathEstimator.pacesAll); otherwise frames are paced only while the
   * peer sends data on the carrier (`peerSending`) and PACED_FROM_BYTES or
   * more are in flight. Rationale: below that a carrier makes no queue
   * worth smoothing, and a carrier that carried little (its rate measured
   * on requests, not on a full path) starts a bulk transfer at once instead
   * of at that rate.
   */
  paceWait(now: number, peerSending = true): number {
    const on = this.#paceAlways || (peerSending && this.#sent.bytes >= PACED_FROM_BYTES);
    const wait = this.#nextAt > now && on ? this.#nextAt - now : 0;
    if (wait > 0) {
      this.#held = true;
      this.#pacedSinceAck = true;
    }
    return wait;
  }

  /**
   * SPEC §9: the peer acknowledged `count` counted frames in all; feeds the
   * path estimate. `stamp`: the peer's clock when it sent the ACK, in ms,
   * when the carrier's version stamps ACKs (SPEC §5.4); `behindData`:
   * whether the peer sends data on the carrier (PathEstimator.onAckStamp).
   */
  onAck(count: number, now: number, stamp?: number, behindData = true): void {
    const before = this.#sent.bytes;
    const { bytes, frames, newestSentAt } = this.#sent.ack(count);
    this.#capAt = Number.NaN;
    const reverse = stamp === undefined ? 0 : this.estimator.onAckStamp(now - stamp, now, behindData);
    // An ACK of a lone frame may have waited up to MAX_ACK_DELAY_MS for
    // company (SPEC §9): only ACKs of two or more frames are prompt.
    if (newestSentAt !== undefined) this.estimator.onRttSample(now - newestSentAt, now, frames >= 2 ? 'frames' : 'lone-frame', reverse);
    // Busy: data stayed in flight, or the cap held the carrier back. A
    // carrier that ran out of data to send (it idled) would understate the rate.
    this.estimator.onAcked(bytes, now, before - bytes > 0 || this.#wasCapped, newestSentAt, this.#pacedSinceAck && !this.#wasCapped);
    this.#wasCapped = false;
    this.#pacedSinceAck = false;
  }

  /**
   * SPEC §8: whether the carrier may take no more frames: the bytes in
   * flight reach what the path estimate allows (at most `ceiling`), less half
   * the largest frame sent. Rationale: a frame goes out while the bytes in
   * flight are below the cap, so without the half frame they would exceed it
   * by half a frame on average; with it they are the cap rounded to whole
   * frames, which matters when a cap holds two or three frames.
   *
   * The cap, and the pacing rate with it, are computed once per `now` (the system clock reads the time once
   * per run of JavaScript, clock.ts) and again after each ACK. Rationale:
   * computing it reads the estimator's rate window, ~5% of the core's CPU in
   * small request/response traffic when done for every frame sent; within
   * one `now` and without an ACK, the estimate's inputs are those of the
   * last computation, and the bytes in flight only grew.
   */
  capped(now: number, ceiling: number): boolean {
    const cap = this.#capAtNow(now, ceiling);
    const bytes = this.#sent.bytes;
    const capped = bytes > 0 && bytes >= cap - this.#largest / 2;
    if (capped) {
      this.#wasCapped = true;
      this.#held = false;
    }
    return capped;
  }

  /**
   * SPEC §8: whether a small frame may still go out ahead of the cap: the
   * bytes in flight are below the cap plus `ahead` (AHEAD_OF_CAP_BYTES).
   */
  roomAhead(now: number, ceiling: number, ahead: number): boolean {
    return this.#sent.bytes < this.#capAtNow(now, ceiling) + ahead;
  }

  /**
   * SPEC §8: about how long until a frame sent now is acknowledged, ms: the
   * minimum RTT, or the time the path takes to deliver what is in flight at
   * the measured rate when that is longer (the frame waits behind it). 0
   * before any RTT sample.
   */
  ackWait(now: number): number {
    const rtt = this.ackWaitFloor();
    const rate = this.estimator.rate(now);
    return rate === undefined || rate <= 0 ? rtt : Math.max(rtt, this.#sent.bytes / rate);
  }

  /** The least ackWait() can be at any time until the next RTT sample: the minimum RTT (0 before any sample). */
  ackWaitFloor(): number {
    return this.estimator.minRtt ?? 0;
  }

  /**
   * SPEC §8: ackWait() when a small frame may go out ahead of the cap
   * (roomAhead()), else Infinity: the score by which a small stream's frame
   * picks its carrier, for one reading of the clock.
   */
  aheadWait(now: number, ceiling: number, ahead: number): number {
    return this.roomAhead(now, ceiling, ahead) ? this.ackWait(now) : Number.POSITIVE_INFINITY;
  }

  /**
   * The cap (and the pacing rate with it) at `now`, computed once per `now`
   * and ceiling (see capped()). SPEC §8: pacing then holds the next frame
   * back no longer than the cap takes to send at the pacing rate. Rationale:
   * frames sent while pacing did not hold the carrier (below
   * PACED_FROM_BYTES, or before pacing took hold) move the next frame's time
   * on at the rate of their day, which may be one measured on a few control
   * frames: a download's server, its rate measured on the WINDOW frames it
   * sent during the upload before (7 bytes/ms), moved it 6 s on with its
   * first frames of 16 KiB; once the rate was measured (3.1 MB/s) and pacing
   * took hold, that wait kept the 40 Mbit/s carrier all but idle for the
   * whole download (uneven --quick: 0.36–0.38 of the two paths, bytes split
   * 89% / 11% over the 20 / 40 Mbit/s paths). Sending at the cap, a carrier
   * gets no further ahead of its pacing than that: on the simulated paths
   * of test/path-estimator.property.test.ts with bulk both ways, every
   * carrier's rate came out the same with the bound as without it.
   */
  #capAtNow(now: number, ceiling: number): number {
    if (now !== this.#capAt || ceiling !== this.#capCeiling) {
      this.#cap = this.estimator.inflightCap(now, ceiling, this.#sent.bytes);
      const rate = this.estimator.pacingRate(now);
      if (rate !== undefined) this.#nextAt = Math.min(this.#nextAt, now + this.#cap / rate);
      this.#paceRate = rate;
      this.#paceAlways = this.estimator.pacesAll(now);
      this.#capAt = now;
      this.#capCeiling = ceiling;
    }
    return this.#cap;
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
