// One iperf3 stream (or the built-in source/sink) through each contender in
// turns, the way iperf-carriers and ws-carriers measure: a warm-up each way
// that is not measured, then every contender's uploads round by round, then
// its downloads, each with the CPU of its two middle processes (turns.ts);
// and the rows that compare two contenders' runs.

import { formatMbit, formatRatio } from './format.js';
import { measureThroughput } from './harness.js';
import type { Context, Throughput, ThroughputSink } from './harness.js';
import { verdict } from './results.js';
import type { Recorder } from './results.js';
import { formatStolen, inTurns, withCpu, worstRound, type Contender, type WithCpu } from './turns.js';

/** Seconds per round, warm-up seconds each way, and rounds; shorter with --quick. */
export interface TurnsShape {
  readonly seconds: number;
  readonly warmup: number;
  readonly rounds: number;
}

export function turnsShape(quick: boolean): TurnsShape {
  return quick ? { seconds: 3, warmup: 1, rounds: 2 } : { seconds: 5, warmup: 2, rounds: 3 };
}

/** The run's settings for the JSON results: the shape, the tool, and what `extra` adds (order, carriers, ...). */
export function turnsSettings(shape: TurnsShape, sink: ThroughputSink, extra: Record<string, unknown>): Record<string, unknown> {
  return { seconds: shape.seconds, warmupSeconds: shape.warmup, rounds: shape.rounds, tool: sink.tool, ...extra };
}

export type ThroughputRun = WithCpu<Throughput>;

/** Each contender's runs by round, per direction. */
export interface ThroughputTurns {
  readonly up: Map<string, ThroughputRun[]>;
  readonly down: Map<string, ThroughputRun[]>;
}

/** `fallbackRate`: bytes per second the built-in source/sink is sized for when iperf3 is missing. */
export async function throughputInTurns(
  ctx: Context,
  sink: ThroughputSink,
  contenders: readonly Contender[],
  shape: TurnsShape,
  fallbackRate: number,
): Promise<ThroughputTurns> {
  for (const c of contenders) {
    ctx.log(`${c.name}: warming up, ${shape.warmup} s each way (not measured)`);
    for (const dir of ['up', 'down'] as const) await measureThroughput(sink, c.port, dir, shape.warmup, 0, fallbackRate);
  }
  const runs = { up: new Map<string, ThroughputRun[]>(), down: new Map<string, ThroughputRun[]>() };
  for (const dir of ['up', 'down'] as const) {
    runs[dir] = await inTurns(contenders, shape.rounds, (c, round) => {
      ctx.log(`${c.name}, ${dir}load, ${shape.seconds} s (round ${round} of ${shape.rounds})`);
      return withCpu(c.procs, () => measureThroughput(sink, c.port, dir, shape.seconds, 0, fallbackRate));
    });
  }
  return runs;
}

/** Bytes per second of each run. */
const ratesOf = (runs: readonly ThroughputRun[]): number[] => runs.map((m) => m.result.bytesPerSecond);

/** CPU seconds per GB moved of each run. */
const cpuPerGbOf = (runs: readonly ThroughputRun[]): number[] => runs.map((m) => m.cpuSeconds / (m.result.bytes / 1e9));

/** What a comparison's candidate must reach against its base (`against` names the base in the goal text). */
export interface ThroughputGoal {
  readonly against: string;
  /** Rate: at least this times the base's. */
  readonly speed: number;
  /** CPU s/GB: at most this times the base's. */
  readonly cpu: number;
}

/**
 * The two rows of a throughput comparison, `candidate`'s runs against
 * `base`'s, each the worst pair of rounds (worstRound): `<label> (ratio r)`
 * for the rate, each side's rate with the share of the machine stolen in
 * its round (formatStolen), and `<label>: CPU s/GB (ratio r)`. Without a goal, the rows
 * are reported for scale.
 */
export function throughputRows(
  rec: Recorder,
  label: string,
  base: readonly ThroughputRun[],
  candidate: readonly ThroughputRun[],
  goal?: ThroughputGoal,
): void {
  const speed = worstRound(ratesOf(base), ratesOf(candidate), true);
  rec.row({
    case: `${label} (ratio ${formatRatio(speed.ratio)})`,
    plain: `${formatMbit(speed.base)}${formatStolen(base[speed.round])}`,
    mpx: `${formatMbit(speed.candidate)}${formatStolen(candidate[speed.round])}`,
    goal: goal === undefined ? 'for scale' : `≥ ${goal.speed} × ${goal.against}`,
    status: goal === undefined ? 'INFO' : verdict(speed.ratio >= goal.speed),
  });
  const cpu = worstRound(cpuPerGbOf(base), cpuPerGbOf(candidate), false);
  rec.row({
    case: `${label}: CPU s/GB (ratio ${formatRatio(cpu.ratio)})`,
    plain: `${cpu.base.toFixed(2)} s/GB`,
    mpx: `${cpu.candidate.toFixed(2)} s/GB`,
    goal: goal === undefined ? 'for scale' : `≤ ${goal.cpu} × ${goal.against}`,
    status: goal === undefined ? 'INFO' : verdict(cpu.ratio <= goal.cpu),
  });
}
