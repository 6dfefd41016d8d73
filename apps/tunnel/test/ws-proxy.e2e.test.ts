// End to end through what stands between WebSocket carriers in the field: a
// gateway that limits message size, and (further below) what a proxy's
// mistakes look like in both ends' logs.
import { once } from 'node:events';
import * as net from 'node:net';
import { readFileSync } from 'node:fs';
import { silentServer, tlsFixturePath } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';
import { startMessageLimitProxy, type MessageLimitProxy } from './message-limit-proxy.js';

const KEY = 'ws-proxy-test-key';
const MiB = 1024 * 1024;
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;
const WS_PORT = /listening on ws:\/\/127\.0\.0\.1:(\d+)/;
const TLS = ['--tls-cert', tlsFixturePath('localhost-cert.pem'), '--tls-key', tlsFixturePath('localhost-key.pem')];

let echo: EchoServer | undefined;
let proxy: MessageLimitProxy | undefined;
let sink: net.Server | undefined;

afterEach(async () => {
  await killAll();
  await proxy?.close();
  await echo?.close();
  echo = undefined;
  sink?.close();
  sink = undefined;
  proxy = undefined;
});

/**
 * A target (an echo, or a sink that sends nothing back, so that only the
 * client's messages can cross the limit), a server on ws://…/mpx, a proxy in
 * front of it that cuts messages over 64 KiB, and a client through the proxy.
 */
async function behindMessageLimit(extra: string[], target: 'echo' | 'sink' = 'echo'): Promise<{ server: Tunnel; client: Tunnel; port: number }> {
  let targetPort: number;
  if (target === 'echo') {
    echo = await startEcho();
    targetPort = echo.port;
  } else {
    const s = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.resume();
    });
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    sink = s;
    targetPort = (s.address() as net.AddressInfo).port;
  }
  const server = new Tunnel(['server', '--listen', 'ws://127.0.0.1:0/mpx', '--target', `127.0.0.1:${targetPort}`, '--key', KEY, ...extra]);
  proxy = await startMessageLimitProxy(await server.port(WS_PORT), 64 * 1024);
  const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `ws://127.0.0.1:${proxy.port}/mpx`, '-p', '1', '--key', KEY, ...extra]);
  return { server, client, port: await client.port(CLIENT_PORT) };
}

describe('WebSocket carriers behind a proxy that limits message size', () => {
  it('without --ws-max-message, both ends name the close that cut the carrier and the flag', async () => {
    // A sink: were the target's answers to cross the limit first, the proxy would cut the client's side without a close frame.
    const { server, client, port } = await behindMessageLimit([], 'sink');
    await client.waitFor(/carrier #\d+ to ws:\/\/\S+ up/);
    const socket = await connect(port);
    socket.on('error', () => {});
    socket.resume();
    socket.write(Buffer.alloc(4 * MiB, 1));
    await client.waitFor(
      /carrier #\d+ to ws:\/\/127\.0\.0\.1:\d+\/mpx down after \d+\.\d s: closed by the peer with 1009 \(message too big\): a proxy may limit message size, see --ws-max-message(;|$)/,
    );
    await server.waitFor(
      /carrier #\d+ from 127\.0\.0\.1:\d+ down after \d+\.\d s \(session [0-9a-f]{8}\) \(the connection closed without a WebSocket close frame, 1006\): a proxy between may have cut it \(an idle timeout, or a limit on message size: see --ws-max-message\)$/,
    );
    expect(client.count(/closing or closed/)).toBe(0);
    socket.destroy();
  });

  it('with --ws-max-message 64KiB on both ends, every message fits and data flows', async () => {
    const { port } = await behindMessageLimit(['--ws-max-message', '64KiB']);
    const { sent, received } = await echoThrough(port, 8 * MiB, 4242);
    expect(received).toEqual(sent);
    expect(proxy?.cut).toBe(0);
    expect(proxy?.largest.up).toBe(64 * 1024);
    expect(proxy?.largest.down).toBe(64 * 1024);
  });
});

describe('what WebSocket dial errors show', () => {
  it('never the session id in full: the upgrade URL shows without its query', async () => {
    const silent = await silentServer();
    try {
      const client = new Tunnel([
        'client',
        '--listen',
        '127.0.0.1:0',
        '--server',
        `ws://127.0.0.1:${silent.port}/tunnel`,
        '-p',
        '1',
        '--connect-timeout',
        '300ms',
      ]);
      const session = (await client.waitFor(/session ([0-9a-f]{8}) started/))[1] as string;
      await client.waitFor(
        new RegExp(
          `WARN {2}cannot open a carrier to ws://127\\.0\\.0\\.1:${silent.port}/tunnel: MPX_ERR_CONNECT_TIMEOUT: WebSocket connect to ws://127\\.0\\.0\\.1:${silent.port}/tunnel\\?… timed out after 300 ms`,
        ),
      );
      // SECURITY.md: only the first 8 hex digits of a session id are ever shown.
      expect(client.log).toContain(session);
      expect(client.log).not.toMatch(/[0-9a-f]{9,}/);
    } finally {
      silent.close();
    }
  });
});

describe('the upgrade request', () => {
  it('carries User-Agent: mpx-tunnel/<version>, or the one --header gives', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const [extra, agent] of [
      [[], `mpx-tunnel/${version}`],
      [['--header', 'User-Agent: Mozilla/5.0'], 'Mozilla/5.0'],
    ] as const) {
      const silent = await silentServer();
      try {
        new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `ws://127.0.0.1:${silent.port}/tunnel`, '-p', '1', ...extra]);
        const socket = await silent.accepted;
        const [request] = (await once(socket, 'data')) as [Buffer];
        const agents = request
          .toString('latin1')
          .split('\r\n')
          .filter((line) => /^user-agent:/i.test(line));
        expect(agents).toEqual([`User-Agent: ${agent}`]);
      } finally {
        silent.close();
        await killAll();
      }
    }
  });
});

