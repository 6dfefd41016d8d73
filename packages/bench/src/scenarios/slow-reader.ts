// slow reader: while one stream's reader is slow (a slow sink upstream, a
// slow application downstream), another stream keeps its full speed and the
// tunnel's memory grows by about one stream window (SPEC §7.1), not by what
// the slow streams were offered. Phase 1: a fast download alone; phase 2:
// the same download while one slow upload and one slow download are pushed
// as hard as the tunnel accepts. Compared: the fast stream's throughput and
// the peak RSS of client and server (VmRSS polled every 50 ms) per phase.

import { DEFAULTS } from '@mpx/core';
import { patternSha256 } from '../data.js';
import { formatBytes, formatMbit, formatMiB, formatRatio, mbit } from '../format.js';
import { startRig } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { RssPoller, readMemory } from '../proc.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { download, floodSlowSink } from '../transfer.js';

const CAP_MBIT = 20;
const CARRIERS = 4;
const DELAY_MS = 5;
const SLOW_RATE = 100_000;
const FILL_MS = 3000;
const SPEED_GOAL = 0.9;
/** One stream window held, plus as much again for buffers and allocator slack. */
const GROWTH_GOAL = 2 * DEFAULTS.streamWindow;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const slowReader: Scenario = {
  name: 'slow-reader',
  title: `a slow reader on one stream, another stream at full speed (${CARRIERS} × ${CAP_MBIT} Mbit/s)`,
  async run(ctx: Context, rec: Recorder) {
    const length = (ctx.quick ? 16 : 40) * 1e6;
    const spec: PathSpec = { perConnectionRate: mbit(CAP_MBIT), delayMs: DELAY_MS };
    rec.data.settings = {
      carriers: CARRIERS,
      capMbit: CAP_MBIT,
      oneWayDelayMs: DELAY_MS,
      fastBytes: length,
      slowReadRate: SLOW_RATE,
      fillMs: FILL_MS,
      streamWindow: DEFAULTS.streamWindow,
      growthGoal: GROWTH_GOAL,
    };
    const rig = await startRig({ targetPort: ctx.targetPort, paths: Array.from({ length: CARRIERS }, () => spec), carriers: 1 });
    const rss = new RssPoller({ client: rig.client.child.pid, server: rig.server.child.pid });
    const sha = patternSha256(31, length);
    try {
      ctx.log(`phase 1: fast download of ${formatBytes(length)} alone`);
      rss.takePeaks();
      const alone = await download({ port: rig.port, id: 1, seed: 31, length, expectedSha256: sha });
      const peak1 = rss.takePeaks();
      const before = { client: readMemory(rig.client.child.pid)?.rss ?? NaN, server: readMemory(rig.server.child.pid)?.rss ?? NaN };

      ctx.log(`phase 2: slow upload + slow download (${formatBytes(SLOW_RATE)}/s readers), then the fast download again`);
      const slowUp = floodSlowSink(rig.port, SLOW_RATE);
      const ctl = new AbortController();
      const slowDown = download({ port: rig.port, id: 3, seed: 33, length: 1e12, expectedSha256: '', readRate: SLOW_RATE, signal: ctl.signal });
      await sleep(FILL_MS);
      const filled = { client: readMemory(rig.client.child.pid)?.rss ?? NaN, server: readMemory(rig.server.child.pid)?.rss ?? NaN };
      const together = await download({ port: rig.port, id: 2, seed: 31, length, expectedSha256: sha });
      const peak2 = rss.takePeaks();
      const slowAccepted = slowUp.accepted();
      const slowAlive = !slowUp.socket.destroyed;
      slowUp.socket.destroy();
      ctl.abort();
      const slowDownResult = await slowDown;

      const speed = (r: typeof alone): number => (r.ok && r.timeline?.firstAt != null ? r.bytes / ((r.doneAt - r.startAt) / 1000) : 0);
      const s1 = speed(alone);
      const s2 = speed(together);
      const growth = { client: (peak2.client ?? 0) - (peak1.client ?? 0), server: (peak2.server ?? 0) - (peak1.server ?? 0) };
      rec.data.phase1 = { ok: alone.ok, bytesPerSecond: s1, peakRss: peak1 };
      rec.data.phase2 = {
        ok: together.ok,
        bytesPerSecond: s2,
        peakRss: peak2,
        slowUploadAcceptedBytes: slowAccepted,
        slowUploadAlive: slowAlive,
        slowDownloadReadBytes: slowDownResult.bytes,
      };
      rec.data.rssGrowth = growth;
      rec.data.rssBeforeSlow = before;
      rec.data.rssAfterSlowFill = filled;

      const ratio = s1 > 0 ? s2 / s1 : 0;
      rec.row({
        case: 'fast stream alone → beside slow ones',
        plain: formatMbit(s1),
        mpx: `${formatMbit(s2)} (${formatRatio(ratio)})`,
        goal: `≥ ${SPEED_GOAL} × alone, verified`,
        status: verdict(alone.ok && together.ok && ratio >= SPEED_GOAL),
      });
      const g = (n: number): string => `${n >= 0 ? '+' : ''}${formatMiB(n)}`;
      rec.row({
        case: 'peak RSS growth client / server',
        plain: `${formatMiB(peak1.client ?? NaN)} / ${formatMiB(peak1.server ?? NaN)}`,
        mpx: `${g(growth.client)} / ${g(growth.server)}`,
        goal: `≤ ${formatMiB(GROWTH_GOAL)} each`,
        status: verdict(growth.client <= GROWTH_GOAL && growth.server <= GROWTH_GOAL),
      });
      rec.note(
        `slow reader: the "plain TCP" column shows phase 1 (fast stream alone through mpx); the slow upload had ${formatBytes(slowAccepted)} accepted by the tunnel at ${formatBytes(SLOW_RATE)}/s reading, the slow download delivered ${formatBytes(slowDownResult.bytes)}; RSS right after the slow streams filled, before the fast stream: client ${g(filled.client - before.client)}, server ${g(filled.server - before.server)}`,
      );
    } finally {
      rss.stop();
      await rig.stop();
    }
  },
};
