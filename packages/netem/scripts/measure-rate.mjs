// Measures how close a Path's rate cap comes to nominal: a source server floods
// through the path for DURATION; the client counts bytes after a warm-up.
// usage: node scripts/measure-rate.mjs [rate=20mbit] [seconds=3] [connections=1] [mode=per|path]
// BLOCK_MS=30 blocks the event loop for 30 ms every 100 ms (a loaded machine).
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { Path, parseRate, formatRate } from '../dist/index.js';

const [rateText = '20mbit', secondsText = '3', connText = '1', mode = 'per'] = process.argv.slice(2);
const rate = parseRate(rateText);
const seconds = Number(secondsText);
const conns = Number(connText);
const chunk = Buffer.alloc(64 * 1024, 0x61);

const server = createServer((s) => {
  s.on('error', () => {});
  const pump = () => {
    while (s.write(chunk));
  };
  s.on('drain', pump);
  pump();
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const target = { host: '127.0.0.1', port: server.address().port };
const path = await Path.start(mode === 'per' ? { target, perConnectionRate: rate } : { target, pathRate: rate });

const blockMs = Number(process.env.BLOCK_MS ?? 0);
const blocker =
  blockMs > 0
    ? setInterval(() => {
        const end = performance.now() + blockMs;
        while (performance.now() < end);
      }, 100)
    : undefined;

const counts = new Array(conns).fill(0);
const sockets = [];
for (let i = 0; i < conns; i++) {
  const c = connect({ host: '127.0.0.1', port: path.port });
  c.on('error', () => {});
  c.on('data', (b) => (counts[i] += b.length));
  sockets.push(c);
}
await new Promise((r) => setTimeout(r, 500)); // warm-up: burst spent, steady state
const start = counts.slice();
const lag = monitorEventLoopDelay({ resolution: 1 });
lag.enable();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const elapsed = (performance.now() - t0) / 1000;
lag.disable();
const got = counts.map((c, i) => c - start[i]);
const total = got.reduce((a, b) => a + b, 0);
const expected = mode === 'per' ? rate * conns : rate;
const measured = total / elapsed;
console.log(
  `${mode} cap ${formatRate(rate)} × ${conns} conn(s) over ${elapsed.toFixed(3)} s: ` +
    `measured ${formatRate(measured)} (${((measured / expected - 1) * 100).toFixed(2)} % vs nominal)` +
    `; event-loop lag p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms max ${(lag.max / 1e6).toFixed(1)} ms` +
    (conns > 1 ? `; shares ${got.map((g) => ((g / total) * 100).toFixed(1) + '%').join(' / ')}` : ''),
);
clearInterval(blocker);
for (const s of sockets) s.destroy();
await path.close();
server.close();