describe('failed upgrades, as a proxy in front makes them', () => {
  it('the server logs a request without Upgrade and an upgrade on another path at warn with a hint; the client says who answered', async () => {
    const server = new Tunnel(['server', '--listen', 'ws://127.0.0.1:0/tunnel', '--target', '127.0.0.1:1']);
    const port = await server.port(WS_PORT);
    // nginx without `proxy_set_header Upgrade/Connection`: a plain GET on the path.
    const plain = await fetch(`http://127.0.0.1:${port}/tunnel`);
    expect(plain.status).toBe(426);
    expect(await plain.text()).toBe('request to /tunnel without Upgrade: websocket - does the proxy forward the Upgrade and Connection headers?\n');
    await server.waitFor(
      /WARN {2}connection from 127\.0\.0\.1:\d+ on ws:\/\/127\.0\.0\.1:\d+\/tunnel failed: MPX_ERR_UPGRADE_REFUSED: upgrade refused with HTTP 426: request to \/tunnel without Upgrade: websocket - does the proxy forward the Upgrade and Connection headers\?$/,
    );
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `ws://127.0.0.1:${port}/other`, '-p', '1']);
    await client.waitFor(
      /WARN {2}cannot open a carrier to ws:\/\/127\.0\.0\.1:\d+\/other: MPX_ERR_UPGRADE_REFUSED: the server refused the WebSocket upgrade with HTTP 404 Not Found: path \/other\?… is not the tunnel path \/tunnel; retrying/,
    );
    await server.waitFor(
      /WARN {2}connection from 127\.0\.0\.1:\d+ on ws:\/\/\S+ failed: MPX_ERR_UPGRADE_REFUSED: upgrade refused with HTTP 404: path \/other\?… is not the tunnel path \/tunnel$/,
    );
  });

  it('the client hints at the other scheme: wss:// to a plain port, ws:// to a TLS port', async () => {
    const server = new Tunnel(['server', '--listen', 'ws://127.0.0.1:0/t', '--listen', 'wss://127.0.0.1:0/t', '--target', '127.0.0.1:1', ...TLS]);
    const wsPort = await server.port(WS_PORT);
    const wssPort = await server.port(/listening on wss:\/\/127\.0\.0\.1:(\d+)/);
    const servers = `wss://127.0.0.1:${wsPort}/t,ws://127.0.0.1:${wssPort}/t`;
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', servers, '-p', '1', '--insecure']);
    await client.waitFor(new RegExp(`cannot open a carrier to wss://127\\.0\\.0\\.1:${wsPort}/t: .*; is the port TLS\\? .*use ws://; retrying`));
    await client.waitFor(new RegExp(`cannot open a carrier to ws://127\\.0\\.0\\.1:${wssPort}/t: .*; is the port TLS\\? .*use wss://; retrying`));
  });
});
