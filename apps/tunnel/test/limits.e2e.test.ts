// Limits and hostile input end to end, real processes (issue 6 §2, §3): a
// flood of bad handshakes is refused with a bounded number of log lines while
// a real client keeps working, and --max-streams refuses the stream beyond it
// (SPEC §6.2) without touching the others.
import { once } from 'node:events';
import * as net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { FrameType, encodeFrame } from '@mpx/core';
import { randomBytes, randomInt, seededRandom, type RandomSource } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const KEY = 'limits-test-key';
const SERVER_PORT = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/;
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;
/** The first line of each (reason, address) and the summary lines of the rate-limited refusal log. */
const REFUSED = /carrier from 127\.0\.0\.1:\d+ refused: /;
const SUPPRESSED = /carriers from 127\.0\.0\.1 refused \((\w+)\): suppressed (\d+) similar messages? in the last 10 s/;

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

type FloodKind = 'garbage' | 'silent' | 'wrong-key' | 'half-hello';
const KINDS: readonly FloodKind[] = ['garbage', 'silent', 'wrong-key', 'half-hello'];

/** A HELLO (SPEC §3.2) with a random mac: well-formed, but made without the key. */
function forgedHello(random: RandomSource): Buffer {
  const chunks = encodeFrame({
    type: FrameType.HELLO,
    version: 1,
    resume: false,
    weight: 1,
    sessionId: randomBytes(random, 16),
    nonce: randomBytes(random, 16),
    streamWindow: 1 << 20,
    sessionWindow: 1 << 22,
    maxFrame: 65536,
    mac: randomBytes(random, 32),
  });
  return Buffer.concat(chunks);
}

/**
 * One hostile connection to the server's carrier port; resolves when the
 * server has closed it. Kinds: random bytes; nothing at all; a forged HELLO
 * after reading the CHALLENGE (wrong key); the first 20 bytes of a HELLO.
 */
function hostile(port: number, kind: FloodKind, random: RandomSource): Promise<void> {
  const garbage = randomBytes(random, randomInt(random, 1, 2048));
  const hello = forgedHello(random);
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    let seen = 0;
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      // CHALLENGE: 12-byte header + 24-byte body (SPEC §3.1, §4).
      if (kind === 'wrong-key' && seen >= 36 && seen - chunk.length < 36) socket.write(hello);
    });
    socket.once('connect', () => {
      if (kind === 'garbage') socket.write(garbage);
      else if (kind === 'half-hello') socket.write(hello.subarray(0, 20));
    });
  });
}

async function refusedTotal(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^mpx_carriers_refused_total\{reason="(\w+)"\} (\d+)$/gm)) counts.set(m[1] as string, Number(m[2]));
  return counts;
}

describe('a flood of bad handshakes', () => {
  it('is refused with a bounded number of log lines, reaches no target, and a real client keeps transferring', async () => {
    echo = await startEcho();
    const server = new Tunnel([
      'server',
      '--listen',
      '127.0.0.1:0',
      '--target',
      `127.0.0.1:${echo.port}`,
      '--key',
      KEY,
      '--handshake-timeout',
      '1s',
      '--max-pending-handshakes',
      '100',
      '--metrics',
      '127.0.0.1:0',
    ]);
    const serverPort = await server.port(SERVER_PORT);
    const metricsUrl = (await server.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1] as string;
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', KEY, '-p', '2']);
    const port = await client.port(CLIENT_PORT);
    await client.waitForCount(/carrier #\d+ to .* up/, 2);

    const random = seededRandom(0xf100d);
    let flooding = true;
    const flood = Promise.all(Array.from({ length: 300 }, (_, i) => hostile(serverPort, KINDS[i % KINDS.length] as FloodKind, random))).finally(
      () => {
        flooding = false;
      },
    );
    let transfers = 0;
    const traffic = (async () => {
      // Bounded: the flood ends after about one --handshake-timeout.
      for (let i = 0; i < 200 && (flooding || i === 0); i++) {
        const { sent, received } = await echoThrough(port, 1024 * 1024, 8000 + i);
        expect(received).toEqual(sent);
        transfers++;
      }
    })();
    await Promise.all([flood, traffic]);

    // Every hostile connection was refused exactly once, for a reason the core names.
    const refused = await refusedTotal(metricsUrl);
    expect([...refused.values()].reduce((a, b) => a + b, 0)).toBe(300);
    expect([...refused.keys()]).toEqual(expect.arrayContaining(['MPX_ERR_AUTH_FAILED', 'MPX_ERR_HANDSHAKE_TIMEOUT']));
    // The server kept serving, and nothing of the flood reached the target.
    const after = await echoThrough(port, 1024 * 1024, 8999);
    expect(after.received).toEqual(after.sent);
    expect(echo.accepts).toBe(transfers + 1);
    expect(client.count(/carrier .* down/)).toBe(0);

    // A bounded number of lines: one per (reason, address) and interval, not one per connection.
    const lines = server.count(REFUSED);
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThanOrEqual(2 * refused.size);
    // Stopping flushes the summaries, which account for every refusal.
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const summaries = server.lines.map((l) => SUPPRESSED.exec(l)).filter((m) => m !== null);
    expect(summaries.length).toBeLessThanOrEqual(2 * refused.size);
    const suppressed = summaries.reduce((n, m) => n + Number(m[2]), 0);
    expect(server.count(REFUSED) + suppressed).toBe(300);
    expect(server.count(/refused|suppressed/)).toBeLessThanOrEqual(30);
  });
});

describe('--max-streams', () => {
  /** A connection through the tunnel that has echoed one message. */
  async function echoing(port: number, text: string): Promise<net.Socket> {
    const socket = await connect(port);
    socket.setEncoding('utf8');
    socket.write(text);
    const [reply] = (await once(socket, 'data')) as [string];
    expect(reply).toBe(text);
    return socket;
  }

  async function roundTrip(socket: net.Socket, text: string): Promise<void> {
    const reply = once(socket, 'data');
    socket.write(text);
    expect((await reply)[0]).toBe(text);
  }

  it('refuses a third concurrent connection with a log line on both sides; the first two keep working', async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--key', KEY, '--max-streams', '2', '-v']);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', KEY]);
    const port = await client.port(CLIENT_PORT);
    const a = await echoing(port, 'first');
    const b = await echoing(port, 'second');

    const third = await connect(port);
    const errors: Error[] = [];
    third.on('error', (err) => errors.push(err));
    let echoed = '';
    third.setEncoding('utf8').on('data', (text: string) => (echoed += text));
    third.write('third');
    await once(third, 'end'); // a FIN, as from a closed port
    third.end();
    await once(third, 'close');
    expect([errors, echoed]).toEqual([[], '']);
    await server.waitFor(/WARN {2}session [0-9a-f]{8}: MPX_ERR_LIMIT_EXCEEDED: stream 5 refused: 2 streams are open \(--max-streams 2\)/);
    await client.waitFor(
      /WARN {2}connection from 127\.0\.0\.1:\d+ \(stream 5\) closed: the server refused the stream, it holds its limit of open streams/,
    );

    await roundTrip(a, 'first again');
    await roundTrip(b, 'second again');
    expect(echo.accepts).toBe(2);

    // Closing one frees its place for the next connection.
    a.end();
    await once(a, 'close');
    await server.waitFor(/DEBUG stream [0-9a-f]{8}\/1 closed/);
    const { sent, received } = await echoThrough(port, 64 * 1024, 8100);
    expect(received).toEqual(sent);
    expect(echo.accepts).toBe(3);
    b.destroy();
  });
});

