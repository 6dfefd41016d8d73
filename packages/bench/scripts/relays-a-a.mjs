// The noise floor of real-clients' small request/response rows: two
// identical relay pairs (X, Y) and an mpx -p 4 rig to one redis-server and
// one nginx, run in turns X, Y, mpx as the scenario runs its contenders;
// per block of 3 rounds, Y ÷ X (a relay pair against itself) and mpx ÷ X,
// and the worst round of each, as the scenario reports its rows. If the
// relay pair against itself misses 0.95 in its worst round, a row's miss
// says nothing of mpx.
//
//   pnpm build && node packages/bench/scripts/relays-a-a.mjs [blocks=3]
//
// Needs redis-server, redis-benchmark, wrk and nginx (the scenario installs
// them); uses the bench's own modules from packages/bench/dist.
const dist = new URL('../dist/', import.meta.url);
const load = (file) => import(new URL(file, dist).href);
const { startRedisServer, startNginx } = await load('servers.js');
const { runRedisBenchmark, runWrk } = await load('clients.js');
const { startRelayProcess, stopAll } = await load('procs.js');
const { rigContender, inTurns } = await load('turns.js');

const blocks = Number(process.argv[2] ?? 3);
const children = [];

async function relayPair(name, port) {
  const b = await startRelayProcess(`${name} B`, port);
  children.push(b.child);
  const a = await startRelayProcess(`${name} A`, b.port);
  children.push(a.child);
  return { name, port: a.port, procs: [a.child, b.child] };
}

const contenders = async (port) => [
  await relayPair('X', port),
  await relayPair('Y', port),
  await rigContender('mpx', { targetPort: port, carriers: 4 }, children),
];

function row(label, block, runs, get) {
  const x = runs.get('X').map(get);
  const ratios = (name) => runs.get(name).map((v, i) => get(v) / x[i]);
  const show = (r) => `${r.map((v) => v.toFixed(2)).join(' ')} (worst ${Math.min(...r).toFixed(2)})`;
  console.log(
    `${label} block ${block}: X ${x.map((v) => (v / 1000).toFixed(1)).join(' ')}k | Y/X ${show(ratios('Y'))} | mpx/X ${show(ratios('mpx'))}`,
  );
}

const redis = await startRedisServer();
children.push(redis.child);
const nginx = await startNginx(2048, 65536, 1e6);
try {
  const toRedis = await contenders(redis.port);
  const toNginx = await contenders(nginx.port);
  await new Promise((r) => setTimeout(r, 1000));
  for (const c of toRedis) await runRedisBenchmark(c.port, 50, 10_000, ['set']);
  for (const c of toNginx) await runWrk(c.port, nginx.small.path, 64, 1);
  for (let block = 1; block <= blocks; block++) {
    const redisRuns = await inTurns(toRedis, 3, (c) => runRedisBenchmark(c.port, 50, 200_000, ['set', 'get']));
    const wrkRuns = await inTurns(toNginx, 3, (c) => runWrk(c.port, nginx.small.path, 64, 5));
    for (const test of ['SET', 'GET']) row(`redis ${test} -c 50`, block, redisRuns, (r) => r.find((q) => q.test === test).requestsPerSecond);
    row('wrk -c 64', block, wrkRuns, (w) => w.requestsPerSecond);
  }
} finally {
  await stopAll(children);
  await nginx.stop();
}
