// End to end through what stands between WebSocket carriers in the field: a
// gateway that limits message size, and (further below) what a proxy's
// mistakes look like in both ends' logs.
import { silentServer } from '@mpx/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, echoThrough, killAll, startEcho, Tunnel, type EchoServer } from './helpers.js';
import { startMessageLimitProxy, type MessageLimitProxy } from './message-limit-proxy.js';

const KEY = 'ws-proxy-test-key';
const MiB = 1024 * 1024;
const CLIENT_PORT = /listening on 127\.0\.0\.1:(\d+)/;
const WS_PORT = /listening on ws:\/\/127\.0\.0\.1:(\d+)/;

let echo: EchoServer | undefined;
let proxy: MessageLimitProxy | undefined;

afterEach(async () => {
  await killAll();
  await proxy?.close();
  await echo?.close();
  echo = undefined;
  proxy = undefined;
});

/** An echo target, a server on ws://…/mpx, a proxy in front of it that cuts messages over 64 KiB, and a client through the proxy. */
async function behindMessageLimit(extra: string[]): Promise<{ server: Tunnel; client: Tunnel; port: number }> {
  echo = await startEcho();
  const server = new Tunnel(['server', '--listen', 'ws://127.0.0.1:0/mpx', '--target', `127.0.0.1:${echo.port}`, '--key', KEY, ...extra]);
  proxy = await startMessageLimitProxy(await server.port(WS_PORT), 64 * 1024);
  const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `ws://127.0.0.1:${proxy.port}/mpx`, '-p', '1', '--key', KEY, ...extra]);
  return { server, client, port: await client.port(CLIENT_PORT) };
}

describe('WebSocket carriers behind a proxy that limits message size', () => {
  it('without --ws-max-message, both ends name the close that cut the carrier and the flag', async () => {
    const { server, client, port } = await behindMessageLimit([]);
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
