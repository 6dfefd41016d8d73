// The paired rounds of real-clients' four goal rows (redis-benchmark SET and
// GET -c 50, wrk -c 64, curl), read from the JSON of one or more runs and
// split by the hypervisor's steal that the two rounds of a pair met
// (`machineStolen`, the steal column of /proc/stat during the round): a pair
// where both met at most LOW of it, and the others. Prints, for each row,
// the mpx ÷ relay ratios of each class (range, median, rounds below 0.95)
// and the worst ratio of each run (what the scenario's row gives).
//
//   node packages/bench/scripts/rounds-by-steal.mjs <run.json>... [--low 0.03]
//
// A JSON from before the steal was recorded (2026-12-03) has no
// machineStolen: its rounds all land in the second class, marked unknown.
// Needs a built checkout (`pnpm build`): the median and the worst round are
// the bench's own (format.ts, turns.ts).
import { readFileSync } from 'node:fs';
import { median } from '../dist/format.js';
import { worstRound } from '../dist/turns.js';

const args = process.argv.slice(2);
const lowAt = args.indexOf('--low');
const LOW = lowAt === -1 ? 0.03 : Number(args[lowAt + 1]);
const files = args.filter((_, i) => lowAt === -1 || (i !== lowAt && i !== lowAt + 1));
if (files.length === 0 || !(LOW >= 0)) {
  console.error('usage: rounds-by-steal.mjs <run.json>... [--low 0.03]');
  process.exit(2);
}

const ROWS = [
  ['redis SET -c 50', 'redis', (m) => m.result.find((t) => t.test === 'SET')?.requestsPerSecond],
  ['redis GET -c 50', 'redis', (m) => m.result.find((t) => t.test === 'GET')?.requestsPerSecond],
  ['wrk -c 64', 'wrk', (m) => m.result.requestsPerSecond],
  ['curl | sha256sum', 'curl', (m) => m.result.bytes / m.result.seconds],
];

const describe = (xs) =>
  xs.length === 0
    ? 'none'
    : `${xs.length} rounds, ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}, median ${median(xs).toFixed(2)}, ${xs.filter((x) => x < 0.95).length} below 0.95`;

/** real-clients' data in a JSON written by `bench.js --json` (a run of it alone, or of every scenario). */
function realClients(file) {
  const run = JSON.parse(readFileSync(file, 'utf8'));
  const scenario = (run.results ?? []).find((r) => r.name === 'real-clients');
  if (scenario === undefined) throw new Error(`${file}: no real-clients result`);
  return scenario.data;
}

const runs = files.map(realClients);
for (const [label, key, rate] of ROWS) {
  const low = [];
  const other = [];
  let unknown = 0;
  const worst = [];
  for (const data of runs) {
    const [relay, mpx] = Object.values(data[key] ?? {});
    if (relay === undefined || mpx === undefined) continue;
    relay.forEach((r, i) => {
      const ratio = rate(mpx[i]) / rate(r);
      if (!Number.isFinite(ratio)) return;
      const steal = Math.max(r.machineStolen, mpx[i].machineStolen);
      if (!Number.isFinite(steal)) unknown++;
      (steal <= LOW ? low : other).push(ratio);
    });
    worst.push(worstRound(relay.map(rate), mpx.map(rate), true).ratio);
  }
  console.log(`${label}`);
  console.log(`  steal ≤ ${(100 * LOW).toFixed(0)} % in both rounds: ${describe(low)}`);
  console.log(`  more steal${unknown > 0 ? ` (or unknown: ${unknown})` : ''}: ${describe(other)}`);
  console.log(`  worst round of each run: ${worst.map((x) => x.toFixed(2)).join(', ')}`);
}
