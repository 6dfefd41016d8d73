// shared-bottleneck (issue 14, goal 2): two paths each capped in total (every
// connection on a path shares its cap, a deep queue in front of it), 1, 2, 4
// and 8 carriers per path, weights 1:1 over 30 + 30 Mbit/s and 1:2 over
// 20 + 40 Mbit/s, one bulk stream each way in turn. Measured: the stream's
// rate over MEASURE seconds after a ramp-up (downloads at the receiver,
// uploads through the paths: see deliveredBytes), as a share of the sum of caps.
// Each measurement runs three times on fresh tunnels (once with --quick); the
// worst counts.

import { setTimeout as sleep } from 'node:timers/promises';
import { deliveredBytes, startBulk, worstOf } from '../bulk.js';
import { formatMbit, formatRatio, mbit } from '../format.js';
import { wallNow } from '../gaps.js';
import { bottleneck, withRig } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const POOLS = [1, 2, 4, 8];
const SPLITS = [
  { name: '1:1', capsMbit: [30, 30], weights: [1, 1] },
  { name: '1:2', capsMbit: [20, 40], weights: [1, 2] },
] as const;
const DIRS = ['down', 'up'] as const;
const DELAY_MS = 10;
const GOAL = 0.93;
const REPEATS = 3;

interface Measurement {
  pool: number;
  split: string;
  dir: 'up' | 'down';
  bytesPerSecond: number;
  ratio: number;
}

/** One tunnel for a pool size and split; each direction measured in turn. */
async function runPool(ctx: Context, pool: number, split: (typeof SPLITS)[number], seed: number): Promise<Measurement[]> {
  const rampMs = ctx.quick ? 2000 : 3000;
  const measureMs = ctx.quick ? 5000 : 10_000;
  const sum = mbit(split.capsMbit.reduce((a, b) => a + b, 0));
  return withRig(
    { targetPort: ctx.targetPort, paths: split.capsMbit.map((c) => bottleneck(c, DELAY_MS)), weights: split.weights, carriers: pool },
    async (rig) => {
      const out: Measurement[] = [];
      for (const dir of DIRS) {
        const bulk = startBulk(rig.port, dir, seed);
        const bytes = deliveredBytes(bulk, rig.paths);
        try {
          await sleep(rampMs);
          const [b0, t0] = [bytes(), wallNow()];
          await sleep(measureMs);
          const rate = ((bytes() - b0) * 1000) / (wallNow() - t0);
          out.push({ pool, split: split.name, dir, bytesPerSecond: rate, ratio: rate / sum });
          ctx.log(`${pool} carriers per path, ${split.name}, ${dir}: ${formatMbit(rate)} = ${formatRatio(rate / sum)} of ${formatMbit(sum)}`);
        } finally {
          bulk.stop();
        }
        await sleep(300); // let the queues drain before the other direction
      }
      return out;
    },
  );
}

export const sharedBottleneck: Scenario = {
  name: 'shared-bottleneck',
  title: `1–8 carriers per path over two paths capped in total (deep queue), weights 1:1 and 1:2, each way`,
  async run(ctx: Context, rec: Recorder) {
    const reps = ctx.quick ? 1 : REPEATS;
    rec.data.settings = {
      pools: POOLS,
      splits: SPLITS,
      oneWayDelayMs: DELAY_MS,
      pathQueue: bottleneck(1, DELAY_MS).pathQueue,
      rampMs: ctx.quick ? 2000 : 3000,
      measureMs: ctx.quick ? 5000 : 10_000,
      repeats: reps,
      goal: GOAL,
    };
    const all: Measurement[] = [];
    for (const pool of POOLS) {
      for (const split of SPLITS) {
        const { runs } = await worstOf(
          reps,
          (i) => runPool(ctx, pool, split, 61 + i),
          () => 0,
        );
        all.push(...runs.flat());
      }
    }
    rec.data.measurements = all;
    const of = reps > 1 ? `, worst of ${reps} runs` : '';
    for (const pool of POOLS) {
      const mine = all.filter((m) => m.pool === pool);
      const worst = mine.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      const cell = (split: string, dir: string): string =>
        formatRatio(Math.min(...mine.filter((m) => m.split === split && m.dir === dir).map((m) => m.ratio)));
      rec.row({
        case: `${pool} carrier${pool > 1 ? 's' : ''} per path (worst of 1:1/1:2 × ↓/↑${of})`,
        plain: '',
        mpx: `${formatRatio(worst.ratio)} (${worst.split} ${worst.dir === 'down' ? '↓' : '↑'}; 1:1 ↓${cell('1:1', 'down')} ↑${cell('1:1', 'up')}, 1:2 ↓${cell('1:2', 'down')} ↑${cell('1:2', 'up')})`,
        goal: `≥ ${GOAL} of the sum of caps`,
        status: verdict(worst.ratio >= GOAL),
      });
    }
  },
};
