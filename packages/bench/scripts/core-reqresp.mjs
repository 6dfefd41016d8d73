// Core-only small request/response, for CPU per request and --cpu-prof
// without the tunnel or other processes: a ClientSession and an MpxServer in
// this one process, joined by 4 loopback TCP carriers; S streams each send a
// 37-byte request and wait for the echo, N times (after warm-up rounds of at
// least 10,000 requests in all, 200 per stream at the least: with one stream
// and 200, V8's compiler threads still ran in the measured rounds).
// Prints the process's CPU (user + system) per request: both sessions, both
// directions, the carriers' system calls included.
//
//   node packages/bench/scripts/core-reqresp.mjs [repo] [streams=50] [rounds=1000]
//   node --cpu-prof packages/bench/scripts/core-reqresp.mjs . 50 3000
//
// `repo`: a built checkout of mpx (packages/core/dist), by default this one.
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const repo = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..'));
const streams = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 1000);
const { ClientSession, MpxServer } = await import(pathToFileURL(path.join(repo, 'packages/core/dist/index.js')).href);

const server = new MpxServer({});
const listener = net.createServer((socket) => server.accept(socket)).listen(0, '127.0.0.1');
await new Promise((resolve) => listener.once('listening', resolve));
const client = new ClientSession({});
for (let i = 0; i < 4; i++) {
  const socket = net.connect(listener.address().port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  await client.addCarrier(socket);
}
server.sessions.get(client.idHex).on('stream', (stream) => {
  stream.on('data', (chunk) => stream.write(Buffer.alloc(chunk.length, 1)));
});
const request = Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\nval\r\n');

/** Every stream does `n` request/response rounds, one at a time. */
function run(n) {
  return Promise.all(
    Array.from(
      { length: streams },
      () =>
        new Promise((resolve) => {
          const stream = client.openStream();
          let left = n;
          stream.on('data', () => {
            if (--left === 0) {
              stream.end();
              resolve();
            } else stream.write(request);
          });
          stream.write(request);
        }),
    ),
  );
}

await run(Math.max(200, Math.ceil(10_000 / streams)));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(rounds);
const cpu = process.cpuUsage(cpu0);
const seconds = (performance.now() - t0) / 1000;
const requests = streams * rounds;
console.log(
  `${((cpu.user + cpu.system) / requests).toFixed(2)} CPU µs/request (user ${(cpu.user / requests).toFixed(2)}, system ${(cpu.system / requests).toFixed(2)}), ${Math.round(requests / seconds)} requests/s`,
);
client.close();
server.close();
listener.close();
