// How a fresh tunnel warms up under wrk, next to a fresh relay pair: both
// started at once (the bench's own rigs: startContenders, as real-clients),
// then `wrk -c 64` rounds of one second through each in turn, from the
// first request on. Per round and contender: requests, CPU µs per request of
// the two middle processes (user + system from /proc), and how much of that
// CPU ran on threads other than the main one (V8's compiler and GC helpers,
// libuv's pool): what V8's tiering up costs while the hot path is compiled.
//
//   node packages/bench/scripts/warm-up.mjs [rounds=6] [carriers=4]
//
// Needs nginx and wrk on PATH (Debian's nginx-light and wrk) and a built
// checkout (`pnpm build`).
import { readFileSync } from 'node:fs';
import { readThreadCpuSeconds } from '../dist/proc.js';
import { stopAll } from '../dist/procs.js';
import { runWrk } from '../dist/clients.js';
import { startNginx } from '../dist/servers.js';
import { startContenders } from '../dist/turns.js';

const rounds = Number(process.argv[2] ?? 6);
const carriers = Number(process.argv[3] ?? 4);

/**
 * CPU seconds of the processes' main threads and of all their other threads
 * (the bench starts them through `sh -c exec`, so each pid is node's).
 */
function cpuOf(procs) {
  let main = 0;
  let others = 0;
  for (const { pid } of procs) {
    for (const [tid, s] of readThreadCpuSeconds(pid)) {
      if (tid === pid) main += s;
      else others += s;
    }
  }
  return { main, others };
}

const children = [];
const nginx = await startNginx(2048, 1);
try {
  const contenders = await startContenders(nginx.port, [carriers], children);
  console.log(`wrk -c 64, rounds of 1 s through each in turn, from the first request (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
  for (let round = 1; round <= rounds; round++) {
    const cells = [];
    for (const c of contenders) {
      const before = cpuOf(c.procs);
      const r = await runWrk(c.port, nginx.small.path, 64, 1);
      const after = cpuOf(c.procs);
      const us = (s) => ((s * 1e6) / r.requests).toFixed(0);
      cells.push(
        `${c.name} ${r.requests} req ${us(after.main - before.main + after.others - before.others)} µs/req (other threads ${us(after.others - before.others)})`,
      );
    }
    console.log(`round ${round}: ${cells.join('   ')}`);
  }
} finally {
  await stopAll(children);
  await nginx.stop();
}
