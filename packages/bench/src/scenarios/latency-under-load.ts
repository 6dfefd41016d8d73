// latency-under-load (issue 14, goal 3): open + 1-byte echo on a new
// connection through an idle tunnel, then again while one stream downloads
// at full speed over two paths capped in total with deep queues; and the
// same 1-byte echo on a long-lived connection (one that has already moved
// 64 KiB each way, as an SSH session or a keep-alive client has). Goals: the
// loaded median ≤ idle median + RTT/2, the loaded p90 ≤ idle p90 + RTT, and
// the download keeps ≥ 0.93 of the sum of caps meanwhile. Three fresh
// tunnels (one with --quick); the worst run counts.

import { setTimeout as sleep } from 'node:timers/promises';
import { startBulk, worstOf } from '../bulk.js';
import { formatMbit, formatMs, formatRatio, mbit, median, quantile } from '../format.js';
import { wallNow } from '../gaps.js';
import { bottleneck, withRig } from '../harness.js';
import type { Context, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { echoRoundTrip, inSequence, openEcho } from '../transfer.js';
import type { EchoSession } from '../transfer.js';

const CAPS_MBIT = [20, 20];
const DELAY_MS = 10;
const RTT_MS = 2 * DELAY_MS;
const CARRIERS = 2;
const SAMPLES = 20;
const WARMUP = 3;
const RAMP_MS = 3000;
const SHARE_GOAL = 0.93;
const REPEATS = 3;
const ONE_BYTE = Buffer.from('x');
/** What the long-lived connection moves each way before it is measured: past a new stream's 16 KiB (SPEC §8, small streams). */
const LONG_LIVED_BYTES = 64 * 1024;
const LONG_LIVED_PIECE = Buffer.alloc(4096, 0x6c);

interface Excess {
  /** Loaded minus idle: median and p90, ms. */
  medianExcessMs: number;
  p90ExcessMs: number;
}

interface LoadRun extends Excess {
  idle: number[];
  loaded: number[];
  /** The same on the long-lived connection. */
  longLived: { idle: number[]; loaded: number[] } & Excess;
  bulkBytesPerSecond: number;
  share: number;
}

function excess(idle: number[], loaded: number[]): Excess {
  return { medianExcessMs: median(loaded) - median(idle), p90ExcessMs: quantile(loaded, 0.9) - quantile(idle, 0.9) };
}

/** `n` opens + 1-byte echoes on new connections, one after another. */
const echoes = (port: number, n: number): Promise<number[]> => inSequence(n, () => echoRoundTrip(port, ONE_BYTE));

/** `n` echoes of `payload` on the long-lived connection, one after another. */
const roundTrips = (session: EchoSession, payload: Buffer, n: number): Promise<number[]> => inSequence(n, () => session.roundTrip(payload));

async function runOnce(ctx: Context, seed: number): Promise<LoadRun> {
  const sum = mbit(CAPS_MBIT.reduce((a, b) => a + b, 0));
  return withRig({ targetPort: ctx.targetPort, paths: CAPS_MBIT.map((c) => bottleneck(c, DELAY_MS)), carriers: CARRIERS }, async (rig) => {
    await echoes(rig.port, WARMUP);
    const idle = await echoes(rig.port, SAMPLES);
    const session = await openEcho(rig.port);
    let bulk: ReturnType<typeof startBulk> | undefined;
    try {
      await roundTrips(session, LONG_LIVED_PIECE, LONG_LIVED_BYTES / LONG_LIVED_PIECE.length);
      const longIdle = await roundTrips(session, ONE_BYTE, SAMPLES);
      bulk = startBulk(rig.port, 'down', seed);
      await sleep(RAMP_MS);
      const [b0, t0] = [bulk.bytes(), wallNow()];
      const loaded = await echoes(rig.port, SAMPLES);
      const longLoaded = await roundTrips(session, ONE_BYTE, SAMPLES);
      const rate = ((bulk.bytes() - b0) * 1000) / (wallNow() - t0);
      const run: LoadRun = {
        idle,
        loaded,
        ...excess(idle, loaded),
        longLived: { idle: longIdle, loaded: longLoaded, ...excess(longIdle, longLoaded) },
        bulkBytesPerSecond: rate,
        share: rate / sum,
      };
      ctx.log(
        `new connections: idle ${formatMs(median(idle))} (p90 ${formatMs(quantile(idle, 0.9))}), loaded ${formatMs(median(loaded))} (p90 ${formatMs(quantile(loaded, 0.9))}); ` +
          `long-lived: idle ${formatMs(median(longIdle))} (p90 ${formatMs(quantile(longIdle, 0.9))}), loaded ${formatMs(median(longLoaded))} (p90 ${formatMs(quantile(longLoaded, 0.9))}); download ${formatMbit(rate)}`,
      );
      return run;
    } finally {
      bulk?.stop();
      session.close();
    }
  });
}

export const latencyUnderLoad: Scenario = {
  name: 'latency-under-load',
  title: `new connection's open + 1-byte echo while a download fills ${CAPS_MBIT.join(' + ')} Mbit/s (deep queues), RTT ${RTT_MS} ms`,
  async run(ctx: Context, rec: Recorder) {
    const reps = ctx.quick ? 1 : REPEATS;
    rec.data.settings = {
      capsMbit: CAPS_MBIT,
      oneWayDelayMs: DELAY_MS,
      rttMs: RTT_MS,
      carriersPerPath: CARRIERS,
      samples: SAMPLES,
      warmup: WARMUP,
      rampMs: RAMP_MS,
      pathQueue: bottleneck(1, DELAY_MS).pathQueue,
      repeats: reps,
      longLivedBytes: LONG_LIVED_BYTES,
    };
    const ofRtt = (e: Excess): number => Math.max(e.medianExcessMs / (RTT_MS / 2), e.p90ExcessMs / RTT_MS);
    const score = (r: LoadRun): number => Math.max(ofRtt(r), ofRtt(r.longLived), SHARE_GOAL / r.share);
    const { runs, worst } = await worstOf(reps, (i) => runOnce(ctx, 71 + i), score);
    rec.data.runs = runs.map((r) => ({
      ...r,
      idleMedianMs: median(r.idle),
      idleP90Ms: quantile(r.idle, 0.9),
      loadedMedianMs: median(r.loaded),
      loadedP90Ms: quantile(r.loaded, 0.9),
    }));
    const of = reps > 1 ? ` (worst of ${reps} runs)` : '';
    rec.row({
      case: `median open + echo, loaded vs idle${of}`,
      plain: formatMs(median(worst.idle)),
      mpx: `${formatMs(median(worst.loaded))} (+${formatMs(worst.medianExcessMs)})`,
      goal: `≤ idle + ${formatMs(RTT_MS / 2)}`,
      status: verdict(worst.medianExcessMs <= RTT_MS / 2),
    });
    rec.row({
      case: `p90 open + echo, loaded vs idle${of}`,
      plain: formatMs(quantile(worst.idle, 0.9)),
      mpx: `${formatMs(quantile(worst.loaded, 0.9))} (+${formatMs(worst.p90ExcessMs)})`,
      goal: `≤ idle + ${formatMs(RTT_MS)}`,
      status: verdict(worst.p90ExcessMs <= RTT_MS),
    });
    const long = worst.longLived;
    rec.row({
      case: `median 1-byte echo on a long-lived connection, loaded vs idle${of}`,
      plain: formatMs(median(long.idle)),
      mpx: `${formatMs(median(long.loaded))} (+${formatMs(long.medianExcessMs)})`,
      goal: `≤ idle + ${formatMs(RTT_MS / 2)}`,
      status: verdict(long.medianExcessMs <= RTT_MS / 2),
    });
    rec.row({
      case: `p90 1-byte echo on a long-lived connection, loaded vs idle${of}`,
      plain: formatMs(quantile(long.idle, 0.9)),
      mpx: `${formatMs(quantile(long.loaded, 0.9))} (+${formatMs(long.p90ExcessMs)})`,
      goal: `≤ idle + ${formatMs(RTT_MS)}`,
      status: verdict(long.p90ExcessMs <= RTT_MS),
    });
    rec.row({
      case: `download meanwhile, of the sum of caps${of}`,
      plain: '',
      mpx: `${formatMbit(worst.bulkBytesPerSecond)} (${formatRatio(worst.share)})`,
      goal: `≥ ${SHARE_GOAL}`,
      status: verdict(worst.share >= SHARE_GOAL),
    });
    rec.note('latency-under-load: the "plain TCP" column is the idle tunnel\'s time');
  },
};
