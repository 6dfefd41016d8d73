// Pre-shared key (SPEC §3.4) end to end: a wrong key never reaches the
// target; the key may come from --key, --key-file or MPX_KEY.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, echoThrough, killAll, startEcho, Tunnel, type EchoServer, CLIENT_PORT, SERVER_PORT } from './helpers.js';

let echo: EchoServer | undefined;

afterEach(async () => {
  await killAll();
  await echo?.close();
  echo = undefined;
});

async function startServer(keyArgs: string[], env: Record<string, string> = {}, listen = '127.0.0.1:0'): Promise<{ server: Tunnel; port: number }> {
  echo = await startEcho();
  const server = new Tunnel(['server', '--listen', listen, '--target', `127.0.0.1:${echo.port}`, ...keyArgs], env);
  return { server, port: await server.port(SERVER_PORT) };
}

describe('authentication', () => {
  it('refuses carriers with a wrong key, logs it on both sides, and never connects to the target', async () => {
    const { server, port: serverPort } = await startServer(['--key', 'right key']);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`, '--key', 'wrong key']);
    const port = await client.port(CLIENT_PORT);
    const socket = await connect(port);
    socket.on('error', () => {});
    socket.write('this must not reach the target');

    // Both carriers are refused; the server logs the first (refusals are rate-limited per address).
    await server.waitFor(/WARN {2}carrier from 127\.0\.0\.1:\d+ refused: authentication failed/);
    await client.waitFor(/cannot open a carrier to tcp:\/\/127\.0\.0\.1:\d+: authentication failed/);
    expect(server.count(/carrier #\d+ .* up/)).toBe(0);
    expect(client.count(/carrier #\d+ .* up/)).toBe(0);
    expect(echo?.accepts).toBe(0);
    socket.destroy();
  });

  it('refuses a client without a key when the server has one', async () => {
    const { server, port: serverPort } = await startServer(['--key', 'k']);
    new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`]);
    await server.waitFor(/refused: authentication failed/);
    expect(echo?.accepts).toBe(0);
  });

  it('takes the key from --key-file on one side and MPX_KEY on the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpx-tunnel-key-'));
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'shared secret\n'); // the trailing newline is not part of the key
    const { port: serverPort } = await startServer(['--key-file', keyFile]);
    const client = new Tunnel(['client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`], { MPX_KEY: 'shared secret' });
    const port = await client.port(CLIENT_PORT);
    const { sent, received } = await echoThrough(port, 256 * 1024, 4001);
    expect(received).toEqual(sent);
    expect(echo?.accepts).toBe(1);
  });

  it('warns when a server without a key listens beyond loopback, and not on loopback', async () => {
    const { server } = await startServer([]);
    await server.waitFor(/forwarding streams to/);
    expect(server.count(/no --key set/)).toBe(0);
    await killAll();
    const exposed = new Tunnel(['server', '--listen', '0.0.0.0:0', '--target', '127.0.0.1:9']);
    await exposed.waitFor(/WARN {2}no --key set: anyone who can reach tcp:\/\/0\.0\.0\.0:0 can use this tunnel/);
  });
});
