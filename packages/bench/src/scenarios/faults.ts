// failover, stall and outage: a verified transfer in both directions at once
// (a download from the source and an upload to the sink, on two streams)
// over 4 capped carriers; at 30% of the download one carrier is reset, or
// one path is blackholed for good, or every path goes down for 4 s. Measured:
// bytes verified (sha256), the longest gap in delivery at each receiver,
// total time, and (outage) how soon delivery resumed after the paths came
// back. mpx runs three times on fresh processes (once with --quick) and the
// worst run counts. Baseline: the same two transfers on two plain TCP
// connections through one identical path, with the same fault.

import type { Path } from '@mpx/netem';
import { DEFAULTS } from '@mpx/core';
import { patternSha256 } from '../data.js';
import { formatBytes, formatMbit, formatMs, formatPercent, formatRatio, mbit } from '../format.js';
import { resumedAfter, wallNow } from '../gaps.js';
import { pathsTo, startRig } from '../harness.js';
import type { Context, PathSpec, Scenario } from '../harness.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { download, upload } from '../transfer.js';
import type { TransferResult } from '../transfer.js';

type Kind = 'failover' | 'stall' | 'outage';

const CAP_MBIT = 20;
const CARRIERS = 4;
const DELAY_MS = 5;
const FAULT_AT = 0.3;
const OUTAGE_MS = 4000;
const GAP_GOAL_MS: Record<Kind, number | null> = { failover: 500, stall: 2000, outage: null };
const RESUME_GOAL_MS = 1000;
/** mpx runs per fault scenario (1 with --quick); the worst counts. */
const REPEATS = 3;

/**
 * The carriers of an mpx run: `CARRIERS` primaries by default; the standby
 * variant has one primary and one `|backup` carrier, and the fault hits the
 * primary, so that every byte after it rides the standby (SPEC §8).
 */
interface Variant {
  readonly name: string;
  readonly entryOptions: readonly string[];
  /** Carriers that carry data at once (the rate the caps allow). */
  readonly active: number;
}
const PRIMARIES: Variant = { name: '', entryOptions: Array.from({ length: CARRIERS }, () => ''), active: CARRIERS };
const STANDBY: Variant = { name: 'standby', entryOptions: ['', 'backup'], active: 1 };

interface PairRun {
  down: TransferResult;
  up: TransferResult;
  totalMs: number;
  faultAt: number | null;
  /** Outage: when the paths came back. */
  upAt: number | null;
  /** Why the run was cut short, if it was. */
  aborted: string | null;
}

interface PairOptions {
  port: number;
  length: number;
  seed: number;
  /** Applies the fault; may return a promise of the time the paths came back. */
  fault: () => Promise<number> | void;
  /** Abort when neither direction moved for this long. */
  watchdogMs: number;
  timeoutMs: number;
}

async function runPair(o: PairOptions): Promise<PairRun> {
  const shaDown = patternSha256(o.seed, o.length);
  const ctl = new AbortController();
  let last = wallNow();
  let faultAt: number | null = null;
  let upAt: Promise<number> | null = null;
  let aborted: string | null = null;
  const abort = (why: string): void => {
    if (aborted !== null) return;
    aborted = why;
    ctl.abort();
  };
  const watchdog = setInterval(() => {
    if (wallNow() - last > o.watchdogMs) abort(`no progress for ${formatMs(o.watchdogMs)}`);
  }, 100);
  const timeout = setTimeout(() => abort(`not done after ${formatMs(o.timeoutMs)}`), o.timeoutMs);
  const start = wallNow();
  const [down, up] = await Promise.all([
    download({
      port: o.port,
      id: 1,
      seed: o.seed,
      length: o.length,
      expectedSha256: shaDown,
      signal: ctl.signal,
      onProgress: (bytes) => {
        last = wallNow();
        if (faultAt === null && bytes >= FAULT_AT * o.length) {
          faultAt = wallNow();
          upAt = o.fault() ?? null;
        }
      },
    }),
    upload({ port: o.port, id: 2, seed: o.seed + 1, length: o.length, signal: ctl.signal, onProgress: () => (last = wallNow()) }),
  ]);
  clearInterval(watchdog);
  clearTimeout(timeout);
  const end = Math.max(down.doneAt, up.doneAt);
  return { down, up, totalMs: end - start, faultAt, upAt: upAt === null ? null : await upAt, aborted };
}

function applyFault(kind: Kind, paths: readonly Path[], plain: boolean): () => Promise<number> | void {
  return () => {
    const first = paths[0] as Path;
    if (kind === 'failover') {
      if (plain) first.resetConnections();
      else first.resetOne(0);
      return;
    }
    if (kind === 'stall') {
      first.stall();
      return;
    }
    for (const p of paths) p.down();
    return new Promise<number>((resolve) =>
      setTimeout(() => {
        for (const p of paths) p.up();
        resolve(wallNow());
      }, OUTAGE_MS),
    );
  };
}

const gapOf = (r: TransferResult): number | null => (r.timeline === null ? null : r.timeline.longestGapMs);

