// real clients: redis-benchmark (SET and GET, 50 connections) against a
// private redis-server, wrk (64 keep-alive connections, GET of a 2 KiB file)
// and curl (a 200 MB file piped into sha256sum, digest checked) against a
// private nginx, each through two plain Node relays in a row and through mpx
// with 4 TCP carriers, in turns, worst round of the paired ratios reported;
// CPU and system calls per request of the two middle processes, the share of
// a core each process of the chain kept busy (client, middle two, server),
// how long the middle two waited for a core, and the machine's idle share
// from /proc (a contender that uses no more CPU per
// request but leaves the machine idle is held back by latency); idle RSS of the tunnel
// processes after start. Goals of issue #15. The same programs with one
// connection (an interactive client: each request waits for the last
// answer, so every microsecond a hop adds is the client's) are reported
// beside them, without a goal, as are wrk with 256 connections fetching a
// 64 KiB file (a page's images: many streams at once, each a few frames,
// the carriers full) and wrk with 16 connections asking for `Connection:
// close` (a new connection, so a new stream, per request: what a SOCKS
// proxy or an HTTP/1.0 client makes). The programs come from Debian's
// packages (installed when missing and root).

import { ensureProgram } from '@mpx/testkit';
import { runCurlSha256, runRedisBenchmark, runWrk } from '../clients.js';
import type { CurlResult } from '../clients.js';
import type { RedisBenchmarkRow, WrkSummary } from '../client-output.js';
import { formatBytes, formatCoreWaits, formatMBps, formatRatio, formatShares } from '../format.js';
import type { Context, Scenario } from '../harness.js';
import { processTree, readMemory } from '../proc.js';
import { stopAll } from '../procs.js';
import type { Child } from '../procs.js';
import { verdict } from '../results.js';
import type { Recorder, Status } from '../results.js';
import { startNginx, startRedisServer } from '../servers.js';
import type { Nginx, ServerChild } from '../servers.js';
import { RELAY, formatStolen, inTurns, mpxName, startContenders, withCpu, worstRound } from '../turns.js';
import type { Contender, WithCpu, WithCpuOptions } from '../turns.js';

const CARRIERS = 4;
const REDIS_CLIENTS = 50;
const WRK_CONNECTIONS = 64;
/** The interactive rows: one client connection at a time. */
const ONE_CONNECTION = 1;
const MANY_CONNECTIONS = 256;
/** The short-connection row: wrk asks for `Connection: close`, so each request opens a connection (a stream) and closes it. */
const SHORT_CONNECTIONS = 16;
const CLOSE = 'Connection: close';
const SMALL_BYTES = 2048;
const MEDIUM_BYTES = 64 * 1024;
const LARGE_BYTES = 200e6;
const SPEED_GOAL = 0.95;
const CPU_GOAL = 1.3;
const IDLE_RSS_GOAL = 60e6;
/** Rationale: a tunnel "after start" is one whose carriers are up and that has had a second to settle. */
const IDLE_SETTLE_MS = 1000;

const PROGRAMS = [
  { commands: ['redis-server'], debianPackage: 'redis-server' },
  { commands: ['redis-benchmark'], debianPackage: 'redis-tools' },
  { commands: ['wrk'], debianPackage: 'wrk' },
  { commands: ['nginx'], debianPackage: 'nginx' },
  { commands: ['curl'], debianPackage: 'curl' },
  { commands: ['sha256sum'], debianPackage: 'coreutils' },
] as const;

/**
 * A run's cost per request: CPU µs of the two middle processes, their read
 * and write system calls, and the share of the machine left idle.
 */
