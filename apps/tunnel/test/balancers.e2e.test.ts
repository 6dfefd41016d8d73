// Scale-out behind the engines people run (issue 13 §4): Debian's nginx
// (WebSocket, `hash $arg_session consistent`) and HAProxy (`mode tcp`,
// `stick on req.payload(16,16)`) in front of three `mpx-tunnel server`
// processes, with the configs of deploy/scale-out/. Checked: every carrier of
// a session reaches one backend; eight clients spread over the backends;
// killing one backend moves its clients to another (new session) and leaves
// the others' sessions alone; every byte verified by sha256.
import { readFileSync } from 'node:fs';
import {
  ensureProgram,
  haproxyScaleOutConfig,
  nginxScaleOutConfig,
  startHaproxyBalancer,
  startNginxBalancer,
  type BalancerChild,
} from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const KEY = 'balancer-test-key';
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;
const deployed = (name: string): string => readFileSync(new URL(`../../../deploy/scale-out/${name}`, import.meta.url), 'utf8');

let echo: EchoServer | undefined;
let balancer: BalancerChild | undefined;

afterEach(async () => {
  await balancer?.stop();
  balancer = undefined;
  await killAll();
  await echo?.close();
  echo = undefined;
});

const nginx = ensureProgram({ commands: ['nginx'], debianPackage: 'nginx-light' });
const haproxy = ensureProgram({ commands: ['haproxy'], debianPackage: 'haproxy' });
for (const found of [nginx, haproxy]) {
  if (found.path === undefined) console.warn(`\n*** SKIPPING a balancer e2e test: ${found.note} ***\n`);
}

describe('deploy/scale-out', () => {
  it('ships exactly the configs the tests run, for the example addresses', () => {
    expect(deployed('nginx.conf')).toBe(
      nginxScaleOutConfig({ listen: '0.0.0.0:80', backends: ['10.0.0.11:8080', '10.0.0.12:8080', '10.0.0.13:8080'] }),
    );
    expect(deployed('haproxy.cfg')).toBe(
      haproxyScaleOutConfig({ listen: '0.0.0.0:5512', backends: ['10.0.0.11:5512', '10.0.0.12:5512', '10.0.0.13:5512'] }),
    );
  });
});

interface Backend {
  readonly tunnel: Tunnel;
  readonly tcp: number;
  readonly ws: number;
}

async function backends(n: number): Promise<Backend[]> {
  echo = await startEcho();
  const target = `127.0.0.1:${echo.port}`;
  return Promise.all(
    Array.from({ length: n }, async () => {
      const tunnel = new Tunnel(['server', '--key', KEY, '--listen', '127.0.0.1:0', '--listen', 'ws://127.0.0.1:0/mpx', '--target', target]);
      const tcp = Number((await tunnel.waitFor(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const ws = Number((await tunnel.waitFor(/listening on ws:\/\/127\.0\.0\.1:(\d+)/))[1]);
      return { tunnel, tcp, ws };
    }),
  );
}

/** Session (8 hex digits) → the backends whose log says one of its carriers came up there. */
function placement(servers: readonly Backend[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [i, b] of servers.entries()) {
    for (const line of b.tunnel.lines) {
      const m = /carrier #\d+ from \S+(?: \(for \S+\))? up \(session ([0-9a-f]{8})/.exec(line);
      if (m === null) continue;
      const set = out.get(m[1]!) ?? new Set<number>();
      set.add(i);
      out.set(m[1]!, set);
    }
  }
  return out;
}

/** Runs `fn`; a failure carries the balancer's own output (HAProxy says when it marks a backend down). */
async function withBalancerOutput(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) err.message += `\nbalancer output:\n${balancer?.output() ?? '(not started)'}`;
    throw err;
  }
}

async function scenario(kind: 'nginx' | 'haproxy', program: string): Promise<void> {
  await withBalancerOutput(() => run(kind, program));
}

async function run(kind: 'nginx' | 'haproxy', program: string): Promise<void> {
  const servers = await backends(3);
  balancer =
    kind === 'nginx'
      ? await startNginxBalancer(
          program,
          servers.map((b) => `127.0.0.1:${b.ws}`),
        )
      : await startHaproxyBalancer(
          program,
          servers.map((b) => `127.0.0.1:${b.tcp}`),
        );
  const edge = kind === 'nginx' ? `ws://127.0.0.1:${balancer.port}/mpx` : `127.0.0.1:${balancer.port}`;
  const clients = Array.from({ length: 8 }, () => new Tunnel(['client', '--key', KEY, '--listen', '127.0.0.1:0', '-s', edge, '-p', '4']));
  const ports = await Promise.all(clients.map(async (c) => Number((await c.waitFor(CLIENT_PORT))[1])));
  await Promise.all(clients.map((c) => c.waitForCount(/carrier #\d+ to \S+ up/, 4)));
  const sessionOf = await Promise.all(clients.map(async (c) => (await c.waitFor(/session ([0-9a-f]{8}) started/))[1]!));

  const first = await Promise.all(ports.map((port, i) => echoThrough(port, 1024 * 1024, 300 + i)));
  for (const r of first) expect(r.received).toEqual(r.sent);

  const where = placement(servers);
  for (const sid of sessionOf) expect(where.get(sid)?.size, `session ${sid} on backends ${[...(where.get(sid) ?? [])].join(',')}`).toBe(1);
  const home = sessionOf.map((sid) => [...where.get(sid)!][0]!);
  expect(new Set(home).size, `8 sessions on backends ${home.join(',')}`).toBeGreaterThanOrEqual(2);

  // Kill the backend holding the most sessions; its clients move on, the others stay.
  const counts = [0, 1, 2].map((b) => home.filter((h) => h === b).length);
  const victim = counts.indexOf(Math.max(...counts));
  await servers[victim]!.tunnel.stop('SIGKILL');
  const moved = home.map((h) => h === victim);
  await Promise.all(clients.map((c, i) => (moved[i] === true ? c.waitForCount(/session [0-9a-f]{8} started/, 2, 30_000) : Promise.resolve())));
  await Promise.all(clients.map((c, i) => (moved[i] === true ? c.waitForCount(/carrier #\d+ to \S+ up/, 5, 30_000) : Promise.resolve())));
  const again = await Promise.all(ports.map((port, i) => echoThrough(port, 512 * 1024, 400 + i)));
  for (const r of again) expect(r.received).toEqual(r.sent);
  for (const [i, c] of clients.entries())
    expect(c.count(/session [0-9a-f]{8} started/), `client ${i} (backend ${home[i]!})`).toBe(moved[i] === true ? 2 : 1);
  const after = placement(servers.filter((_, i) => i !== victim));
  const renewed = clients.map((c) => [...c.log.matchAll(/session ([0-9a-f]{8}) started/g)].at(-1)![1]!);
  for (const [i, sid] of renewed.entries()) if (moved[i] === true) expect(after.get(sid)?.size, `new session ${sid}`).toBe(1);
}

describe.runIf(nginx.path !== undefined)('nginx in front of three servers (WebSocket, hash $arg_session consistent)', () => {
  it(
    'routes every carrier of a session to one backend, spreads 8 clients, and survives losing a backend',
    () => scenario('nginx', nginx.path!),
    120_000,
  );
});

describe.runIf(haproxy.path !== undefined)('HAProxy in front of three servers (mode tcp, stick on req.payload(16,16))', () => {
  it(
    'routes every carrier of a session to one backend, spreads 8 clients, and survives losing a backend',
    () => scenario('haproxy', haproxy.path!),
    120_000,
  );
});
