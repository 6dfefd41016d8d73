// End to end, real processes: echo target ← mpx-tunnel server ⇄ carriers ⇄
// mpx-tunnel client ← test connections. Bytes must come back identical.
import { setTimeout as delay } from 'node:timers/promises';
import { bufferutilPrebuilt, tlsFixturePath } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';

const KEY = 'transfer-test-key';
const MiB = 1024 * 1024;
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;
const TLS = ['--tls-cert', tlsFixturePath('localhost-cert.pem'), '--tls-key', tlsFixturePath('localhost-key.pem')];

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

/** Starts the echo target and a server listening on `listen`; returns the server and its bound ports, in order. */
async function startServer(listen: string[], extra: string[] = []): Promise<{ server: Tunnel; ports: number[] }> {
  echo = await startEcho();
  const args = ['server', ...listen.flatMap((l) => ['--listen', l]), '--target', `127.0.0.1:${echo.port}`, '--key', KEY, ...extra];
  const server = new Tunnel(args);
  const ports: number[] = [];
  for (const l of listen) {
    const scheme = l.slice(0, l.indexOf('://'));
    ports.push(await server.port(new RegExp(`listening on ${scheme}://127\\.0\\.0\\.1:(\\d+)`)));
  }
  return { server, ports };
}

async function startClient(servers: string, extra: string[] = []): Promise<{ client: Tunnel; port: number }> {
  const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', servers, '--key', KEY, ...extra]);
  return { client, port: await client.port(CLIENT_PORT) };
}

