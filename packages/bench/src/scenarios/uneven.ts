// uneven paths: two paths capped differently (20 and 40 Mbit/s), one
// carrier each, with matching weights (1|2) and with weights left at 1.
// Baseline: one plain TCP connection through the faster path.

import { formatMbit, formatPercent, formatRatio, mbit } from '../format.js';
import { OMIT_SECONDS, plainThroughput, diff, measureThroughput, startupNote, pathBytes, shares, startRig, startThroughputSink } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const CAPS_MBIT = [20, 40] as const;
const DELAY_MS = 5;
const GOAL = 0.9;

export const uneven: Scenario = {
  name: 'uneven',
  title: `two paths, ${CAPS_MBIT.join(' and ')} Mbit/s per connection, weights 1|2 and 1|1`,
  async run(ctx: Context, rec: Recorder) {
    const seconds = ctx.quick ? 3 : 6;
    const omit = OMIT_SECONDS;
    const specs: PathSpec[] = CAPS_MBIT.map((c) => ({ perConnectionRate: mbit(c), delayMs: DELAY_MS }));
    const sum = CAPS_MBIT.reduce((a, c) => a + mbit(c), 0);
    const fastest = Math.max(...CAPS_MBIT);
    const sink = await startThroughputSink(ctx);
    rec.data.settings = { capsMbit: CAPS_MBIT, oneWayDelayMs: DELAY_MS, seconds, omit, tool: sink.tool };
    try {
      const plain = await plainThroughput(
        ctx,
        sink,
        { perConnectionRate: mbit(fastest), delayMs: DELAY_MS },
        `the ${fastest} Mbit/s path`,
        seconds,
        omit,
        mbit(fastest),
      );
      for (const weights of [
        [1, 2],
        [1, 1],
      ] as const) {
        const w = weights.join('|');
        const rig = await startRig({ targetPort: sink.port, paths: specs, weights, carriers: 1 });
        try {
          for (const dir of ['up', 'down'] as const) {
            ctx.log(`mpx ${dir}load, weights ${w}, ${seconds} s`);
            const before = pathBytes(rig.paths, dir);
            const r = await measureThroughput(sink, rig.port, dir, seconds, omit, sum);
            const perPath = diff(pathBytes(rig.paths, dir), before);
            const eff = r.bytesPerSecond / sum;
            const { retransmits } = await rig.client.metrics();
            rec.data[`${dir} weights ${w}`] = {
              plainBytesPerSecond: plain[dir],
              mpxBytesPerSecond: r.bytesPerSecond,
              efficiency: eff,
              perPathBytes: perPath,
              perPathShare: shares(perPath),
              retransmits,
              clientIntervalsBytesPerSecond: r.intervals,
            };
            const start = dir === 'down' ? startupNote(`uneven download weights ${w}`, r.intervals, omit, sum) : null;
            if (start !== null) rec.note(start);
            rec.row({
              case: `${dir === 'up' ? 'upload' : 'download'}, weights ${w}`,
              plain: `${formatMbit(plain[dir])} (${fastest} path)`,
              mpx: `${formatMbit(r.bytesPerSecond)} (${formatRatio(eff)} of ${CAPS_MBIT.reduce((a, b) => a + b, 0)})`,
              goal: `≥ ${GOAL} of sum`,
              status: verdict(eff >= GOAL),
            });
            const split = shares(perPath).map(formatPercent).join(' / ');
            if (eff < GOAL)
              rec.note(
                `uneven ${dir} weights ${w}: bytes split ${split} over the ${CAPS_MBIT.join(' / ')} Mbit/s paths (capacity split 33% / 67%); retransmissions ${retransmits}`,
              );
          }
        } finally {
          await rig.stop();
        }
      }
    } finally {
      await sink.stop();
    }
  },
};
