// raw loopback: one stream, no emulation: throughput and CPU seconds per GB
// of the two tunnel processes (utime + stime from /proc), mpx client + server
// against a plain Node TCP relay pair doing the same job, after an unmeasured
// warm-up of each.

import { formatMBps, formatRatio } from '../format.js';
import { measureThroughput, startThroughputSink } from '../harness.js';
import type { Context, Scenario, ThroughputSink } from '../harness.js';
import { stopAll } from '../procs.js';
import type { Child } from '../procs.js';
import { verdict } from '../results.js';
import type { Recorder } from '../results.js';
import { startContenders, withCpu } from '../turns.js';

const GOAL = 0.5;

interface Run {
  bytesPerSecond: number;
  cpuSecondsPerGB: number;
}

async function measure(sink: ThroughputSink, port: number, dir: 'up' | 'down', seconds: number, procs: readonly Child[]): Promise<Run> {
  const { result: r, cpuSeconds } = await withCpu(procs, () => measureThroughput(sink, port, dir, seconds, 0, 500e6));
  return { bytesPerSecond: r.bytesPerSecond, cpuSecondsPerGB: cpuSeconds / (r.bytes / 1e9) };
}

const show = (r: Run): string => `${formatMBps(r.bytesPerSecond)}, ${r.cpuSecondsPerGB.toFixed(2)} CPU s/GB`;

const ROUNDS = 2;
/**
 * An unmeasured transfer each way through every configuration first.
 * Rationale: a fresh tunnel spends its first second compiling its data
 * path; a tunnel that has been running is past that. The relay pair is
 * warmed the same way.
 */
const WARMUP_SECONDS = 2;

export const rawLoopback: Scenario = {
  name: 'raw-loopback',
  title: 'one stream, no emulation: MB/s and CPU s/GB, mpx vs a plain Node relay pair',
  async run(ctx: Context, rec: Recorder) {
    const seconds = ctx.quick ? 3 : 5;
    const sink = await startThroughputSink(ctx);
    rec.data.settings = { seconds, warmupSeconds: WARMUP_SECONDS, rounds: ROUNDS, order: 'relay, mpx -p 1, mpx -p 2, repeated; each value is the mean of the rounds', tool: sink.tool, cpu: 'utime + stime of the two tunnel (or relay) processes during the run' };
    const children: Child[] = [];
    try {
      const configs = await startContenders(sink.port, [1, 2], children);
      for (const cfg of configs) {
        ctx.log(`${cfg.name}: warming up, ${WARMUP_SECONDS} s each way (not measured)`);
        for (const dir of ['up', 'down'] as const) await measureThroughput(sink, cfg.port, dir, WARMUP_SECONDS, 0, 500e6);
      }
      for (const dir of ['up', 'down'] as const) {
        const runs = new Map<string, Run[]>();
        for (let round = 1; round <= ROUNDS; round++) {
          for (const cfg of configs) {
            ctx.log(`${cfg.name}, ${dir}load, ${seconds} s (round ${round} of ${ROUNDS})`);
            runs.set(cfg.name, [...(runs.get(cfg.name) ?? []), await measure(sink, cfg.port, dir, seconds, cfg.procs)]);
          }
        }
        const mean = (name: string): Run => {
          const rs = runs.get(name) ?? [];
          return { bytesPerSecond: rs.reduce((x, r) => x + r.bytesPerSecond, 0) / rs.length, cpuSecondsPerGB: rs.reduce((x, r) => x + r.cpuSecondsPerGB, 0) / rs.length };
        };
        const plain = mean('relay');
        rec.data[`${dir} runs`] = Object.fromEntries(runs);
        for (const carriers of [1, 2]) {
          const m = mean(`mpx -p ${carriers}`);
          const ratio = m.bytesPerSecond / plain.bytesPerSecond;
          rec.data[`mpx -p ${carriers} ${dir}`] = { ...m, plain, ratioToPlain: ratio };
          rec.row({ case: `${dir === 'up' ? 'upload' : 'download'}, ${carriers} carrier${carriers > 1 ? 's' : ''} (ratio ${formatRatio(ratio)})`, plain: show(plain), mpx: show(m), goal: `≥ ${GOAL} × relay`, status: verdict(ratio >= GOAL) });
        }
      }
    } finally {
      await stopAll(children);
      await sink.stop();
    }
  },
};
