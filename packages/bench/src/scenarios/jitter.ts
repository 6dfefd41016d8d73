// jitter: one stream over paths whose delay varies (a radio link, a busy
// router): 2 paths capped 40 Mbit/s each (deep queues), 10 ms one way plus
// 0–10 ms more drawn every 10 ms for each direction on its own (@mpx/netem's
// jitter, seeded), bytes kept in order. Efficiency = throughput ÷ the sum of
// the caps, both ways. Baseline: one plain TCP connection through one
// identical path, whose congestion control fills the path's queue whatever
// the delay does. mpx keeps each carrier's in-flight cap near a round trip
// of its rate (SPEC §8: 1.25 × rate × (minimum RTT + 2 ms + the spread of
// its round trips), at least 32 ms of it) and starts up at twice the rate;
// without the spread and start-up, the cap bound below the mean round trip,
// each rate sample delivered no more than the last, and the rate settled at
// a quarter to a third of the paths' (issue #15's journal, seventeenth and
// eighteenth stops).

import { pathShapeScenario } from './path-shape.js';

export const jitter = pathShapeScenario({
  name: 'jitter',
  paths: 2,
  capMbit: 40,
  delayMs: 10,
  jitter: { ms: 10, everyMs: 10 },
  seconds: { quick: 4, full: 8 },
  goal: 0.9,
});
