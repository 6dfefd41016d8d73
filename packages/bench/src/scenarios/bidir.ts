// bidir (issue 14, goal 4): one bulk stream each way at once over four paths
// capped 20 Mbit/s in total each (deep queues), for 60 s (15 s with
// --quick). Measured: each direction's rate in every 1-s window after the
// ramp-up (down at the receiver, up through the paths: see deliveredBytes);
// the lowest window counts. Three fresh tunnels (one with --quick);
// the worst run counts. Each run also says how long the tunnel's two
// processes and the bench's own (which emulates the paths) waited in a run
// queue for a core, and how late the emulator's event loop ran: with
// every process on one machine, a wait there is a late ACK to the tunnel's
// in-flight cap (SPEC §8), and a late release of the paths' bytes.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateSampler, deliveredBytes, startBulk, worstOf } from '../bulk.js';
import { formatCoreWaits, formatMbit, formatMs, formatRatio, mbit } from '../format.js';
import { wallNow } from '../gaps.js';
import { bottleneck, withRig } from '../harness.js';
import { coreUse, readCoreTime } from '../proc.js';
import type { CoreUse } from '../proc.js';
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
  /** Over the measured part: each process's run-queue wait (see the file comment). */
  cores: Array<{ name: string; use: CoreUse | null }>;
  /** The bench process's event-loop delay over the measured part, ms. */
  emulatorLoopMs: { p99: number; max: number };
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
      const procs = [
        { name: 'mpx client', pid: rig.client.child.pid },
        { name: 'mpx server', pid: rig.server.child.pid },
        { name: 'bench (emulator)', pid: process.pid },
      ];
      const loop = monitorEventLoopDelay({ resolution: 1 });
      let cores: BidirRun['cores'];
      try {
        await sleep(rampMs);
        const before = procs.map((p) => readCoreTime(p.pid));
        loop.enable();
        await sleep(runMs);
        cores = procs.map((p, i) => ({ name: p.name, use: coreUse(before[i] ?? null, readCoreTime(p.pid), runMs / 1000) }));
      } finally {
        loop.disable();
        sampler.stop();
        down.stop();
        up.stop();
      }
      const emulatorLoopMs = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      const rates = (i: number): number[] => sampler.windows(i, t0 + rampMs, t0 + rampMs + runMs, WINDOW_MS).map((w) => w.rate);
      const r = { down: rates(0), up: rates(1) };
      const minRatio = Math.min(...r.down, ...r.up) / capacity;
      ctx.log(`lowest 1-s window ↓${formatMbit(Math.min(...r.down))} ↑${formatMbit(Math.min(...r.up))} of ${formatMbit(capacity)}`);
      ctx.log(`  ${describeMachine(cores, emulatorLoopMs)}`);
      return { ...r, minRatio, cores, emulatorLoopMs };
    },
  );
}

function describeMachine(cores: BidirRun['cores'], loop: BidirRun['emulatorLoopMs']): string {
  return `${formatCoreWaits(cores)}; the emulator's event loop late by ${formatMs(loop.p99)} at p99, ${formatMs(loop.max)} at most`;
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
    rec.note(`bidir, worst run: ${describeMachine(worst.cores, worst.emulatorLoopMs)}`);
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
