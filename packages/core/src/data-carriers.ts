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
 * SPEC §8: where a frame that may go ahead of the in-flight caps goes: the
 * carrier that takes it whose frame would be acknowledged soonest (behind
 * the least queue); Infinity for a carrier that does not take it
 * (CarrierLink.aheadWait).
 */
export function aheadScore(link: CarrierLink): number {
  return link.aheadWait;
}

/** A lower bound of aheadScore, for WeightedPicker.pickBy: the carrier's minimum RTT (CarrierLink.aheadFloor). */
export function aheadFloor(link: CarrierLink): number {
  return link.aheadFloor;
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