function perReq(m: WithCpu<unknown> | undefined, requests: number): string {
  if (m === undefined) return '—';
  const calls = (n: number): string => (n / requests).toFixed(2);
  const idle = Number.isFinite(m.machineIdle) ? `, machine ${(100 * m.machineIdle).toFixed(0)}% idle${formatStolen(m)}` : '';
  return `${((m.cpuSeconds / requests) * 1e6).toFixed(0)} CPU µs/req, ${calls(m.syscalls.reads)} r + ${calls(m.syscalls.writes)} w syscalls/req${idle}; ${cores(m)}; ${formatCoreWaits(m.coreWaits)}`;
}
const cores = (m: WithCpu<unknown>): string => formatShares(m.shares);
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export const realClients: Scenario = {
  name: 'real-clients',
  title: `redis-benchmark, wrk and curl | sha256sum through mpx (${CARRIERS} carriers) vs two Node relays`,
  async run(ctx: Context, rec: Recorder) {
    for (const p of PROGRAMS) {
      const found = ensureProgram({ ...p, log: ctx.log });
      if (found.path === undefined) throw new Error(`real-clients needs ${p.commands[0]}: ${found.note}`);
    }
    const rounds = ctx.quick ? 2 : 3;
    const redisRequests = ctx.quick ? 50_000 : 200_000;
    const wrkSeconds = ctx.quick ? 3 : 5;
    const oneRedisRequests = ctx.quick ? 5_000 : 20_000;
    const oneWrkSeconds = ctx.quick ? 2 : 3;
    rec.data.settings = {
      carriers: CARRIERS,
      rounds,
      redisClients: REDIS_CLIENTS,
      redisRequests,
      wrkConnections: WRK_CONNECTIONS,
      wrkSeconds,
      oneConnection: { redisRequests: oneRedisRequests, wrkSeconds: oneWrkSeconds, goal: 'none: reported for scale' },
      manyConnections: { wrkConnections: MANY_CONNECTIONS, bytes: MEDIUM_BYTES, wrkSeconds, goal: 'none: reported for scale' },
      shortConnections: { wrkConnections: SHORT_CONNECTIONS, header: CLOSE, bytes: SMALL_BYTES, wrkSeconds, goal: 'none: reported for scale' },
      smallBytes: SMALL_BYTES,
      largeBytes: LARGE_BYTES,
      order: 'relay, mpx, repeated; each row is the round with the worst mpx ÷ relay ratio',
      cpu: 'utime + stime of the two middle processes (relay A + B, or mpx client + server)',
      syscalls: 'syscr / syscw of /proc/<pid>/io of the two middle processes, summed',
      machineIdle: 'share of every core idle during the run, from /proc/stat (other work on the machine included)',
      machineStolen:
        'share of every core stolen by the hypervisor during the run (the steal column of /proc/stat): a vCPU ready to run that the host did not run',
      coreWaits: 'run-queue wait of the main thread of each middle process, from /proc/<pid>/schedstat: against the time it ran, and per wake-up',
      shares:
        'CPU seconds per second of the run of each process: the client program (from the bench process’s reaped children), the middle two, the server program (nginx: master and worker)',
    };
    const children: Child[] = [];
    let redis: ServerChild | undefined;
    let nginx: Nginx | undefined;
    try {
      redis = await startRedisServer();
      children.push(redis.child);
      ctx.log(`writing ${mb(LARGE_BYTES)} for nginx`);
      nginx = await startNginx(SMALL_BYTES, MEDIUM_BYTES, LARGE_BYTES);
      const redisSide: WithCpuOptions = { client: 'redis-benchmark', others: [{ name: 'redis-server', pids: [redis.child.pid] }] };
      const toRedis = await startContenders(redis.port, [CARRIERS], children);
      const toNginx = await startContenders(nginx.port, [CARRIERS], children);
      // The master and its worker.
      const nginxProcs = [{ name: 'nginx', pids: processTree(nginx.child.pid) }];
      const mpx = mpxName(CARRIERS);

      await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
      idleRss(rec, toRedis);

      for (const c of [...toRedis, ...toNginx]) {
        ctx.log(`${c.name}: warm-up (not measured)`);
        if (toRedis.includes(c)) await runRedisBenchmark(c.port, REDIS_CLIENTS, 10_000, ['set']);
        else await runWrk(c.port, nginx.small.path, WRK_CONNECTIONS, 1);
      }

      const redisRound = (clients: number, requests: number) => (c: Contender, round: number) => {
        ctx.log(`redis-benchmark -c ${clients} -n ${requests} -t set,get through ${c.name} (round ${round} of ${rounds})`);
        return withCpu(c.procs, () => runRedisBenchmark(c.port, clients, requests, ['set', 'get']), redisSide);
      };
      const redisRuns = await inTurns(toRedis, rounds, redisRound(REDIS_CLIENTS, redisRequests));
      rec.data.redis = Object.fromEntries(redisRuns);
      redisRows(rec, redisRuns, mpx, REDIS_CLIENTS, redisRequests);

      const served = nginx;
      const wrkRound =
        (connections: number, seconds: number, file = served.small, headers: readonly string[] = []) =>
        (c: Contender, round: number) => {
          const shown = headers.map((h) => ` -H '${h}'`).join('');
          ctx.log(`wrk -c ${connections}${shown} -d ${seconds}s GET ${file.bytes} B through ${c.name} (round ${round} of ${rounds})`);
          return withCpu(c.procs, () => runWrk(c.port, file.path, connections, seconds, headers), { client: 'wrk', others: nginxProcs });
        };
      const wrkRuns = await inTurns(toNginx, rounds, wrkRound(WRK_CONNECTIONS, wrkSeconds));
      rec.data.wrk = Object.fromEntries(wrkRuns);
      wrkRows(rec, wrkRuns, mpx, WRK_CONNECTIONS, SMALL_BYTES, true);

      const oneRedisRuns = await inTurns(toRedis, rounds, redisRound(ONE_CONNECTION, oneRedisRequests));
      rec.data.redisOneConnection = Object.fromEntries(oneRedisRuns);
      redisRows(rec, oneRedisRuns, mpx, ONE_CONNECTION, oneRedisRequests);
      const oneWrkRuns = await inTurns(toNginx, rounds, wrkRound(ONE_CONNECTION, oneWrkSeconds));
      rec.data.wrkOneConnection = Object.fromEntries(oneWrkRuns);
      wrkRows(rec, oneWrkRuns, mpx, ONE_CONNECTION, SMALL_BYTES, false);
      const manyWrkRuns = await inTurns(toNginx, rounds, wrkRound(MANY_CONNECTIONS, wrkSeconds, served.medium));
      rec.data.wrkManyConnections = Object.fromEntries(manyWrkRuns);
      wrkRows(rec, manyWrkRuns, mpx, MANY_CONNECTIONS, MEDIUM_BYTES, false);
      const shortWrkRuns = await inTurns(toNginx, rounds, wrkRound(SHORT_CONNECTIONS, wrkSeconds, served.small, [CLOSE]));
      rec.data.wrkShortConnections = Object.fromEntries(shortWrkRuns);
      wrkRows(rec, shortWrkRuns, mpx, SHORT_CONNECTIONS, SMALL_BYTES, false, 'a new connection per');

      const curlRuns = await inTurns(toNginx, rounds, (c, round) => {
        ctx.log(`curl ${mb(LARGE_BYTES)} | sha256sum through ${c.name} (round ${round} of ${rounds})`);
        return withCpu(c.procs, () => runCurlSha256(c.port, nginx!.large.path), { client: 'curl | sha256sum', others: nginxProcs });
      });
      rec.data.curl = Object.fromEntries(curlRuns);
      curlRows(rec, curlRuns, mpx, nginx.large);
    } finally {
      await stopAll(children);
      await nginx?.stop();
    }
  },
};

