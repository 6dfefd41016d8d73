// The carriers of a session (SPEC §8, §9, §10.2): the set and its weighted
// picker, the carriers this side's DATA may take (data-carriers.ts), the grace timer that runs while no carrier is left, lag relief
// (copies of a lagging carrier's oldest frames), retiring a carrier, and
// what a lost carrier leaves to send again. Time comes from the injected
// clock; the session reacts to what these verbs return.
import type { CarrierLink, CarrierStats } from './carrier-link.js';
import type { Clock, Timer } from './clock.js';
import { WireCode } from './constants.js';
import { DataCarriers, aheadFloor, aheadScore } from './data-carriers.js';
import { LagWatch } from './lag.js';
import { WeightedPicker } from './scheduler.js';
import type { FrameSink } from './send-loop.js';
import type { SentFrame } from './sent-frames.js';

/** Bytes copied off a lagging carrier at a time. */
const LAG_COPY_BYTES = 256 * 1024;
const NO_FRAMES: readonly SentFrame[] = Object.freeze([]);

export class CarrierSet implements FrameSink {
  readonly #carriers = new Set<CarrierLink>();
  readonly #picker = new WeightedPicker<CarrierLink>();
  /** SPEC §8: the carriers this side's DATA may take (direction, standby). */
  readonly #data: DataCarriers;
  readonly #lag = new LagWatch();
  readonly #clock: Clock;
  readonly #graceMs: number;
  readonly #onGraceExpired: () => void;
  #graceTimer: Timer | undefined;

  /** `sender`: this side (whose DATA the set chooses carriers for). */
  constructor(sender: 'client' | 'server', clock: Clock, graceMs: number, onGraceExpired: () => void) {
    this.#data = new DataCarriers(sender, this.#lag);
    this.#clock = clock;
    this.#graceMs = graceMs;
    this.#onGraceExpired = onGraceExpired;
  }

  get size(): number {
    return this.#carriers.size;
  }

  get unackedBytes(): number {
    let bytes = 0;
    for (const link of this.#carriers) bytes += link.unackedBytes;
    return bytes;
  }

  /**
   * SPEC §7.1: the longest smoothed RTT of the carriers, ms (undefined before
   * any sample), the round trip a stream's receive window must cover.
   * Rationale: the longest, not the shortest: striped bytes are delivered in
   * order, so a reader waits for the slowest carrier its stream uses.
   */
  get longestRtt(): number | undefined {
    let longest: number | undefined;
    for (const link of this.#carriers) {
      const srtt = link.estimator.srtt;
      if (srtt !== undefined && (longest === undefined || srtt > longest)) longest = srtt;
    }
    return longest;
  }

  pick(size: number): CarrierLink | undefined {
    return this.#picker.pick(size);
  }

  /** SPEC §8: DATA goes only to carriers of its direction, to standbys only while no primary is usable. */
  pickData(size: number): CarrierLink | undefined {
    return this.#data.pick(size, this.#carriers, this.#clock.now());
  }

  /** SPEC §8: `link`, just picked by pickData(), takes `size` more bytes (a bulk frame): charged for them. */
  chargeData(link: CarrierLink, size: number): void {
    this.#data.charge(link, size);
  }

  /** SPEC §8: a control frame that no carrier could take: one that takes it ahead of its cap. */
  pickAhead(size: number): CarrierLink | undefined {
    return this.#picker.pickBy(size, aheadScore, aheadFloor);
  }

  /** SPEC §8: a small stream's DATA frame: the carrier behind the least queue, ahead of its cap if need be, among those pickData() chooses from. */
  pickDataAhead(size: number): CarrierLink | undefined {
    return this.#data.pickAhead(size, this.#carriers, this.#clock.now());
  }

  /** A carrier joins (its handshake is done); the grace timer stops. */
  add(link: CarrierLink): void {
    this.#stopGrace();
    this.#carriers.add(link);
    this.#picker.add(link, link.weight);
    this.#data.add(link);
  }

  /**
   * A carrier is gone. Returns what the peer did not acknowledge on it, to
   * send again elsewhere (SPEC §9).
   */
  remove(link: CarrierLink): SentFrame[] {
    this.#carriers.delete(link);
    if (this.#picker.has(link)) this.#picker.remove(link);
    this.#data.remove(link);
    const lost = link.takeUnacked();
    link.retransmits += lost.length;
    return lost;
  }

  /** SPEC §8, head-of-line relief: copies of lagging carriers' oldest frames, to send on the others. */
  lagCopies(): readonly SentFrame[] {
    if (this.#carriers.size < 2) return NO_FRAMES;
    const lagging = this.#lag.lagging(this.#carriers, this.#clock.now());
    if (lagging.length === 0) return NO_FRAMES;
    const copies: SentFrame[] = [];
    for (const link of lagging) {
      const frames = link.duplicateOldest(LAG_COPY_BYTES);
      link.retransmits += frames.length;
      for (const f of frames) copies.push(f);
    }
    return copies;
  }

  /**
   * Retires a carrier gracefully (SPEC §10.2): no new frames go to it, then
   * CLOSE with NO_ERROR. False when no carrier has this id.
   */
  retire(id: number): boolean {
    for (const link of this.#carriers) {
      if (link.id !== id) continue;
      if (this.#picker.has(link)) this.#picker.remove(link);
      this.#data.remove(link);
      link.close(WireCode.NO_ERROR, 'retired');
      return true;
    }
    return false;
  }

  /** Closes every carrier (`session`: with CLOSE of the whole session, SPEC §10.1). */
  closeAll(code: number, reason: string, session: boolean): void {
    for (const link of this.#carriers) link.close(code, reason, session);
  }

  stats(): CarrierStats[] {
    return [...this.#carriers].map((c) => c.stats());
  }

  /**
   * SPEC §9: without carriers, the session waits at most the grace period
   * for one; then `onGraceExpired` runs. Armed when the last carrier goes,
   * and when a stream is opened before any carrier came.
   */
  armGrace(): void {
    if (this.#graceTimer !== undefined) return;
    this.#graceTimer = this.#clock.setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#carriers.size === 0) this.#onGraceExpired();
    }, this.#graceMs);
  }

  /** The session closed: no timer may outlive it. */
  close(): void {
    this.#stopGrace();
  }

  #stopGrace(): void {
    if (this.#graceTimer !== undefined) this.#clock.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }
}
