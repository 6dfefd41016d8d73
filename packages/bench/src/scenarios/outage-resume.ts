// outage-resume (issue 14, goal 1): a download runs over two paths with two
// carriers each; every path goes down for 2, 5 and 10 s in turn — open
// connections reset, new ones refused — and comes back. Measured: how long
// after the paths came back the first byte arrived at the downloader. Three
// fresh tunnels (one with --quick) each go through every outage; the worst
// run counts. Also recorded: when the client logged its first carrier up
// after the return (redial wait + handshake, as seen on the client's stdout).

import { setTimeout as sleep } from 'node:timers/promises';
import { startBulk, worstOf } from '../bulk.js';
import { formatMs } from '../format.js';
import { resumedAfter, wallNow } from '../gaps.js';
import { bottleneck, withRig } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';

const OUTAGES_MS = [2000, 5000, 10_000];
const PATHS = 2;
const CARRIERS = 2;
const CAP_MBIT = 20;
const DELAY_MS = 5;
const GOAL_MS = 300;
const REPEATS = 3;
/** Flow before the first outage and between outages. */
const FLOW_MS = 1500;
/** Give up on a resume after this long. */
const RESUME_TIMEOUT_MS = 30_000;

interface OutageRun {
  /** ms from the paths' return to the first byte, per outage (Infinity: none within the timeout). */
  resumeMs: number[];
  /** ms from the paths' return to the client's first "carrier … up" line, per outage. */
  carrierUpMs: number[];
  /** ms from the paths' return to each of the first four "carrier … up" lines, per outage. */
  carriersUpMs: number[][];
  error: string | undefined;
}

async function runOnce(ctx: Context, seed: number): Promise<OutageRun> {
  return withRig(
    { targetPort: ctx.targetPort, paths: Array.from({ length: PATHS }, () => bottleneck(CAP_MBIT, DELAY_MS)), carriers: CARRIERS },
    async (rig) => {
      const bulk = startBulk(rig.port, 'down', seed);
      const resumeMs: number[] = [];
      const carrierUpMs: number[] = [];
      const carriersUpMs: number[][] = [];
      const ups: number[] = [];
      rig.client.child.onLine((l) => {
        if (/carrier #\d+ to \S+ up/.test(l)) ups.push(wallNow());
      });
      try {
        await sleep(FLOW_MS);
        for (const ms of OUTAGES_MS) {
          for (const p of rig.paths) p.down(undefined, 'refuse');
          await sleep(ms);
          const before = bulk.bytes();
          for (const p of rig.paths) p.up();
          const upAt = wallNow();
          for (let i = 0; i < RESUME_TIMEOUT_MS / 10 && bulk.bytes() === before && bulk.error() === undefined; i++) await sleep(10);
          const resumed = bulk.bytes() > before;
          resumeMs.push(resumed ? resumedAfter(bulk.timeline.summary().gaps, upAt) : Infinity);
          await sleep(300); // let the other carriers come up before reading the log's times
          carriersUpMs.push(
            ups
              .filter((t) => t >= upAt)
              .slice(0, 4)
              .map((t) => Math.round(t - upAt)),
          );
          carrierUpMs.push(carriersUpMs.at(-1)?.[0] ?? Infinity);
          ctx.log(
            `outage of ${formatMs(ms)}: first byte ${resumed ? `${formatMs(resumeMs.at(-1)!)} after the paths came back` : `not within ${formatMs(RESUME_TIMEOUT_MS)}`}, carriers up after ${carriersUpMs.at(-1)!.join(', ')} ms`,
          );
          if (!resumed) break;
          await sleep(FLOW_MS - 300);
        }
      } finally {
        bulk.stop();
      }
      return { resumeMs, carrierUpMs, carriersUpMs, error: bulk.error() };
    },
  );
}

export const outageResume: Scenario = {
  name: 'outage-resume',
  title: `every path down ${OUTAGES_MS.map((m) => m / 1000).join(', ')} s (resets, refusals): first byte after they return`,
  async run(ctx: Context, rec: Recorder) {
    const reps = ctx.quick ? 1 : REPEATS;
    rec.data.settings = {
      outagesMs: OUTAGES_MS,
      paths: PATHS,
      carriersPerPath: CARRIERS,
      capMbitPerPath: CAP_MBIT,
      oneWayDelayMs: DELAY_MS,
      repeats: reps,
      goalMs: GOAL_MS,
      fault: "netem down(…, 'refuse'): open connections reset, new ones reset on accept",
    };
    const worstMs = (r: OutageRun): number => (r.resumeMs.length < OUTAGES_MS.length ? Infinity : Math.max(...r.resumeMs));
    const { runs, worst } = await worstOf(reps, (i) => runOnce(ctx, 41 + i), worstMs);
    rec.data.runs = runs;
    rec.data.worst = worst;
    const of = reps > 1 ? ` (worst of ${reps} runs)` : '';
    OUTAGES_MS.forEach((ms, k) => {
      const each = runs.map((r) => r.resumeMs[k] ?? Infinity);
      const w = Math.max(...each);
      rec.row({
        case: `first byte after a ${ms / 1000} s outage${of}`,
        plain: '',
        mpx: Number.isFinite(w) ? formatMs(w) : 'never',
        goal: `≤ ${formatMs(GOAL_MS)}`,
        status: verdict(w <= GOAL_MS),
      });
    });
    if (reps > 1) rec.note(`outage-resume: per run ${runs.map((r) => r.resumeMs.map((m) => formatMs(m)).join('/')).join('; ')}`);
    if (worst.error !== undefined) rec.note(`outage-resume: the download saw ${worst.error}`);
  },
};
