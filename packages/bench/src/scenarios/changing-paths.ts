// changing-paths (issue 14, goal 5): a download over two paths capped
// 40 Mbit/s in total each (deep queues, two carriers each). Path 1's cap
// drops to 5 Mbit/s and comes back; later its RTT jumps from 20 to 200 ms.
// Measured: the longest pause in delivery; how soon after each cap change the
// rate (over 0.5-s windows, 0.1 s apart) is back to ≥ 0.9 of the new sum of
// caps; how soon after the RTT jump path 1 carries ≤ 10 % of the bytes over
// a 1-s window (the load has moved off it). Three fresh tunnels (one with
// --quick); the worst run counts.

import { setTimeout as sleep } from 'node:timers/promises';
import { RateSampler, recoveredAt, startBulk, worstOf } from '../bulk.js';
import { formatMs, mbit } from '../format.js';
import { wallNow } from '../gaps.js';
import { bottleneck, withRig } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const CAP_MBIT = 40;
const LOW_MBIT = 5;
const DELAY_MS = 10;
const SLOW_DELAY_MS = 100;
const CARRIERS = 2;
const RAMP_MS = 3000;
const PAUSE_GOAL_MS = 1000;
const RECOVER_GOAL_MS = 2000;
const MOVE_GOAL_MS = 2000;
const MOVED_SHARE = 0.1;
const REPEATS = 3;

interface ChangeRun {
  longestPauseMs: number;
  /** ms after the drop / the return until ≥ 0.9 of the new sum (Infinity: never in the phase). */
  recoverDropMs: number;
  recoverReturnMs: number;
  /** ms after the RTT jump until path 1's share of a 1-s window ≤ MOVED_SHARE. */
  moveOffMs: number;
  /** Path 1's share before and in the last second after the jump. */
  shareBefore: number;
  shareAfter: number;
}

async function runOnce(ctx: Context, seed: number): Promise<ChangeRun> {
  const lowMs = ctx.quick ? 5000 : 10_000;
  const afterMs = ctx.quick ? 4000 : 8000;
  return withRig(
    { targetPort: ctx.targetPort, paths: [bottleneck(CAP_MBIT, DELAY_MS), bottleneck(CAP_MBIT, DELAY_MS)], carriers: CARRIERS },
    async (rig) => {
      const [p1, p2] = rig.paths as [(typeof rig.paths)[0], (typeof rig.paths)[0]];
      const bulk = startBulk(rig.port, 'down', seed);
      const sampler = new RateSampler();
      sampler.start(() => [bulk.bytes(), p1.stats().bytesDown, p2.stats().bytesDown]);
      const t: Record<'drop' | 'back' | 'jump' | 'end', number> = { drop: 0, back: 0, jump: 0, end: 0 };
      try {
        await sleep(RAMP_MS);
        t.drop = wallNow();
        p1.setRate({ pathRate: mbit(LOW_MBIT) });
        await sleep(lowMs);
        t.back = wallNow();
        p1.setRate({ pathRate: mbit(CAP_MBIT) });
        await sleep(afterMs);
        t.jump = wallNow();
        p1.setDelay(SLOW_DELAY_MS);
        await sleep(afterMs);
        t.end = wallNow();
      } finally {
        sampler.stop();
        bulk.stop();
      }
      const gaps = bulk.timeline.summary().gaps.filter((g) => g.to >= t.drop);
      const longestPauseMs = Math.max(0, ...gaps.map((g) => g.to - g.from));
      const since = (at: number | null, from: number): number => (at === null ? Infinity : at - from);
      const recoverDropMs = since(recoveredAt(sampler, 0, t.drop, t.back, 0.9 * mbit(CAP_MBIT + LOW_MBIT)), t.drop);
      const recoverReturnMs = since(recoveredAt(sampler, 0, t.back, t.jump, 0.9 * mbit(2 * CAP_MBIT)), t.back);
      const share = (from: number, to: number): number => {
        const a = sampler.rate(1, from, to);
        const b = sampler.rate(2, from, to);
        return a + b === 0 ? 0 : a / (a + b);
      };
      let moveOffMs = Infinity;
      for (let s = t.jump; s + 1000 <= t.end; s += 100) {
        if (share(s, s + 1000) <= MOVED_SHARE) {
          moveOffMs = s + 1000 - t.jump;
          break;
        }
      }
      const run = {
        longestPauseMs,
        recoverDropMs,
        recoverReturnMs,
        moveOffMs,
        shareBefore: share(t.jump - 1000, t.jump),
        shareAfter: share(t.end - 1000, t.end),
      };
      ctx.log(
        `pause ${formatMs(longestPauseMs)}, recovered ${formatMs(recoverDropMs)} after the drop and ${formatMs(recoverReturnMs)} after the return, slow path's share ${run.shareBefore.toFixed(2)} → ${run.shareAfter.toFixed(2)}`,
      );
      return run;
    },
  );
}

