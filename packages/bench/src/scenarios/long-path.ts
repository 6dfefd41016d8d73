// long-path: one stream over 2 paths capped 40 Mbit/s each (deep queues) of
// 100 ms one way, a round trip between continents. Efficiency = throughput
// ÷ the sum of the caps, both ways, after the first 2 s as in every
// throughput scenario; the download's first seconds are noted when short.
// Baseline: one plain TCP connection through one identical path. (The
// emulator is a proxy: plain TCP's own ACKs do not cross the path, so its
// start-up does not pay the round trip, while mpx's carriers do, in their
// ACK frames.) A carrier's start-up took its rate samples over two smoothed
// RTTs, which start-up's own queue doubled: the rate reached the paths' in
// the fifth second, 0.82–0.93 of them from 2 s on; 0.94–0.99 since start-up
// samples over 200 ms at most (SPEC §8, issue #15's journal, nineteenth
// stop).

import { pathShapeScenario } from './path-shape.js';

export const longPath = pathShapeScenario({
  name: 'long-path',
  paths: 2,
  capMbit: 40,
  delayMs: 100,
  seconds: { quick: 6, full: 8 },
  goal: 0.9,
});
