// bidir (issue 14, goal 4): one bulk stream each way at once over four paths
// capped 20 Mbit/s in total each (deep queues), for 60 s (15 s with
// --quick). Measured: each direction's rate in every 1-s window after the
// ramp-up (down at the receiver, up through the paths: see deliveredBytes);
// the lowest window counts. Three fresh tunnels (one with --quick);
// the worst run counts.

import { setTimeout as sleep } from 'node:timers/promises';
import { RateSampler, deliveredBytes, startBulk, worstOf } from '../bulk.js';
import { formatMbit, formatRatio, mbit } from '../format.js';
import { wallNow } from '../gaps.js';
import { bottleneck, withRig } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const PATHS = 4;
const CAP_MBIT = 20;
const DELAY_MS = 10;
const GOAL = 0.93;
const REPEATS = 3;
const WINDOW_MS = 1000;

interface BidirRun {
  /** Per 1-s window after the ramp-up, bytes/s. */
  down: number[];
  up: number[];
  minRatio: number;
}

async function runOnce(ctx: Context, seed: number, rampMs: number, runMs: number): Promise<BidirRun> {
  const capacity = mbit(CAP_MBIT * PATHS);
  return withRig(
    { targetPort: ctx.targetPort, paths: Array.from({ length: PATHS }, () => bottleneck(CAP_MBIT, DELAY_MS)), carriers: 1 },
    async (rig) => {
      const down = startBulk(rig.port, 'down', seed);
      const up = startBulk(rig.port, 'up', seed + 1);
      const sampler = new RateSampler();
      const t0 = wallNow();
      const upBytes = deliveredBytes(up, rig.paths);
      sampler.start(() => [down.bytes(), upBytes()]);
      try {
        await sleep(rampMs + runMs);
      } finally {
        sampler.stop();
        down.stop();
        up.stop();
      }
      const rates = (i: number): number[] => sampler.windows(i, t0 + rampMs, t0 + rampMs + runMs, WINDOW_MS).map((w) => w.rate);
      const r = { down: rates(0), up: rates(1) };
      const minRatio = Math.min(...r.down, ...r.up) / capacity;
      ctx.log(`lowest 1-s window ↓${formatMbit(Math.min(...r.down))} ↑${formatMbit(Math.min(...r.up))} of ${formatMbit(capacity)}`);
      return { ...r, minRatio };
    },
  );
}

export const bidir: Scenario = {
  name: 'bidir',
  title: `bulk both ways at once over ${PATHS} × ${CAP_MBIT} Mbit/s (caps per path, deep queues)`,
  async run(ctx: Context, rec: Recorder) {
    const reps = ctx.quick ? 1 : REPEATS;
    const rampMs = ctx.quick ? 3000 : 5000;
    const runMs = ctx.quick ? 15_000 : 60_000;
    const capacity = mbit(CAP_MBIT * PATHS);
    rec.data.settings = {
      paths: PATHS,
      capMbitPerPath: CAP_MBIT,
      oneWayDelayMs: DELAY_MS,
      pathQueue: bottleneck(1, DELAY_MS).pathQueue,
      carriersPerPath: 1,
      rampMs,
      runMs,
      windowMs: WINDOW_MS,
      repeats: reps,
      goal: GOAL,
    };
    const { runs, worst } = await worstOf(
      reps,
      (i) => runOnce(ctx, 81 + 2 * i, rampMs, runMs),
      (r) => -r.minRatio,
    );
    rec.data.runs = runs;
    const of = reps > 1 ? `, worst of ${reps} runs` : '';
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    for (const dir of ['down', 'up'] as const) {
      const w = worst[dir];
      const lo = Math.min(...w);
      rec.row({
        case: `${dir === 'down' ? '↓' : '↑'} lowest 1-s window over ${runMs / 1000} s (mean${of})`,
        plain: '',
        mpx: `${formatMbit(lo)} = ${formatRatio(lo / capacity)} (mean ${formatMbit(mean(w))})`,
        goal: `≥ ${GOAL} of ${formatMbit(capacity)}`,
        status: verdict(lo / capacity >= GOAL),
      });
    }
  },
};