function describe(run: PairRun, length: number): string {
  if (run.down.ok && run.up.ok) return `✓ 2 × ${formatBytes(length)}`;
  const worst = !run.down.ok ? run.down : run.up;
  const why = run.aborted ?? worst.error ?? 'failed';
  return `✗ ${why} at ${formatPercent(run.down.bytes / length)}`;
}

function gapText(run: PairRun): string {
  const d = gapOf(run.down);
  const u = gapOf(run.up);
  if (!run.down.ok || !run.up.ok || d === null || u === null) return '—';
  return `${formatMs(Math.max(d, u))} (↓${formatMs(d)} ↑${formatMs(u)})`;
}

function resumeOf(run: PairRun): number | null {
  if (run.upAt === null || !run.down.ok || !run.up.ok) return null;
  const at = run.upAt;
  return Math.max(...[run.down, run.up].map((r) => resumedAfter(r.timeline?.gaps ?? [], at)));
}

function faultScenario(kind: Kind, title: string, variant: Variant = PRIMARIES): Scenario {
  const carriers = variant.entryOptions.length;
  return {
    name: variant.name === '' ? kind : `${kind}-${variant.name}`,
    title,
    async run(ctx: Context, rec: Recorder) {
      const length = (ctx.quick ? 16 : 40) * 1e6;
      const plainLength = length / variant.active;
      const spec: PathSpec = { perConnectionRate: mbit(CAP_MBIT), delayMs: DELAY_MS };
      rec.data.settings = { carriers, entryOptions: variant.entryOptions, capMbit: CAP_MBIT, oneWayDelayMs: DELAY_MS, bytesEachWay: length, plainBytesEachWay: plainLength, faultAt: FAULT_AT, pingIntervalMs: DEFAULTS.pingIntervalMs, deadAfterMs: DEFAULTS.deadAfterMs, ...(kind === 'outage' ? { outageMs: OUTAGE_MS } : {}) };

      ctx.log(`plain TCP: 2 × ${formatBytes(plainLength)} through one ${CAP_MBIT} Mbit/s path, ${kind} at ${formatPercent(FAULT_AT)}`);
      const [path] = await pathsTo(ctx.targetPort, [spec]);
      let plain: PairRun;
      try {
        plain = await runPair({ port: path!.port, length: plainLength, seed: 11, fault: applyFault(kind, [path!], true), watchdogMs: 6000, timeoutMs: 60_000 });
      } finally {
        await path!.close();
      }

      const reps = ctx.quick ? 1 : REPEATS;
      const runs: PairRun[] = [];
      const perRun: Array<Record<string, unknown>> = [];
      for (let i = 0; i < reps; i++) {
        ctx.log(`mpx run ${i + 1} of ${reps}: 2 × ${formatBytes(length)} over ${carriers} × ${CAP_MBIT} Mbit/s (${variant.entryOptions.map((o) => o || 'primary').join(', ')}), ${kind} at ${formatPercent(FAULT_AT)}`);
        const rig = await startRig({ targetPort: ctx.targetPort, paths: Array.from({ length: carriers }, () => spec), entryOptions: variant.entryOptions, carriers: 1 });
        const events: string[] = [];
        rig.client.child.onLine((l) => {
          if (/carrier .*(up|down)|session|dial|cannot/.test(l)) events.push(l.replace(/^\S+ /, ''));
        });
        try {
          runs.push(await runPair({ port: rig.port, length, seed: 21 + i, fault: applyFault(kind, rig.paths, false), watchdogMs: 15_000, timeoutMs: 90_000 }));
        } finally {
          const metrics = await rig.client.metrics().catch(() => null);
          perRun.push({ pathBytes: rig.paths.map((p) => ({ up: p.stats().bytesUp, down: p.stats().bytesDown, connections: p.stats().connections })), retransmits: metrics?.retransmits ?? null, carrierGroups: metrics?.groups ?? null, clientEvents: events.slice(0, 30) });
          await rig.stop();
        }
      }
      const summary = (r: PairRun, len: number) => ({
        ok: r.down.ok && r.up.ok,
        aborted: r.aborted,
        totalMs: r.totalMs,
        down: { ok: r.down.ok, bytes: r.down.bytes, error: r.down.error, longestGapMs: gapOf(r.down), gaps: r.down.timeline?.gaps },
        up: { ok: r.up.ok, bytes: r.up.bytes, error: r.up.error, longestGapMs: gapOf(r.up), gaps: r.up.timeline?.gaps },
        faultAtMs: r.faultAt === null ? null : r.faultAt - r.down.startAt,
        resumedAfterMs: resumeOf(r),
        throughput: r.down.ok && r.up.ok ? len / (r.totalMs / 1000) : null,
      });
      rec.data.plain = summary(plain, plainLength);
      rec.data.mpxRuns = runs.map((r, i) => ({ ...summary(r, length), ...perRun[i] }));

      const okOf = (r: PairRun): boolean => r.down.ok && r.up.ok;
      const gapMs = (r: PairRun): number => (okOf(r) ? Math.max(gapOf(r.down) ?? Infinity, gapOf(r.up) ?? Infinity) : Infinity);
      const score = (r: PairRun): number => (!okOf(r) ? Infinity : kind === 'outage' ? (resumeOf(r) ?? Infinity) : gapMs(r));
      const worst = runs.reduce((a, b) => (score(b) > score(a) ? b : a));
      const of = reps > 1 ? ` (worst of ${reps} runs)` : '';
      const allOk = runs.every(okOf);
      const failed = runs.filter((r) => !okOf(r)).length;
      rec.row({
        case: 'bytes verified (sha256), both ways',
        plain: describe(plain, plainLength),
        mpx: allOk ? `${describe(worst, length)}${reps > 1 ? ` × ${reps}` : ''}` : `${describe(worst, length)} (${failed} of ${reps} runs)`,
        goal: 'nothing lost',
        status: verdict(allOk),
      });
      const goal = GAP_GOAL_MS[kind];
      rec.row({ case: `longest gap in delivery${of}`, plain: gapText(plain), mpx: gapText(worst), goal: goal === null ? '' : `< ${formatMs(goal)}`, status: goal === null ? 'INFO' : verdict(runs.every((r) => gapMs(r) < goal)) });
      if (kind === 'outage') {
        const p = resumeOf(plain);
        const m = resumeOf(worst);
        rec.row({ case: `resumed after the ${OUTAGE_MS / 1000} s outage${of}`, plain: p === null ? '—' : formatMs(p), mpx: m === null ? '—' : formatMs(m), goal: `< ${formatMs(RESUME_GOAL_MS)}`, status: verdict(runs.every((r) => (resumeOf(r) ?? Infinity) < RESUME_GOAL_MS)) });
      }
      const time = (r: PairRun, len: number, capacity: number): string =>
        okOf(r) ? `${formatMs(r.totalMs)} (${formatMbit(len / (r.totalMs / 1000))}, ${formatRatio(len / (r.totalMs / 1000) / capacity)})` : '—';
      rec.row({ case: `total time (rate each way, of caps)${of}`, plain: time(plain, plainLength, mbit(CAP_MBIT)), mpx: time(worst, length, mbit(CAP_MBIT) * variant.active), goal: '', status: 'INFO' });
      if (variant === STANDBY) {
        const standby = (i: number): string => {
          const bytes = (perRun[i]?.['pathBytes'] as Array<{ up: number; down: number }> | undefined)?.[1];
          return bytes === undefined ? '—' : `↑${formatBytes(bytes.up)} ↓${formatBytes(bytes.down)}`;
        };
        rec.row({ case: 'carried by the standby (backup) path, per run', plain: '—', mpx: runs.map((_, i) => standby(i)).join('; '), goal: '', status: 'INFO' });
      }
      if (reps > 1) {
        const each = runs.map((r) => (okOf(r) ? formatMs(kind === 'outage' ? (resumeOf(r) ?? NaN) : gapMs(r)) : '✗')).join(', ');
        rec.note(`${kind}: mpx ${kind === 'outage' ? 'resumed after' : 'longest gap'} per run ${each}; time per run ${runs.map((r) => formatMs(r.totalMs)).join(', ')}`);
      }
      const missed = !allOk || (goal !== null && !runs.every((r) => gapMs(r) < goal));
      if (missed) {
        const i = runs.indexOf(worst);
        rec.note(`${kind} (worst run): mpx down ${worst.down.ok ? 'ok' : worst.down.error}, up ${worst.up.ok ? 'ok' : worst.up.error}${worst.aborted ? `, run aborted: ${worst.aborted}` : ''}; gaps ≥ 50 ms ↓ ${fmtGaps(worst.down, worst.faultAt)} ↑ ${fmtGaps(worst.up, worst.faultAt)} (ms after the fault); retransmissions ${String(perRun[i]?.retransmits)}`);
      }
    },
  };
}

function fmtGaps(r: TransferResult, faultAt: number | null): string {
  const gaps = r.timeline?.gaps ?? [];
  if (gaps.length === 0) return 'none';
  const t0 = faultAt ?? r.startAt;
  return gaps
    .slice(0, 6)
    .map((g) => `[${Math.round(g.from - t0)}…${Math.round(g.to - t0)}]`)
    .join(' ');
}

export const failover = faultScenario('failover', `one of ${CARRIERS} carriers reset at ${formatPercent(FAULT_AT)} of a transfer`);
export const stall = faultScenario('stall', `one of ${CARRIERS} paths blackholed (sockets open) at ${formatPercent(FAULT_AT)}`);
export const failoverStandby = faultScenario('failover', `the primary carrier reset at ${formatPercent(FAULT_AT)}; a |backup carrier takes over`, STANDBY);
export const stallStandby = faultScenario('stall', `the primary's path blackholed for good at ${formatPercent(FAULT_AT)}; a |backup carrier takes over`, STANDBY);
export const outage = faultScenario('outage', `every path down for ${OUTAGE_MS / 1000} s at ${formatPercent(FAULT_AT)}`);