describe('--stream-idle-timeout', () => {
  it('resets a connection silent for that long, with a log line on both sides; busy ones are untouched', async () => {
    echo = await startEcho();
    const server = new Tunnel([
      'server',
      '--listen',
      '127.0.0.1:0',
      '--target',
      `127.0.0.1:${echo.port}`,
      '--key',
      KEY,
      '--stream-idle-timeout',
      '1s',
    ]);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', KEY]);
    const port = await client.port(CLIENT_PORT);

    const idle = await connect(port);
    const errors: NodeJS.ErrnoException[] = [];
    idle.on('error', (err) => errors.push(err));
    const closed = new Promise((resolve) => idle.once('close', resolve));
    idle.write('hello');
    await once(idle, 'data');
    await closed;
    expect(errors.map((e) => e.code)).toEqual(['ECONNRESET']);
    await server.waitFor(/INFO {2}stream [0-9a-f]{8}\/1 reset: no data either way for 1 s \(--stream-idle-timeout\)/);
    await client.waitFor(/INFO {2}connection from 127\.0\.0\.1:\d+ \(stream 1\) reset: MPX_ERR_IDLE_TIMEOUT: .* \(--stream-idle-timeout\)/);

    // A connection that keeps moving is not idle, however long it lasts:
    // ten round trips paced 150 ms apart outlive the 1 s timeout.
    const busy = await connect(port);
    busy.setEncoding('utf8');
    const busyErrors: Error[] = [];
    busy.on('error', (err) => busyErrors.push(err));
    for (let i = 0; i < 10; i++) {
      const reply = once(busy, 'data');
      busy.write(`tick ${i}`);
      expect((await reply)[0]).toBe(`tick ${i}`);
      await delay(150);
    }
    expect(busyErrors).toEqual([]);
    busy.destroy();
    expect(server.count(/reset: no data either way/)).toBe(1);
  });

  it("says so on the server when the client's --stream-idle-timeout reset the stream", async () => {
    echo = await startEcho();
    const server = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, '--key', KEY]);
    const serverPort = await server.port(SERVER_PORT);
    const client = new Tunnel([
      'client',
      '--listen',
      '127.0.0.1:0',
      '--server',
      `127.0.0.1:${serverPort}`,
      '--key',
      KEY,
      '--stream-idle-timeout',
      '1s',
    ]);
    const idle = await connect(await client.port(CLIENT_PORT));
    idle.on('error', () => {});
    const closed = new Promise((resolve) => idle.once('close', resolve));
    idle.write('hello');
    await once(idle, 'data');
    await closed;
    await server.waitFor(/INFO {2}stream [0-9a-f]{8}\/1 reset by the client: no data either way for its --stream-idle-timeout/);
    expect(server.count(/reset: no data either way for/)).toBe(0);
  });
});