const rate = (rps: number): string => `${(rps / 1000).toFixed(1)}k req/s`;

/** A row with a goal (issue #15's), or one reported for scale (one connection; many connections fetching 64 KiB). */
const goalFor = (withGoal: boolean, ok: boolean): { goal: string; status: Status } =>
  withGoal ? { goal: `≥ ${SPEED_GOAL} × relay`, status: verdict(ok) } : { goal: 'none (for scale)', status: 'INFO' };

function redisRows(rec: Recorder, runs: Map<string, Array<WithCpu<RedisBenchmarkRow[]>>>, mpx: string, clients: number, requests: number): void {
  for (const test of ['SET', 'GET']) {
    const rps = (name: string): number[] =>
      (runs.get(name) ?? []).map((m) => m.result.find((r: RedisBenchmarkRow) => r.test === test)?.requestsPerSecond ?? NaN);
    const w = worstRound(rps(RELAY), rps(mpx), true);
    const cpu = (name: string): string => perReq(runs.get(name)?.[w.round], 2 * requests);
    rec.row({
      case: `redis-benchmark ${test} -c ${clients} (ratio ${formatRatio(w.ratio)})`,
      plain: `${rate(w.base)} (${cpu(RELAY)}, SET+GET)`,
      mpx: `${rate(w.candidate)} (${cpu(mpx)}, SET+GET)`,
      ...goalFor(clients !== ONE_CONNECTION, w.ratio >= SPEED_GOAL),
    });
  }
}

