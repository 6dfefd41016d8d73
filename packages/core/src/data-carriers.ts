// SPEC §8: the carriers DATA may go to. A carrier carries the sender's data
// only if its direction allows it (carrier-use.ts); standby (`backup`)
// carriers only while no primary carrier of that direction is usable: open
// and not lagging (lag.ts). Among those, the weighted picker chooses as for
// every frame, keeping to the carrier it picked last while that one leads the
// others by at most CARRIER_LEAD_BYTES. Control frames do not come here: any
// carrier takes them.
import type { CarrierLink } from './carrier-link.js';
import { carriesDataFrom } from './carrier-use.js';
import { CARRIER_LEAD_BYTES } from './constants.js';
import type { LagWatch } from './lag.js';
import { WeightedPicker } from './scheduler.js';

/**
 * SPEC §8: whether a frame sent ahead on `link` takes along an ACK this side
 * owes the peer there (counted frames came in on it and are not yet
 * acknowledged), on a carrier that holds no more than CARRIER_LEAD_BYTES of
 * this side's unacknowledged bytes (no queue of ours in front of it: not one
 * a bulk transfer keeps busy). Rationale: each side picked the carrier
 * behind the least queue by its own estimates, and with equal paths they
 * often settled on different ones, each side's minimum RTT lowest where it
 * sent and stale where it did not (the server's 6 ms from the handshake on
 * the carrier the client's requests took, against 0.2 ms on its own);
 * requests then went on one carrier and their answers on another, and every
 * other request each side wrote an ACK of its own, which woke the peer
 * before the answer was ready: redis-benchmark with one connection through
 * 4 TCP carriers cost 5.01 reads and 5.01 writes per request in the two
 * tunnel processes, against 4.00 for two plain relays. The peer chose that
 * carrier by its own round trips.
 */
export function ridesAck(link: CarrierLink): boolean {
  return link.owesAck && link.unackedBytes <= CARRIER_LEAD_BYTES;
}

/** Added to the score of a carrier on which a frame would not ride an owed ACK (ridesAck), ms: beyond any real wait, so such carriers count only when none it would ride on takes the frame. */
const NOT_RIDING_MS = 1e9;

/**
 * SPEC §8: where a frame that may go ahead of the in-flight caps goes: among
 * the carriers that take it, those it would ride an owed ACK on first
 * (ridesAck), and among those the one whose frame would be acknowledged
 * soonest (behind the least queue); Infinity for a carrier that does not
 * take it (CarrierLink.aheadWait).
 */
export function aheadScore(link: CarrierLink): number {
  const wait = link.aheadWait;
  return ridesAck(link) ? wait : wait + NOT_RIDING_MS;
}

/** A lower bound of aheadScore, for WeightedPicker.pickBy: the carrier's minimum RTT (CarrierLink.aheadFloor), plus the same NOT_RIDING_MS. */
export function aheadFloor(link: CarrierLink): number {
  const floor = link.aheadFloor;
  return ridesAck(link) ? floor : floor + NOT_RIDING_MS;
}

export class DataCarriers {
  readonly #sender: 'client' | 'server';
  readonly #primary = new WeightedPicker<CarrierLink>(CARRIER_LEAD_BYTES);
  readonly #backup = new WeightedPicker<CarrierLink>(CARRIER_LEAD_BYTES);
  readonly #primaries = new Set<CarrierLink>();
  readonly #lag: LagWatch;

  /** `sender`: the side whose DATA this chooses carriers for; `lag`: the session's lag rule. */
  constructor(sender: 'client' | 'server', lag: LagWatch) {
    this.#sender = sender;
    this.#lag = lag;
  }

  /** Adds a carrier that joined the session (ignored if it may not carry this side's data). */
  add(link: CarrierLink): void {
    if (!carriesDataFrom(link.use.direction, this.#sender)) return;
    if (link.use.role === 'backup') {
      this.#backup.add(link, link.weight);
    } else {
      this.#primary.add(link, link.weight);
      this.#primaries.add(link);
    }
  }

  /** Forgets a carrier (closed or retired); unknown carriers are ignored. */
  remove(link: CarrierLink): void {
    this.#primary.remove(link);
    this.#backup.remove(link);
    this.#primaries.delete(link);
  }

  /**
   * The carrier for a DATA frame of `size` bytes, charged for it, or
   * undefined when the carriers it may use cannot take it now (it waits: a
   * usable primary that needs drain does not send data to the standbys).
   * `all`: every carrier of the session, against which lag is judged.
   */
  pick(size: number, all: Iterable<CarrierLink>, now: number): CarrierLink | undefined {
    return this.#pickerFor(all, now).pick(size);
  }

  /**
   * SPEC §8: the carrier for a small stream's DATA frame: among the same
   * carriers as pick(), the one behind the least queue that takes frames
   * ahead of its cap (aheadScore), charged for it; undefined when none does.
   */
  pickAhead(size: number, all: Iterable<CarrierLink>, now: number): CarrierLink | undefined {
    return this.#pickerFor(all, now).pickBy(size, aheadScore, aheadFloor);
  }

  /** Charges `link`, just picked for a DATA frame, for `size` more bytes: the frame grew (a bulk frame, SPEC §8). */
  charge(link: CarrierLink, size: number): void {
    (this.#primaries.has(link) ? this.#primary : this.#backup).charge(link, size);
  }

  #pickerFor(all: Iterable<CarrierLink>, now: number): WeightedPicker<CarrierLink> {
    return this.#backup.size === 0 || this.#primaryUsable(all, now) ? this.#primary : this.#backup;
  }

  #primaryUsable(all: Iterable<CarrierLink>, now: number): boolean {
    if (this.#primaries.size === 0) return false;
    const lagging = this.#lag.lagging(all, now);
    for (const link of this.#primaries) if (link.state === 'open' && !lagging.includes(link)) return true;
    return false;
  }
}
