// `pnpm bench [--] [scenario …] [--quick] [--json file] [--list]`: runs the
// scenarios with real mpx-tunnel processes through @mpx/netem paths, prints
// the results table (plain TCP next to mpx, goals, PASS/MISS) and writes JSON
// to bench-results/<timestamp>.json at the repository root.

import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '@mpx/core';
import { EMULATOR_HEAP_GROWING_PERCENT, steadyEmulatorHeap } from '@mpx/netem';
import { BenchArgError, parseBenchArgs } from './args.js';
import { formatMs } from './format.js';
import type { Context } from './harness.js';
import { ensureIperf3, iperfVersion } from './iperf.js';
import { TUNNEL_CLI, startTargetProcess, tunnelBuilt } from './procs.js';
import { Recorder, fileStamp, renderResults, summaryCounts, writeJson } from './results.js';
import type { ScenarioResult } from './results.js';
import { SCENARIOS } from './scenarios/index.js';
import { colours } from './table.js';
import { describeTunnelBuild, tunnelBuild } from './tunnel-build.js';

const USAGE = `usage: pnpm bench [--] [scenario …] [--quick] [--json <file>] [--list]
scenarios: ${SCENARIOS.map((s) => s.name).join(', ')} (a unique prefix is enough; default: all)`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(
      process.argv.slice(2),
      SCENARIOS.map((s) => s.name),
    );
  } catch (err) {
    if (err instanceof BenchArgError) {
      process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(14)} ${s.title}\n`);
    return 0;
  }
  const c = colours(process.stdout.isTTY === true);
  if (!tunnelBuilt()) {
    process.stderr.write(`bench: ${TUNNEL_CLI} is missing; run \`pnpm build\` (or \`pnpm --filter mpx-tunnel build\`) first\n`);
    return 1;
  }
  // This process hosts the scenarios' emulated paths (@mpx/netem).
  steadyEmulatorHeap();
  const log = (line: string): void => void process.stdout.write(`${c.dim(`  · ${line}`)}\n`);
  const iperf = ensureIperf3(log);
  const started = new Date();
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const jsonPath = args.json ?? `${root}bench-results/${fileStamp(started)}.json`;
  const tunnel = tunnelBuild(TUNNEL_CLI, root);
  const env = {
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memoryBytes: totalmem(),
    tool: iperf.available ? iperfVersion() : 'built-in source/sink',
    quick: args.quick,
    loadAverageAtStart: loadavg(),
    emulatorHeapGrowingPercent: EMULATOR_HEAP_GROWING_PERCENT,
    liveness: {
      pingIntervalMs: DEFAULTS.pingIntervalMs,
      deadAfterMs: DEFAULTS.deadAfterMs,
      graceMs: DEFAULTS.graceMs,
      note: 'mpx-tunnel defaults (--ping-interval 1s, --dead-after 4s, --grace 30s; the bench does not override them)',
    },
    tunnel,
  };
  process.stdout.write(`${c.bold('mpx bench')} — ${args.scenarios.join(', ')}${args.quick ? ' (quick)' : ''}\n`);
  process.stdout.write(
    `${c.dim(`node ${env.node}, ${env.cpus}; traffic: ${env.tool}${iperf.available ? '' : ` (${iperf.note})`}; liveness: ping ${DEFAULTS.pingIntervalMs} ms, dead after ${DEFAULTS.deadAfterMs} ms (mpx-tunnel defaults, not overridden)`)}\n`,
  );

  const build = describeTunnelBuild(tunnel);
  process.stdout.write(`${c.dim(build.line)}\n`);
  if (build.warning !== undefined) process.stdout.write(`${c.yellow(build.warning)}\n`);

  const load = loadavg()[0] ?? 0;
  if (load > 0.5 * cpus().length)
    process.stdout.write(
      `${c.yellow(`load average ${load.toFixed(2)} on ${cpus().length} CPUs: other work is running, numbers (raw-loopback above all) will be lower`)}\n`,
    );
  const target = await startTargetProcess();
  const ctx: Context = { quick: args.quick, iperf: iperf.available, targetPort: target.port, log };
  const results: ScenarioResult[] = [];
  try {
    for (const name of args.scenarios) {
      const scenario = SCENARIOS.find((s) => s.name === name);
      if (scenario === undefined) continue;
      process.stdout.write(`\n${c.cyan(c.bold(scenario.name))} ${c.dim(`— ${scenario.title}`)}\n`);
      const rec = new Recorder(scenario.name);
      const t0 = performance.now();
      let error: string | undefined;
      try {
        await scenario.run(ctx, rec);
      } catch (err) {
        error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        rec.row({
          case: 'scenario failed',
          plain: '',
          mpx: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '',
          goal: '',
          status: 'ERROR',
        });
        process.stdout.write(`${c.red(`  ✗ ${error}`)}\n`);
      }
      const result: ScenarioResult = {
        name: scenario.name,
        rows: rec.rows,
        notes: rec.notes,
        data: rec.data,
        durationMs: performance.now() - t0,
        ...(error === undefined ? {} : { error }),
      };
      results.push(result);
      for (const row of rec.rows) {
        const mark = row.status === 'PASS' ? c.green('PASS') : row.status === 'INFO' ? c.dim('info') : c.red(row.status);
        process.stdout.write(`  ${mark} ${row.case}: plain ${row.plain || '—'} · mpx ${row.mpx}${row.goal ? c.dim(` (goal ${row.goal})`) : ''}\n`);
      }
      process.stdout.write(c.dim(`  (${formatMs(result.durationMs)})\n`));
      writeJson(jsonPath, { started: started.toISOString(), env, results });
    }
  } finally {
    await target.child.stop();
  }

  const loadAtEnd = loadavg();
  writeJson(jsonPath, { started: started.toISOString(), env: { ...env, loadAverageAtEnd: loadAtEnd }, results });
  const counts = summaryCounts(results);
  process.stdout.write(`\n${renderResults(results, process.stdout.isTTY === true)}\n`);
  const notes = results.flatMap((r) => r.notes);
  if (notes.length > 0) process.stdout.write(`\n${notes.map((n) => `• ${n}`).join('\n')}\n`);
  const total = (Date.now() - started.getTime()) / 1000;
  process.stdout.write(
    `\n${counts.PASS} goals met, ${counts.MISS} missed${counts.ERROR > 0 ? `, ${counts.ERROR} errors` : ''} in ${total.toFixed(0)} s. JSON: ${jsonPath}\n`,
  );
  return counts.ERROR > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
