// One stream over a few identical bottleneck paths of a given shape (rate,
// one-way delay, jitter), against one plain TCP connection through one such
// path: the scenarios `jitter` and `long-path` are this with their own
// shapes. Efficiency = mpx's throughput ÷ the sum of the paths' caps, both
// ways, measured after the first OMIT_SECONDS (as every throughput
// scenario); the receiver's first seconds are noted when they fell short.

import { seededRandom } from '@mpx/testkit';
import { formatMbit, formatRatio, mbit } from '../format.js';
import {
  OMIT_SECONDS,
  plainThroughput,
  bottleneck,
  diff,
  measureThroughput,
  pathBytes,
  shares,
  startRig,
  startThroughputSink,
  startupNote,
} from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

export interface PathShape {
  readonly name: string;
  readonly paths: number;
  readonly capMbit: number;
  readonly delayMs: number;
  /** Extra delay drawn in [0, ms] every `everyMs` for each direction on its own (@mpx/netem's jitter, seeded), if any. */
  readonly jitter?: { readonly ms: number; readonly everyMs: number };
  /** Seconds measured, `--quick` and full. */
  readonly seconds: { readonly quick: number; readonly full: number };
  /** Share of the sum of the caps mpx must reach. */
  readonly goal: number;
}

/** The scenario that runs `shape`. */
export function pathShapeScenario(shape: PathShape): Scenario {
  const { paths, capMbit, delayMs, jitter, goal } = shape;
  const delays = jitter === undefined ? `${delayMs} ms` : `${delayMs} + 0–${jitter.ms} ms`;
  /** One path; each path (and each run) draws its own delays from `seed`. */
  const path = (seed: number): PathSpec =>
    jitter === undefined ? bottleneck(capMbit, delayMs) : { ...bottleneck(capMbit, delayMs), jitter: { ...jitter, random: seededRandom(seed) } };
  const kind = jitter === undefined ? '' : 'jittery ';
  return {
    name: shape.name,
    title: `one stream over ${paths} × ${capMbit} Mbit/s paths of ${delayMs} ms one way${jitter === undefined ? '' : ` + 0–${jitter.ms} ms jitter each way`}`,
    async run(ctx: Context, rec: Recorder) {
      const seconds = ctx.quick ? shape.seconds.quick : shape.seconds.full;
      const omit = OMIT_SECONDS;
      const sum = mbit(capMbit) * paths;
      const sink = await startThroughputSink(ctx);
      rec.data.settings = {
        paths,
        capMbitPerPath: capMbit,
        oneWayDelayMs: delayMs,
        jitterMs: jitter?.ms ?? 0,
        jitterEveryMs: jitter?.everyMs ?? 0,
        pathQueue: bottleneck(capMbit, delayMs).pathQueue,
        seconds,
        omit,
        tool: sink.tool,
      };
      try {
        const plain = await plainThroughput(ctx, sink, path(61), `one ${kind}${capMbit} Mbit/s path`, seconds, omit, mbit(capMbit));
        const rig = await startRig({ targetPort: sink.port, paths: Array.from({ length: paths }, (_, i) => path(71 + i)), carriers: 1 });
        try {
          for (const dir of ['up', 'down'] as const) {
            ctx.log(`mpx ${dir}load over ${paths} ${kind}paths, ${seconds} s`);
            const before = pathBytes(rig.paths, dir);
            const r = await measureThroughput(sink, rig.port, dir, seconds, omit, sum);
            const perPath = diff(pathBytes(rig.paths, dir), before);
            const eff = r.bytesPerSecond / sum;
            const plainEff = plain[dir] / mbit(capMbit);
            const lowest = r.intervals === undefined ? undefined : Math.min(...r.intervals.slice(omit));
            rec.data[dir] = {
              plainBytesPerSecond: plain[dir],
              mpxBytesPerSecond: r.bytesPerSecond,
              efficiency: eff,
              plainEfficiency: plainEff,
              perPathShares: shares(perPath),
              clientIntervalsBytesPerSecond: r.intervals,
            };
            const start = dir === 'down' ? startupNote(`${shape.name} download`, r.intervals, omit, sum) : null;
            if (start !== null) rec.note(start);
            rec.row({
              case: `${dir === 'up' ? 'upload' : 'download'}, ${paths} × ${capMbit} Mbit/s, ${delays}`,
              plain: `${formatMbit(plain[dir])} (${formatRatio(plainEff)} of ${capMbit})`,
              mpx: `${formatMbit(r.bytesPerSecond)} (${formatRatio(eff)} of ${capMbit * paths}${lowest === undefined ? '' : `; lowest 1-s ${formatRatio(lowest / sum)}`})`,
              goal: `≥ ${goal} of sum`,
              status: verdict(eff >= goal),
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
}
