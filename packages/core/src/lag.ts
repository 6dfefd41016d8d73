// SPEC §8, head-of-line relief: which carriers are lagging. A carrier whose
// oldest unacknowledged frame is much older than its round trip is stalled or
// badly queued, and in-order delivery may be waiting on it.
import type { CarrierLink } from './carrier-link.js';

/** Slack above the expected round trip before a carrier counts as lagging, ms. */
const LAG_MARGIN_MS = 100;

/** The age beyond which `link`'s oldest unacknowledged frame means it lags, ms. */
function lagThreshold(link: CarrierLink, fastest: number): number {
  const srtt = link.estimator.srtt ?? fastest;
  return Math.max(2 * srtt + 4 * link.estimator.rttvar, 4 * fastest) + LAG_MARGIN_MS;
}

function isLagging(link: CarrierLink, now: number, fastest: number): boolean {
  const oldest = link.oldestUnackedAt();
  return oldest !== undefined && now - oldest > lagThreshold(link, fastest);
}

const NONE: readonly CarrierLink[] = Object.freeze([]);

/**
 * Applies the lag rule to a session's carriers. Rationale: the rule is
 * applied after every ACK and, while standbys wait, for each DATA frame
 * (SPEC §8); nearly always no frame is older than LAG_MARGIN_MS, the least
 * any threshold can be. Frames only get younger: an ACK removes the oldest,
 * and a frame sent (or sent again, or on a new carrier) is sent now. So once
 * a look found the oldest frame of all sent at `t` (or none, `t` = now),
 * nothing can lag until `t + LAG_MARGIN_MS`, and until then the answer is
 * given without reading the carriers. The clock must be monotonic.
 */
export class LagWatch {
  /** Nothing lags at any time up to this one. */
  #quietUntil = Number.NEGATIVE_INFINITY;

  /**
   * The open carriers that lag while at least one other open carrier does
   * not (copying frames is pointless when every path is stuck). Before any
   * RTT is known nothing counts as lagging.
   */
  lagging(carriers: Iterable<CarrierLink>, now: number): readonly CarrierLink[] {
    if (now <= this.#quietUntil) return NONE;
    let oldestOfAll = now;
    for (const link of carriers) {
      const oldest = link.oldestUnackedAt();
      if (oldest !== undefined && oldest < oldestOfAll) oldestOfAll = oldest;
    }
    if (now - oldestOfAll <= LAG_MARGIN_MS) {
      this.#quietUntil = oldestOfAll + LAG_MARGIN_MS;
      return NONE;
    }
    return laggingCarriers(carriers, now);
  }
}

/** The lag rule itself (see LagWatch.lagging). */
function laggingCarriers(carriers: Iterable<CarrierLink>, now: number): readonly CarrierLink[] {
  const open = [...carriers].filter((link) => link.state === 'open');
  let fastest = Number.POSITIVE_INFINITY;
  for (const link of open) fastest = Math.min(fastest, link.estimator.srtt ?? Number.POSITIVE_INFINITY);
  if (!Number.isFinite(fastest)) return NONE;
  const lagging = open.filter((link) => isLagging(link, now, fastest));
  return lagging.length < open.length ? lagging : NONE;
}
