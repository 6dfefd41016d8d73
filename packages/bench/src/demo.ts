// `pnpm demo`: a target, an mpx server, an mpx client and four emulated paths
// on loopback, each connection capped at 20 Mbit/s. One plain TCP download
// through one path, then one mpx download over four carriers with live
// per-carrier throughput (from the emulator's counters); one carrier is reset
// on the way. Ends with a table: plain vs mpx, bytes verified (sha256).

import { steadyEmulatorHeap } from '@mpx/netem';
import type { Path } from '@mpx/netem';
import { patternSha256 } from './data.js';
import { formatBytes, formatMbit, formatMs, mbit } from './format.js';
import { wallNow } from './gaps.js';
import { pathsTo, startRig } from './harness.js';
import type { MpxRig } from './harness.js';
import { TUNNEL_CLI, startTargetProcess, tunnelBuilt } from './procs.js';
import { bar, colours, renderTable } from './table.js';
import { download } from './transfer.js';
import type { TransferResult } from './transfer.js';

const CARRIERS = 4;
const CAP_MBIT = 20;
const DELAY_MS = 5;
const PLAIN_BYTES = 12.5e6;
const MPX_BYTES = 60e6;
const RESET_AT = 0.4;
const BAR = 8;

const c = colours(process.stdout.isTTY === true);
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Prints one line per second: each path's rate (target → client) as a bar, the total and the progress. */
function ticker(paths: readonly Path[], length: number, progress: () => number, t0: number): () => void {
  let last = paths.map((p) => p.stats().bytesDown);
  let lastAt = wallNow();
  const timer = setInterval(() => {
    const now = wallNow();
    const bytes = paths.map((p) => p.stats().bytesDown);
    const secs = (now - lastAt) / 1000;
    const rates = bytes.map((b, i) => (b - (last[i] ?? 0)) / secs);
    last = bytes;
    lastAt = now;
    const cells = rates.map((r) => `${c.green(bar(r / mbit(CAP_MBIT), BAR))} ${((r * 8) / 1e6).toFixed(1).padStart(4)}`);
    const total = rates.reduce((a, b) => a + b, 0);
    const done = Math.min(1, progress() / length);
    out(
      `  ${c.dim(`${((now - t0) / 1000).toFixed(0).padStart(2)} s`)}  ${cells.join('  ')}   ${c.bold(formatMbit(total).padStart(11))}  ${c.dim(`${Math.round(done * 100)}%`.padStart(4))}`,
    );
  }, 1000);
  return () => clearInterval(timer);
}

function header(n: number): string {
  const labels = Array.from({ length: n }, (_, i) => `path ${i + 1}`.padEnd(BAR + 5));
  return c.dim(`        ${labels.join('  ')}   ${'total'.padStart(11)}  done`);
}

async function plainRun(targetPort: number): Promise<TransferResult> {
  const [path] = await pathsTo(targetPort, [{ perConnectionRate: mbit(CAP_MBIT), delayMs: DELAY_MS }]);
  const p = path as Path;
  let got = 0;
  const t0 = wallNow();
  out(header(1));
  const stop = ticker([p], PLAIN_BYTES, () => got, t0);
  try {
    return await download({
      port: p.port,
      id: 1,
      seed: 1,
      length: PLAIN_BYTES,
      expectedSha256: patternSha256(1, PLAIN_BYTES),
      onProgress: (b) => (got = b),
    });
  } finally {
    stop();
    await p.close();
  }
}

