// One iperf3 stream (or the built-in source/sink) through each contender in
// turns, the way iperf-carriers and ws-carriers measure: a warm-up each way
// that is not measured, then every contender's uploads round by round, then
// its downloads, each with the CPU of its two middle processes (turns.ts).

import { measureThroughput } from './harness.js';
import type { Context, Throughput, ThroughputSink } from './harness.js';
import { inTurns, withCpu, type Contender, type WithCpu } from './turns.js';

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
export const ratesOf = (runs: readonly ThroughputRun[]): number[] => runs.map((m) => m.result.bytesPerSecond);

/** CPU seconds per GB moved of each run. */
export const cpuPerGbOf = (runs: readonly ThroughputRun[]): number[] => runs.map((m) => m.cpuSeconds / (m.result.bytes / 1e9));
