// Faults end to end, real processes (issue 6 §4): a carrier path that dies
// mid-transfer (SIGKILL of `mpx-tunnel relay`: its carriers vanish, their
// unacknowledged frames must be resent on the direct carriers, SPEC §9), and
// a server that restarts under a running client (SESSION_UNKNOWN → the client
// starts a new session, SPEC §3.2).
import { once } from 'node:events';
import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const KEY = 'failover-test-key';
const MiB = 1024 * 1024;
const SERVER_PORT = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/;
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;
const RELAY_OPEN = /relay: 127\.0\.0\.1:\d+ ⇄ tcp:\/\/127\.0\.0\.1:\d+ open/;

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

/** Rejects after `ms` with what each process logged last, so that a stall is reported, not just timed out. */
function stallAfter(ms: number, what: () => string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stalled for ${ms} ms: ${what()}`)), ms);
  });
  promise.catch(() => {});
  return { promise, cancel: () => clearTimeout(timer) };
}

const tail = (t: Tunnel, n = 40): string => t.lines.slice(-n).join('\n');

describe('carrier failover through a relay', () => {
  it.each([
    ['right after the relay opens its first carrier', 0],
    ['after ~1 MiB came back', 1 * MiB],
    ['after ~8 MiB came back', 8 * MiB],
  ])('completes a 16 MiB echo byte-identical when the relay is SIGKILLed %s', async (_when, killAt) => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--key', KEY, '--stats', '1']);
    const serverPort = await server.port(SERVER_PORT);
    const relay = new Tunnel(['relay', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${serverPort}`]);
    const relayPort = await relay.port(SERVER_PORT);
    // The relayed path gets twice the share, so that it always holds data in flight when it dies.
    const servers = `127.0.0.1:${serverPort}|1,127.0.0.1:${relayPort}|2`;
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', servers, '--key', KEY, '-p', '2', '--stats', '1']);
    const port = await client.port(CLIENT_PORT);

    let received = 0;
    let killed: Promise<unknown> | undefined;
    const kill = (): void => {
      killed ??= relay.stop('SIGKILL');
    };
    if (killAt === 0) {
      void relay.waitFor(RELAY_OPEN).then(kill, () => {});
    } else {
      await client.waitForCount(/carrier #\d+ to .* up/, 4); // both paths carry data before the kill
    }
    const transfer = echoThrough(port, 16 * MiB, 7000 + killAt, {
      onReceived: (total) => {
        received = total;
        if (killAt > 0 && total >= killAt) kill();
      },
    });
    const stall = stallAfter(40_000, () => `${received} bytes back\n--- client:\n${tail(client)}\n--- server:\n${tail(server)}`);
    try {
      const { sent, received: back } = await Promise.race([transfer, stall.promise]);
      expect(back).toEqual(sent);
    } finally {
      stall.cancel();
    }
    expect(killed).toBeDefined();
    expect(await relay.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The relayed carriers went down on the client (or, killed right after the relay's first
    // carrier, the client's dial through it failed before its handshake ended); the direct ones stayed.
    await client.waitFor(new RegExp(`(carrier #\\d+ to|cannot open a carrier to) tcp://127\\.0\\.0\\.1:${relayPort}( down|:)`));
    expect(client.count(new RegExp(`carrier #\\d+ to tcp://127\\.0\\.0\\.1:${serverPort} down`))).toBe(0);
    expect(echo.accepts).toBe(1);
  });
});

describe('server restart', () => {
  it('reconnects a running client to a new server on the same port: new session, new connections work', async () => {
    echo = await startEcho();
    const serverArgs = (listen: string): string[] => ['server', '--listen', listen, '--target', `127.0.0.1:${echo?.port ?? 0}`, '--key', KEY];
    const first = new Tunnel(serverArgs('127.0.0.1:0'));
    const serverPort = await first.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', KEY]);
    const port = await client.port(CLIENT_PORT);
    const before = await echoThrough(port, 1 * MiB, 7101);
    expect(before.received).toEqual(before.sent);
    const sessionId = (await client.waitFor(/session ([0-9a-f]{8}) started/))[1];

    // A connection open across the restart cannot survive it (the new server
    // does not know its session): it must be closed, not left hanging.
    const open: net.Socket = await connect(port);
    const openErrors: NodeJS.ErrnoException[] = [];
    open.on('error', (err) => openErrors.push(err));
    open.write('ping');
    await once(open, 'data');
    const openClosed = new Promise((resolve) => open.once('close', resolve));

    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const second = new Tunnel(serverArgs(`127.0.0.1:${serverPort}`));
    expect(await second.port(SERVER_PORT)).toBe(serverPort);

    await second.waitFor(/session [0-9a-f]{8} created/);
    await client.waitFor(new RegExp(`session (?!${sessionId})[0-9a-f]{8} started`));
    await openClosed;
    expect(openErrors.map((e) => e.code)).toEqual(['ECONNRESET']); // reset, not ended as if complete
    const after = await echoThrough(port, 1 * MiB, 7102);
    expect(after.received).toEqual(after.sent);
    expect(echo.accepts).toBe(3);
  });
});

describe('carriers that reach two different servers', () => {
  it('keeps the session on the server that holds it and says why the other refuses (SESSION_UNKNOWN)', async () => {
    echo = await startEcho();
    const serverArgs = ['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--key', KEY];
    const a = new Tunnel(serverArgs);
    const b = new Tunnel(serverArgs);
    const servers = `127.0.0.1:${await a.port(SERVER_PORT)},127.0.0.1:${await b.port(SERVER_PORT)}`;
    // Two independent servers as two --server addresses: the carriers of the one that does not hold the session are refused.
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', servers, '--key', KEY, '-p', '1']);
    const port = await client.port(CLIENT_PORT);
    const refused = await client.waitFor(/WARN {2}cannot open a carrier to \S+: .*SESSION_UNKNOWN.*$/);
    expect(refused[0]).toContain(
      '; that server does not hold the session of the carriers up: every --server address must reach the same mpx server, and a balancer in front must route by session (see Scaling out in the README); retrying in',
    );
    const through = await echoThrough(port, 1 * MiB, 7103);
    expect(through.received).toEqual(through.sent);
  });
});