const fmt = (ms: number): string => (Number.isFinite(ms) ? formatMs(ms) : 'never');

export const changingPaths: Scenario = {
  name: 'changing-paths',
  title: `path 1 of 2 × ${CAP_MBIT} Mbit/s drops to ${LOW_MBIT} Mbit/s and back, then its RTT jumps ${2 * DELAY_MS} → ${2 * SLOW_DELAY_MS} ms`,
  async run(ctx: Context, rec: Recorder) {
    const reps = ctx.quick ? 1 : REPEATS;
    rec.data.settings = {
      capMbit: CAP_MBIT,
      lowMbit: LOW_MBIT,
      oneWayDelayMs: DELAY_MS,
      slowOneWayDelayMs: SLOW_DELAY_MS,
      carriersPerPath: CARRIERS,
      pathQueue: bottleneck(1, DELAY_MS).pathQueue,
      rampMs: RAMP_MS,
      lowMs: ctx.quick ? 5000 : 10_000,
      movedShare: MOVED_SHARE,
      repeats: reps,
    };
    const score = (r: ChangeRun): number =>
      Math.max(r.longestPauseMs / PAUSE_GOAL_MS, r.recoverDropMs / RECOVER_GOAL_MS, r.recoverReturnMs / RECOVER_GOAL_MS, r.moveOffMs / MOVE_GOAL_MS);
    const { runs, worst } = await worstOf(reps, (i) => runOnce(ctx, 91 + i), score);
    rec.data.runs = runs;
    const of = reps > 1 ? ` (worst of ${reps} runs)` : '';
    rec.row({
      case: `longest pause in delivery${of}`,
      plain: '',
      mpx: fmt(worst.longestPauseMs),
      goal: `≤ ${formatMs(PAUSE_GOAL_MS)}`,
      status: verdict(worst.longestPauseMs <= PAUSE_GOAL_MS),
    });
    rec.row({
      case: `≥ 0.9 of ${CAP_MBIT + LOW_MBIT} Mbit/s after the drop${of}`,
      plain: '',
      mpx: fmt(worst.recoverDropMs),
      goal: `≤ ${formatMs(RECOVER_GOAL_MS)}`,
      status: verdict(worst.recoverDropMs <= RECOVER_GOAL_MS),
    });
    rec.row({
      case: `≥ 0.9 of ${2 * CAP_MBIT} Mbit/s after the return${of}`,
      plain: '',
      mpx: fmt(worst.recoverReturnMs),
      goal: `≤ ${formatMs(RECOVER_GOAL_MS)}`,
      status: verdict(worst.recoverReturnMs <= RECOVER_GOAL_MS),
    });
    rec.row({
      case: `load off the ${2 * SLOW_DELAY_MS} ms path (≤ ${MOVED_SHARE * 100} % of a 1-s window)${of}`,
      plain: '',
      mpx: `${fmt(worst.moveOffMs)} (share ${worst.shareBefore.toFixed(2)} → ${worst.shareAfter.toFixed(2)})`,
      goal: `≤ ${formatMs(MOVE_GOAL_MS)}`,
      status: verdict(worst.moveOffMs <= MOVE_GOAL_MS),
    });
  },
};