describe('mpx-tunnel server + client', () => {
  it('carries 32 MiB each way byte-identical over TCP', async () => {
    const { ports } = await startServer(['tcp://127.0.0.1:0']);
    const { port } = await startClient(`127.0.0.1:${ports[0]}|1`, ['-p', '4']);
    const { sent, received } = await echoThrough(port, 32 * MiB, 1001);
    expect(received).toEqual(sent);
  });

  it('carries 32 MiB each way byte-identical over TLS, checking the certificate against --tls-ca', async () => {
    const { ports } = await startServer(['tls://127.0.0.1:0'], TLS);
    const { port, client } = await startClient(`tls://127.0.0.1:${ports[0]}`, ['--tls-ca', tlsFixturePath('localhost-cert.pem')]);
    const { sent, received } = await echoThrough(port, 32 * MiB, 1002);
    expect(received).toEqual(sent);
    expect(client.count(/carrier #\d+ to tls:\/\/127\.0\.0\.1:\d+ up/)).toBeGreaterThan(0);
  });

  it('carries 32 MiB each way byte-identical over WebSocket', async () => {
    const { ports } = await startServer(['ws://127.0.0.1:0/mpx']);
    const { port, client } = await startClient(`ws://127.0.0.1:${ports[0]}/mpx`);
    const { sent, received } = await echoThrough(port, 32 * MiB, 1003);
    expect(received).toEqual(sent);
    expect(client.count(/carrier #\d+ to ws:\/\/127\.0\.0\.1:\d+\/mpx up/)).toBeGreaterThan(0);
  });

  it("masks WebSocket frames with bufferutil's native build, saying so at debug, and warns when ws would loop in JavaScript", async () => {
    // The bin bundles ws and requires bufferutil, its optional dependency, from its own directory (build.mjs, @mpx/transport-ws masking.ts).
    const expected = bufferutilPrebuilt
      ? /DEBUG WebSocket masking: native \(bufferutil's native build\)/
      : /WARN {2}WebSocket masking runs in JavaScript/;
    const { server, ports } = await startServer(['ws://127.0.0.1:0/mpx'], ['--log-level', 'debug']);
    const { port, client } = await startClient(`ws://127.0.0.1:${ports[0]}/mpx`, ['--log-level', 'debug']);
    await server.waitFor(expected);
    await client.waitFor(expected);
    const { sent, received } = await echoThrough(port, 4 * MiB, 1005);
    expect(received).toEqual(sent);
    const tcpOnly = new Tunnel(['server', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:1', '--log-level', 'debug']);
    await tcpOnly.waitFor(/forwarding streams to/);
    expect(tcpOnly.log).not.toMatch(/WebSocket masking/);
    const plain = new Tunnel(['server', '--listen', 'ws://127.0.0.1:0/mpx', '--target', '127.0.0.1:1'], { WS_NO_BUFFER_UTIL: '1' });
    await plain.waitFor(
      /WARN {2}WebSocket masking runs in JavaScript \(WS_NO_BUFFER_UTIL is set\): what a client sends over ws:\/\/ and wss:\/\/ carriers/,
    );
  });

  it('mixes tcp, tls, ws and wss carriers with weights in one --server list', async () => {
    const { ports } = await startServer(['tcp://127.0.0.1:0', 'tls://127.0.0.1:0', 'ws://127.0.0.1:0/a', 'wss://127.0.0.1:0/b'], TLS);
    const [tcp, tls, ws, wss] = ports;
    const list = `127.0.0.1:${tcp}|1,tls://127.0.0.1:${tls}|2,ws://127.0.0.1:${ws}/a|3,wss://127.0.0.1:${wss}/b|4`;
    const { port, client } = await startClient(list, ['--insecure', '-p', '1']);
    for (const label of [`tcp://127.0.0.1:${tcp}`, `tls://127.0.0.1:${tls}`, `ws://127.0.0.1:${ws}/a`, `wss://127.0.0.1:${wss}/b`]) {
      await client.waitFor(new RegExp(`carrier #\\d+ to ${label.replace(/[/.]/g, '\\$&')} up`));
    }
    const { sent, received } = await echoThrough(port, 4 * MiB, 1004);
    expect(received).toEqual(sent);
  });

  it('serves 200 concurrent connections', async () => {
    const { ports } = await startServer(['tcp://127.0.0.1:0']);
    const { port } = await startClient(`127.0.0.1:${ports[0]}`, ['-p', '4']);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => echoThrough(port, 16 * 1024 + i * 97, 2000 + i)));
    for (const { sent, received } of results) expect(received).toEqual(sent);
    expect(echo?.accepts).toBe(200);
  });

  it('keeps an idle control connection working beside busy data connections (iperf3-style)', async () => {
    const { ports } = await startServer(['tcp://127.0.0.1:0']);
    const { port } = await startClient(`127.0.0.1:${ports[0]}`);
    const control = await connect(port);
    control.setEncoding('utf8');
    const reply = (): Promise<string> => new Promise((resolve) => control.once('data', resolve));
    const first = reply();
    control.write('PARAM_EXCHANGE');
    expect(await first).toBe('PARAM_EXCHANGE');

    // Data connections run while the control connection stays silent for 6 s.
    const idle = delay(6000);
    const data = await Promise.all([0, 1, 2].map((i) => echoThrough(port, 4 * MiB, 3000 + i)));
    for (const { sent, received } of data) expect(received).toEqual(sent);
    await idle;

    const second = reply();
    control.write('EXCHANGE_RESULTS');
    expect(await second).toBe('EXCHANGE_RESULTS');
    const ended = new Promise<void>((resolve) => control.once('end', resolve));
    control.end();
    await ended;
    control.destroy();
  });

  it('relays carriers through `mpx-tunnel relay` (a second address for the same server)', async () => {
    const { server, ports } = await startServer(['tcp://127.0.0.1:0']);
    const relay = new Tunnel(['relay', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${ports[0]}`]);
    const relayPort = await relay.port(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
    const { port } = await startClient(`127.0.0.1:${ports[0]}|1,127.0.0.1:${relayPort}|2`);
    await relay.waitFor(/relay: 127\.0\.0\.1:\d+ ⇄ tcp:\/\/127\.0\.0\.1:\d+ open/);
    const { sent, received } = await echoThrough(port, 8 * MiB, 1005);
    expect(received).toEqual(sent);
    // All four carriers (two direct, two relayed) joined the one session.
    await server.waitForCount(/carrier #\d+ from .* up/, 4);
  });
});