async function mpxRun(rig: MpxRig): Promise<TransferResult> {
  let got = 0;
  let reset = false;
  const t0 = wallNow();
  const off = rig.client.child.onLine((line) => {
    const m = /carrier #(\d+) to (\S+) up/.exec(line);
    if (!reset || m === null) return;
    const i = rig.paths.findIndex((p) => m[2]?.endsWith(p.address));
    out(`  ${c.cyan('↻')} ${c.dim(`${((wallNow() - t0) / 1000).toFixed(1)} s`)}  carrier #${m[1]} redialled on path ${i + 1}`);
  });
  out(header(rig.paths.length));
  const stop = ticker(rig.paths, MPX_BYTES, () => got, t0);
  try {
    return await download({
      port: rig.port,
      id: 2,
      seed: 2,
      length: MPX_BYTES,
      expectedSha256: patternSha256(2, MPX_BYTES),
      onProgress: (b) => {
        got = b;
        if (!reset && b >= RESET_AT * MPX_BYTES) {
          reset = true;
          rig.paths[0]?.resetOne(0);
          out(
            `  ${c.yellow('✂')} ${c.dim(`${((wallNow() - t0) / 1000).toFixed(1)} s`)}  carrier on path 1 reset (RST on both sides): its unacknowledged frames go out again on the others`,
          );
        }
      },
    });
  } finally {
    stop();
    off();
  }
}

function summaryRow(name: string, r: TransferResult): string[] {
  const secs = (r.doneAt - r.startAt) / 1000;
  return [
    name,
    formatBytes(r.bytes),
    formatMs(secs * 1000),
    formatMbit(r.bytes / secs),
    r.timeline === null ? '—' : formatMs(r.timeline.longestGapMs),
    r.ok ? c.green('✓ sha256') : c.red(`✗ ${r.error ?? ''}`),
  ];
}

async function main(): Promise<number> {
  if (!tunnelBuilt()) {
    process.stderr.write(`demo: ${TUNNEL_CLI} is missing; run \`pnpm build\` first\n`);
    return 1;
  }
  steadyEmulatorHeap(); // this process hosts the emulated paths
  out(c.bold(`mpx demo: one download over ${CARRIERS} emulated paths, each TCP connection capped at ${CAP_MBIT} Mbit/s (RTT ${2 * DELAY_MS} ms)`));
  out(c.dim('A single TCP connection gets one cap; mpx stripes one stream over four carriers and puts it back in order.'));
  out();
  const target = await startTargetProcess();
  let rig: MpxRig | undefined;
  try {
    rig = await startRig({
      targetPort: target.port,
      paths: Array.from({ length: CARRIERS }, () => ({ perConnectionRate: mbit(CAP_MBIT), delayMs: DELAY_MS })),
      carriers: 1,
    });
    out(
      `${c.green('✓')} target, mpx server, ${CARRIERS} emulated paths and mpx client up: ${CARRIERS} carriers ${c.dim(`(client on 127.0.0.1:${rig.port})`)}`,
    );
    out();
    out(c.bold(`① plain TCP: ${formatBytes(PLAIN_BYTES)} over one connection through path 1`));
    const plain = await plainRun(target.port);
    out();
    out(c.bold(`② mpx: ${formatBytes(MPX_BYTES)} over ${CARRIERS} carriers, one of them reset at ${Math.round(RESET_AT * 100)}%`));
    const mpx = await mpxRun(rig);
    out();
    const table = renderTable(
      [
        { header: '' },
        { header: 'bytes', align: 'right' },
        { header: 'time', align: 'right' },
        { header: 'rate', align: 'right' },
        { header: 'longest pause', align: 'right' },
        { header: 'verified' },
      ],
      [{ cells: summaryRow('one plain TCP connection', plain) }, { cells: summaryRow(`mpx, ${CARRIERS} carriers, 1 reset`, mpx) }],
    );
    out(
      table
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    out();
    const speedup = mpx.bytes / ((mpx.doneAt - mpx.startAt) / 1000) / (plain.bytes / ((plain.doneAt - plain.startAt) / 1000));
    if (plain.ok && mpx.ok)
      out(c.bold(`mpx moved the stream ${speedup.toFixed(1)}× faster than one connection, and lost nothing when a carrier was reset.`));
    out(c.dim('More numbers: pnpm bench (packages/bench).'));
    return plain.ok && mpx.ok ? 0 : 1;
  } finally {
    await rig?.stop();
    await target.child.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