function idleRss(rec: Recorder, contenders: readonly Contender[]): void {
  const rss = (c: Contender | undefined): number[] => (c?.procs ?? []).map((p) => readMemory(p.pid)?.rss ?? NaN);
  const relay = rss(contenders[0]);
  const mpx = rss(contenders[1]);
  rec.data.idleRss = { relay, mpx, note: 'relay A, relay B; mpx client, mpx server' };
  const worst = Math.max(...mpx.map((v) => (Number.isFinite(v) ? v : Infinity)));
  rec.row({
    case: 'idle RSS after start, client / server',
    plain: relay.map(formatBytes).join(' / '),
    mpx: mpx.map(formatBytes).join(' / '),
    goal: `≤ ${formatBytes(IDLE_RSS_GOAL)} each`,
    status: verdict(worst <= IDLE_RSS_GOAL),
  });
}

function wrkRows(
  rec: Recorder,
  runs: Map<string, Array<WithCpu<WrkSummary>>>,
  mpx: string,
  connections: number,
  bytes: number,
  withGoal: boolean,
  connection: 'keep-alive' | 'a new connection per' = 'keep-alive',
): void {
  const rps = (name: string): number[] => (runs.get(name) ?? []).map((m) => m.result.requestsPerSecond);
  const w = worstRound(rps(RELAY), rps(mpx), true);
  const cell = (name: string, value: number): string => {
    const m = runs.get(name)?.[w.round];
    return m === undefined ? '—' : `${rate(value)} (${perReq(m, m.result.requests)})`;
  };
  const errors = [...runs.values()].flat().reduce((sum, m) => sum + m.result.socketErrors + m.result.badResponses, 0);
  if (errors > 0) rec.note(`real-clients wrk -c ${connections}: ${errors} socket errors or non-2xx responses over all runs (see the JSON)`);
  rec.row({
    case: `wrk -c ${connections} ${connection} GET ${bytes} B (ratio ${formatRatio(w.ratio)})`,
    plain: cell(RELAY, w.base),
    mpx: cell(mpx, w.candidate),
    ...goalFor(withGoal, w.ratio >= SPEED_GOAL && errors === 0),
  });
}

function curlRows(rec: Recorder, runs: Map<string, Array<WithCpu<CurlResult>>>, mpx: string, file: { bytes: number; sha256: string }): void {
  const all = [...runs.values()].flat();
  const right = all.filter((m) => m.result.sha256 === file.sha256 && m.result.bytes === file.bytes).length;
  if (right < all.length) rec.note(`real-clients curl: ${all.length - right} of ${all.length} downloads had the wrong size or digest`);
  const speed = (name: string): number[] => (runs.get(name) ?? []).map((m) => m.result.bytes / m.result.seconds);
  const cpuPerGB = (name: string): number[] => (runs.get(name) ?? []).map((m) => m.cpuSeconds / (m.result.bytes / 1e9));
  const w = worstRound(speed(RELAY), speed(mpx), true);
  rec.row({
    case: `curl ${mb(file.bytes)} | sha256sum (ratio ${formatRatio(w.ratio)})`,
    plain: formatMBps(w.base),
    mpx: `${formatMBps(w.candidate)}, ${right}/${all.length} digests right`,
    goal: `≥ ${SPEED_GOAL} × relay`,
    status: verdict(w.ratio >= SPEED_GOAL && right === all.length),
  });
  const c = worstRound(cpuPerGB(RELAY), cpuPerGB(mpx), false);
  const shares = (name: string): string => {
    const m = runs.get(name)?.[c.round];
    return m === undefined ? '' : ` (${cores(m)})`;
  };
  rec.row({
    case: `curl: CPU s/GB of the two middle processes (ratio ${formatRatio(c.ratio)})`,
    plain: `${c.base.toFixed(2)} s/GB${shares(RELAY)}`,
    mpx: `${c.candidate.toFixed(2)} s/GB${shares(mpx)}`,
    goal: `≤ ${CPU_GOAL} × relay`,
    status: verdict(c.ratio <= CPU_GOAL),
  });
}
