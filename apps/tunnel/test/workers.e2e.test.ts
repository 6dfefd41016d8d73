// `mpx-tunnel server --workers 2`, real processes (issue 13 §2): the primary
// routes every carrier of a session to one worker (by the ROUTE frame on
// tcp://, the `session` parameter on ws://), /metrics sums the workers, and a
// worker killed with SIGKILL is forked again: its clients start a new session
// and new connections work, while the other worker's sessions are untouched.
import { afterEach, describe, expect, it } from 'vitest';
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

describe('mpx-tunnel server --workers', () => {
  it('keeps every carrier of a session on one worker, sums /metrics over the workers, and restarts a killed worker', async () => {
    echo = await startEcho();
    const server = new Tunnel([
      'server',
      '--workers',
      '2',
      '--key',
      KEY,
      '--listen',
      '127.0.0.1:0',
      '--listen',
      'ws://127.0.0.1:0/mpx',
      '--target',
      `127.0.0.1:${echo.port}`,
      '--metrics',
      '127.0.0.1:0',
    ]);
    const tcpPort = Number((await server.waitFor(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    const wsPort = Number((await server.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/))[1]);
    const metricsUrl = (await server.waitFor(/metrics of all workers on (http:\S+\/metrics),/))[1]!;
    await server.waitForCount(/worker \d \(pid \d+\) ready/, 2);

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
    console.log(
      `every client worked again ${Math.round(performance.now() - killedAt)} ms after the SIGKILL of worker 0 (${hit.filter(Boolean).length} of 6 clients renewed their session)`,
    );
    for (const [i, c] of clients.entries()) {
      expect(c.count(/session [0-9a-f]{8} started/)).toBe(hit[i] === true ? 2 : 1);
      if (hit[i] !== true) expect(server.log).not.toMatch(new RegExp(`session ${sessionOf[i]!} closed`));
    }
  }, 60_000);

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
      '/dev/null',
      '--tls-key',
      '/dev/null',
    ]);
    const exit = await server.exited;
    expect(exit.code).not.toBe(0);
    expect(server.log).toMatch(/--workers 2 cannot route tls:\/\/127\.0\.0\.1:0: the session id is inside TLS/);
  });
});
