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

import { seededRandom } from '@mpx/testkit';
import { formatMbit, formatRatio, mbit } from '../format.js';
import { OMIT_SECONDS, plainThroughput, bottleneck, diff, measureThroughput, pathBytes, shares, startRig, startThroughputSink } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const PATHS = 2;
const CAP_MBIT = 40;
const DELAY_MS = 10;
const JITTER_MS = 10;
const JITTER_EVERY_MS = 10;
const GOAL = 0.9;

/** A jittery path; each path (and each run) draws its own delays from `seed`. */
function jitteryPath(seed: number): PathSpec {
  return { ...bottleneck(CAP_MBIT, DELAY_MS), jitter: { ms: JITTER_MS, everyMs: JITTER_EVERY_MS, random: seededRandom(seed) } };
}

export const jitter: Scenario = {
  name: 'jitter',
  title: `one stream over ${PATHS} × ${CAP_MBIT} Mbit/s paths of ${DELAY_MS} ms one way + 0–${JITTER_MS} ms jitter each way`,
  async run(ctx: Context, rec: Recorder) {
    const seconds = ctx.quick ? 4 : 8;
    const omit = OMIT_SECONDS;
    const sum = mbit(CAP_MBIT) * PATHS;
    const sink = await startThroughputSink(ctx);
    rec.data.settings = {
      paths: PATHS,
      capMbitPerPath: CAP_MBIT,
      oneWayDelayMs: DELAY_MS,
      jitterMs: JITTER_MS,
      jitterEveryMs: JITTER_EVERY_MS,
      pathQueue: bottleneck(CAP_MBIT, DELAY_MS).pathQueue,
      seconds,
      omit,
      tool: sink.tool,
    };
    try {
      const plain = await plainThroughput(ctx, sink, jitteryPath(61), `one jittery ${CAP_MBIT} Mbit/s path`, seconds, omit, mbit(CAP_MBIT));
      const rig = await startRig({
        targetPort: sink.port,
        paths: Array.from({ length: PATHS }, (_, i) => jitteryPath(71 + i)),
        carriers: 1,
      });
      try {
        for (const dir of ['up', 'down'] as const) {
          ctx.log(`mpx ${dir}load over ${PATHS} jittery paths, ${seconds} s`);
          const before = pathBytes(rig.paths, dir);
          const r = await measureThroughput(sink, rig.port, dir, seconds, omit, sum);
          const perPath = diff(pathBytes(rig.paths, dir), before);
          const eff = r.bytesPerSecond / sum;
          const plainEff = plain[dir] / mbit(CAP_MBIT);
          const lowest = r.intervals === undefined ? undefined : Math.min(...r.intervals.slice(omit));
          rec.data[dir] = {
            plainBytesPerSecond: plain[dir],
            mpxBytesPerSecond: r.bytesPerSecond,
            efficiency: eff,
            plainEfficiency: plainEff,
            perPathShares: shares(perPath),
            clientIntervalsBytesPerSecond: r.intervals,
          };
          rec.row({
            case: `${dir === 'up' ? 'upload' : 'download'}, ${PATHS} × ${CAP_MBIT} Mbit/s, ${DELAY_MS} + 0–${JITTER_MS} ms`,
            plain: `${formatMbit(plain[dir])} (${formatRatio(plainEff)} of ${CAP_MBIT})`,
            mpx: `${formatMbit(r.bytesPerSecond)} (${formatRatio(eff)} of ${CAP_MBIT * PATHS}${lowest === undefined ? '' : `; lowest 1-s ${formatRatio(lowest / sum)}`})`,
            goal: `≥ ${GOAL} of sum`,
            status: verdict(eff >= GOAL),
          });
        }
      } finally {
        await rig.stop();
      }
    } finally {
      await sink.stop();
    }
  },
};
