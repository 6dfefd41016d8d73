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

/**
 * The open carriers that lag while at least one other open carrier does not
 * (copying frames is pointless when every path is stuck). Before any RTT is
 * known nothing counts as lagging.
 */
export function laggingCarriers(carriers: Iterable<CarrierLink>, now: number): CarrierLink[] {
  const open = [...carriers].filter((link) => link.state === 'open');
  let fastest = Number.POSITIVE_INFINITY;
  for (const link of open) fastest = Math.min(fastest, link.estimator.srtt ?? Number.POSITIVE_INFINITY);
  if (!Number.isFinite(fastest)) return [];
  const lagging = open.filter((link) => isLagging(link, now, fastest));
  return lagging.length < open.length ? lagging : [];
}
