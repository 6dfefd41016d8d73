// `mpx-tunnel server --workers 2`, real processes (issue 13 §2): the primary
// routes every carrier of a session to one worker (by the ROUTE frame on
// tcp://, the `session` parameter on ws://), /metrics, /state and --stats sum
// the workers (the primary prints them, naming each carrier's worker), and a
// worker killed with SIGKILL is forked again: its clients start a new session
// and new connections work, while the other worker's sessions are untouched.
import { tlsFixturePath } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveState } from '../src/live-page.js';
import { echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const KEY = 'workers-test-key';
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

/** Session (8 hex digits) → the workers whose log says one of its carriers came up there. */
function workersBySession(server: Tunnel): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const line of server.lines) {
    const m = /\[worker (\d+)\] carrier #\d+ from \S+ up \(session ([0-9a-f]{8})/.exec(line);
    if (m === null) continue;
    const set = out.get(m[2]!) ?? new Set<number>();
    set.add(Number(m[1]));
    out.set(m[2]!, set);
  }
  return out;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(mpx_\w+) (\d+(?:\.\d+)?)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** `mpx_bytes_total` by direction, from /metrics. */
async function bytesTotals(url: string): Promise<{ in: number; out: number }> {
  const text = await (await fetch(url)).text();
  const of = (direction: string): number =>
    Number(new RegExp(`^mpx_bytes_total\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { in: of('in'), out: of('out') };
}

/** An echo target and `server --workers 2` with a tcp:// listener and --metrics (plus `extra`), once both workers are ready. */
async function startWorkers(extra: string[]): Promise<{ server: Tunnel; tcpPort: number; webUrl: string }> {
  echo = await startEcho();
  const server = new Tunnel([
    'server',
    '--workers',
    '2',
    '--key',
    KEY,
    '--listen',
    '127.0.0.1:0',
    '--target',
    `127.0.0.1:${echo.port}`,
    '--metrics',
    '127.0.0.1:0',
    ...extra,
  ]);
  const tcpPort = Number((await server.waitFor(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
  const webUrl = (await server.waitFor(/metrics of all workers on \S+, live page on (http:\S+\/)$/))[1]!;
  await server.waitForCount(/worker \d \(pid \d+\) ready/, 2);
  return { server, tcpPort, webUrl };
}

describe('mpx-tunnel server --workers', () => {
  it('keeps every carrier of a session on one worker, sums /metrics over the workers, and restarts a killed worker', async () => {
    const { server, tcpPort, webUrl } = await startWorkers(['--listen', 'ws://127.0.0.1:0/mpx']);
    const wsPort = Number((await server.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/))[1]);
    const metricsUrl = `${webUrl}metrics`;

    const servers = [`127.0.0.1:${tcpPort}`, `ws://127.0.0.1:${wsPort}/mpx`];
    const clients = Array.from(
      { length: 6 },
      (_, i) => new Tunnel(['client', '--key', KEY, '--listen', '127.0.0.1:0', '-s', servers[i % 2]!, '-p', '4']),
    );
    const ports = await Promise.all(clients.map(async (c) => Number((await c.waitFor(CLIENT_PORT))[1])));
    await Promise.all(clients.map((c) => c.waitForCount(/carrier #\d+ to \S+ up/, 4)));
    await server.waitForCount(/\[worker \d\] carrier #\d+ from \S+ up/, 24);

    const results = await Promise.all(ports.map((port, i) => echoThrough(port, 1024 * 1024, 100 + i)));
    for (const r of results) expect(r.received).toEqual(r.sent);

    const placement = workersBySession(server);
    expect(placement.size).toBe(6);
    for (const [, set] of placement) expect(set.size).toBe(1);

    const metrics = await scrape(metricsUrl);
    expect(metrics.get('mpx_sessions')).toBe(6);
    expect(metrics.get('mpx_carriers')).toBe(24);
    const bytesBefore = await bytesTotals(metricsUrl);
    expect(bytesBefore.in).toBeGreaterThan(0);

    // SIGKILL worker 0: it is forked again; its clients start new sessions, the others keep theirs.
    const pid = Number((await server.waitFor(/worker 0 \(pid (\d+)\) ready/))[1]);
    const sessionOf = await Promise.all(clients.map(async (c) => (await c.waitFor(/session ([0-9a-f]{8}) started/))[1]!));
    const hit = sessionOf.map((sid) => placement.get(sid)?.has(0) === true);
    const killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    await server.waitFor(/worker 0 \(pid \d+\) exited \(SIGKILL\)/);
    await server.waitForCount(/worker 0 \(pid \d+\) ready/, 2);
    // A client of worker 0 finds SESSION_UNKNOWN with no carrier left (SPEC §3.5) and starts anew.
    await Promise.all(clients.map((c, i) => (hit[i] === true ? c.waitForCount(/session [0-9a-f]{8} started/, 2) : Promise.resolve())));
    await Promise.all(clients.map((c, i) => (hit[i] === true ? c.waitForCount(/carrier #\d+ to \S+ up/, 5) : Promise.resolve())));
    const again = await Promise.all(ports.map((port, i) => echoThrough(port, 256 * 1024, 200 + i)));
    for (const r of again) expect(r.received).toEqual(r.sent);
    // The summed counters did not go down with worker 0's restart: what it had counted stays in them.
    const bytesAfter = await bytesTotals(metricsUrl);
    expect(bytesAfter.in).toBeGreaterThanOrEqual(bytesBefore.in + 6 * 256 * 1024);
    expect(bytesAfter.out).toBeGreaterThanOrEqual(bytesBefore.out + 6 * 256 * 1024);
    console.log(
      `every client worked again ${Math.round(performance.now() - killedAt)} ms after the SIGKILL of worker 0 (${hit.filter(Boolean).length} of 6 clients renewed their session)`,
    );
    for (const [i, c] of clients.entries()) {
      expect(c.count(/session [0-9a-f]{8} started/)).toBe(hit[i] === true ? 2 : 1);
      if (hit[i] !== true) expect(server.log).not.toMatch(new RegExp(`session ${sessionOf[i]!} closed`));
    }
  }, 60_000);

  it('prints one set of --stats lines in the primary for all workers, and serves all their carriers on the live page', async () => {
    const { server, tcpPort, webUrl } = await startWorkers(['--stats', '1']);
    const stateUrl = `${webUrl}state`;

    // Clients until both workers hold a session (sessions are placed by a hash of their random id; at most 10).
    const clients: Tunnel[] = [];
    while (clients.length < 2 || (new Set([...workersBySession(server).values()].flatMap((s) => [...s])).size < 2 && clients.length < 10)) {
      const client = new Tunnel(['client', '--key', KEY, '--listen', '127.0.0.1:0', '-s', `127.0.0.1:${tcpPort}`, '-p', '2']);
      clients.push(client);
      await client.waitForCount(/carrier #\d+ to \S+ up/, 2);
      await server.waitForCount(/\[worker \d\] carrier #\d+ from \S+ up/, 2 * clients.length);
    }
    const n = clients.length;
    const placement = workersBySession(server);
    expect(new Set([...placement.values()].flatMap((s) => [...s])).size).toBe(2);
    const ports = await Promise.all(clients.map(async (c) => Number((await c.waitFor(CLIENT_PORT))[1])));
    const results = await Promise.all(ports.map((port, i) => echoThrough(port, 256 * 1024, 300 + i)));
    for (const r of results) expect(r.received).toEqual(r.sent);

    // The primary's total sums the workers; each carrier line names the worker its session is on (as the workers' logs say).
    const total = new RegExp(`INFO {2}stats total: ${2 * n} carriers, \\d+ streams, ${n} sessions, in .+, out .+, 2 of 2 workers$`);
    await server.waitFor(total);
    const carrierLine = /INFO {2}stats carrier #\d+ \S+ \(worker (\d), session ([0-9a-f]{8})\): in /;
    await server.waitForCount(carrierLine, 2 * n);
    for (const line of server.lines) {
      const m = carrierLine.exec(line);
      if (m !== null) expect(placement.get(m[2]!)).toEqual(new Set([Number(m[1])]));
    }
    expect(server.log).not.toMatch(/\[worker \d\] stats/);

    const state = (await (await fetch(stateUrl)).json()) as LiveState;
    expect([state.sessions, state.carriers.length, state.workers]).toEqual([n, 2 * n, { answered: 2, total: 2 }]);
    for (const c of state.carriers) expect(placement.get(c.session)).toEqual(new Set([c.worker]));
  });

  it('refuses a tls:// listener with more than one worker, saying why', async () => {
    const server = new Tunnel([
      'server',
      '--workers',
      '2',
      '--listen',
      'tls://127.0.0.1:0',
      '--target',
      '127.0.0.1:9',
      '--tls-cert',
      tlsFixturePath('localhost-cert.pem'),
      '--tls-key',
      tlsFixturePath('localhost-key.pem'),
    ]);
    const exit = await server.exited;
    expect(exit.code).not.toBe(0);
    expect(server.log).toMatch(/--workers 2 cannot route tls:\/\/127\.0\.0\.1:0: the session id is inside TLS/);
  });
});
