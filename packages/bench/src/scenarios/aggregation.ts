// aggregation: one stream over 4 carriers, each connection capped (the
// per-flow QoS case): efficiency = throughput ÷ sum of the caps, both ways.
// Baseline: one plain TCP connection through one identical path.

import { formatMbit, formatPercent, formatRatio, mbit } from '../format.js';
import { OMIT_SECONDS, plainThroughput, diff, measureThroughput, startupNote, pathBytes, shares, startRig, startThroughputSink } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const CAP_MBIT = 20;
const CARRIERS = 4;
const DELAY_MS = 5;
const GOAL = 0.95;

export const aggregation: Scenario = {
  name: 'aggregation',
  title: `one stream over ${CARRIERS} carriers, each connection capped at ${CAP_MBIT} Mbit/s`,
  async run(ctx: Context, rec: Recorder) {
    const seconds = ctx.quick ? 3 : 6;
    const omit = OMIT_SECONDS;
    const spec: PathSpec = { perConnectionRate: mbit(CAP_MBIT), delayMs: DELAY_MS };
    const sum = mbit(CAP_MBIT) * CARRIERS;
    const sink = await startThroughputSink(ctx);
    rec.data.settings = { carriers: CARRIERS, capMbit: CAP_MBIT, oneWayDelayMs: DELAY_MS, seconds, omit, tool: sink.tool };
    try {
      const plain = await plainThroughput(ctx, sink, spec, `one ${CAP_MBIT} Mbit/s path`, seconds, omit, mbit(CAP_MBIT));
      const rig = await startRig({ targetPort: sink.port, paths: Array.from({ length: CARRIERS }, () => spec), carriers: 1 });
      try {
        for (const dir of ['up', 'down'] as const) {
          ctx.log(`mpx ${dir}load over ${CARRIERS} × ${CAP_MBIT} Mbit/s, ${seconds} s`);
          const before = pathBytes(rig.paths, dir);
          const r = await measureThroughput(sink, rig.port, dir, seconds, omit, sum);
          const perPath = diff(pathBytes(rig.paths, dir), before);
          const eff = r.bytesPerSecond / sum;
          const plainEff = plain[dir] / mbit(CAP_MBIT);
          const { retransmits } = await rig.client.metrics();
          rec.data[dir] = {
            plainBytesPerSecond: plain[dir],
            mpxBytesPerSecond: r.bytesPerSecond,
            efficiency: eff,
            plainEfficiency: plainEff,
            perPathBytes: perPath,
            retransmits,
            clientIntervalsBytesPerSecond: r.intervals,
          };
          const start = dir === 'down' ? startupNote(`aggregation download`, r.intervals, omit, sum) : null;
          if (start !== null) rec.note(start);
          rec.row({
            case: `${dir === 'up' ? 'upload' : 'download'}, ${CARRIERS} × ${CAP_MBIT} Mbit/s`,
            plain: `${formatMbit(plain[dir])} (${formatRatio(plainEff)} of ${CAP_MBIT})`,
            mpx: `${formatMbit(r.bytesPerSecond)} (${formatRatio(eff)} of ${CAP_MBIT * CARRIERS})`,
            goal: `≥ ${GOAL} of sum`,
            status: verdict(eff >= GOAL),
          });
          if (eff < GOAL) {
            rec.note(
              `aggregation ${dir}: per-path share of bytes ${shares(perPath).map(formatPercent).join(' / ')} (even would be ${formatPercent(1 / CARRIERS)} each); mpx retransmissions so far ${retransmits}`,
            );
          }
        }
      } finally {
        await rig.stop();
      }
    } finally {
      await sink.stop();
    }
  },
};
